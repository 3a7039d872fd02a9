"""Provider states (Pact's pattern): a test-mode endpoint that seeds the people,
companies and memberships a scenario needs, and answers with bearer tokens for
them, so the same scenarios run against any backend that implements it.

Body of `POST /api/test/provider-state` (every key optional):

    {"reset": true,
     "users": [{"id": "<uuid>", "name": "Amr", "image_url": null}],
     "companies": [{"id": "<uuid>", "name": "Sat Education", "logo_url": null}],
     "memberships": [{"company_id": "<uuid>", "user_id": "<uuid>", "role": "owner"}]}

Answer: `{"success": true, "data": {"tokens": {"<user id>": "<bearer jwt>"}}}`.
Rows are upserted; `reset` empties every table first. All or nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from chatgate.reference.sync.service import SyncError

ROLES = ("owner", "admin", "member")
_FIELDS = {
    "users": {"id": True, "name": True, "image_url": False},
    "companies": {"id": True, "name": True, "logo_url": False},
    "memberships": {"company_id": True, "user_id": True, "role": True},
}


def _check_uuid(value: Any, where: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (TypeError, ValueError, AttributeError):
        raise SyncError(400, f"{where} must be a UUID string, got {value!r}") from None


def _records(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The validated entries under `key`, uuids normalised."""
    entries = body.get(key, [])
    if not isinstance(entries, list):
        raise SyncError(400, f"{key} must be a list")
    fields = _FIELDS[key]
    out = []
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            raise SyncError(400, f"{where} must be an object")
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            raise SyncError(400, f"{where} has unknown field(s): {', '.join(unknown)}")
        record: dict[str, Any] = {}
        for name, required in fields.items():
            value = entry.get(name)
            if value is None:
                if required:
                    raise SyncError(400, f"{where}.{name} is required")
            elif name == "id" or name.endswith("_id"):
                value = _check_uuid(value, f"{where}.{name}")
            elif not isinstance(value, str):
                raise SyncError(400, f"{where}.{name} must be a string")
            record[name] = value
        if key == "memberships" and record["role"] not in ROLES:
            raise SyncError(400, f"{where}.role must be one of {', '.join(ROLES)}")
        out.append(record)
    return out


def apply_provider_state(
    database_url: str, body: Any, issue_token: Callable[[str], str]
) -> dict[str, Any]:
    """Seed the database as `body` says; returns `{"tokens": {user_id: bearer}}`."""
    if not isinstance(body, dict):
        raise SyncError(400, "the provider state must be a JSON object")
    unknown = sorted(set(body) - {"reset", *_FIELDS})
    if unknown:
        raise SyncError(400, f"unknown provider-state key(s): {', '.join(unknown)}")
    reset = body.get("reset", False)
    if not isinstance(reset, bool):
        raise SyncError(400, "reset must be true or false")
    users, companies, memberships = (_records(body, key) for key in _FIELDS)
    with psycopg.connect(database_url) as conn, conn.transaction():
        if reset:
            conn.execute(
                "TRUNCATE conversation_participants, conversations, company_members,"
                " companies, users"
            )
        for user in users:
            conn.execute(
                "INSERT INTO users (id, name, image_url) VALUES (%(id)s, %(name)s, %(image_url)s)"
                " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
                " image_url = EXCLUDED.image_url",
                user,
            )
        for company in companies:
            conn.execute(
                "INSERT INTO companies (id, name, logo_url)"
                " VALUES (%(id)s, %(name)s, %(logo_url)s)"
                " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,"
                " logo_url = EXCLUDED.logo_url",
                company,
            )
        for membership in memberships:
            try:
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO company_members (company_id, user_id, role)"
                        " VALUES (%(company_id)s, %(user_id)s, %(role)s)"
                        " ON CONFLICT (company_id, user_id) DO UPDATE SET role = EXCLUDED.role",
                        membership,
                    )
            except psycopg.errors.ForeignKeyViolation:
                raise SyncError(
                    400,
                    f"membership of user {membership['user_id']} in company "
                    f"{membership['company_id']} names an unknown user or company",
                ) from None
    return {"tokens": {user["id"]: issue_token(user["id"]) for user in users}}
