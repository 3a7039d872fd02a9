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

from chatgate.reference.db import Database
from chatgate.reference.sync import store

from . import errors

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
        raise errors.entry_not_a_uuid(where, value) from None


def _records(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The validated entries under `key`, uuids normalised."""
    entries = body.get(key, [])
    if not isinstance(entries, list):
        raise errors.entries_not_a_list(key)
    fields = _FIELDS[key]
    out = []
    for index, entry in enumerate(entries):
        where = f"{key}[{index}]"
        if not isinstance(entry, dict):
            raise errors.entry_not_an_object(where)
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            raise errors.entry_unknown_fields(where, unknown)
        record: dict[str, Any] = {}
        for name, required in fields.items():
            value = entry.get(name)
            if value is None:
                if required:
                    raise errors.entry_field_required(f"{where}.{name}")
            elif name == "id" or name.endswith("_id"):
                value = _check_uuid(value, f"{where}.{name}")
            elif not isinstance(value, str):
                raise errors.entry_field_not_text(f"{where}.{name}")
            record[name] = value
        if key == "memberships" and record["role"] not in ROLES:
            raise errors.entry_bad_role(f"{where}.role", ROLES)
        out.append(record)
    return out


def apply_provider_state(
    database: Database, body: Any, issue_token: Callable[[str], str]
) -> dict[str, Any]:
    """Seed `database` as `body` says; returns `{"tokens": {user_id: bearer}}`."""
    if not isinstance(body, dict):
        raise errors.provider_state_not_an_object()
    unknown = sorted(set(body) - {"reset", *_FIELDS})
    if unknown:
        raise errors.unknown_provider_state_keys(unknown)
    reset = body.get("reset", False)
    if not isinstance(reset, bool):
        raise errors.reset_not_boolean()
    users, companies, memberships = (_records(body, key) for key in _FIELDS)
    try:
        with database.connection() as conn:
            store.seed(conn, reset=reset, users=users, companies=companies, memberships=memberships)
    except store.UnknownParty as error:
        raise errors.unknown_membership_party(error.user_id, error.company_id) from None
    return {"tokens": {user["id"]: issue_token(user["id"]) for user in users}}
