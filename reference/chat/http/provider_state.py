"""Provider states for the chat (docs/chat-contract.md, section 4): users with their
legacy profiles, accepted connections, and chat written as the legacy application wrote
it (participants and messages keyed by profile). The migration's compatibility
triggers key those rows by user (`reference/migration/compat.sql`), so what a scenario
sets up before the migration's cut-over is what a migrated backend must show.

The body's shape is checked by the dispatcher against `routes.PROVIDER_STATE`; this
checks what the shape cannot say (unique keys, references, who may be in a
conversation) and writes everything in one transaction, or nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chatgate.reference.db import Connection, Database

from .. import store
from . import errors

PROFILE_TABLES = {
    "student": "student_profiles",
    "tutor": "tutor_profiles",
    "parent": "parent_profiles",
}


@dataclass
class _Person:
    id: int
    profiles: dict[str, int] = field(default_factory=dict)  # profile type: profile id


def _unique_keys(entries: list[dict[str, Any]], where: str) -> None:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry["key"] in seen:
            raise errors.duplicate_key(f"{where}[{index}].key", entry["key"])
        seen.add(entry["key"])


def _create_user(conn: Connection, entry: dict[str, Any]) -> _Person:
    """A user and their profile rows, as the legacy sign-up left them."""
    first, _, last = entry["name"].strip().partition(" ")
    # unique across runs, and short enough for a username (varchar 100) with its profile
    handle = f"{entry['key'][:60]}-{uuid.uuid4().hex[:12]}"
    profiles = entry.get("profiles", [])
    row = conn.execute(
        "INSERT INTO users (email, first_name, last_name, roles, active_role) "
        "VALUES (%s, %s, %s, %s::json, %s) RETURNING id",
        (
            f"{handle}@provider-state.invalid",
            first,
            last.strip() or None,
            json.dumps(profiles),
            profiles[0] if profiles else None,
        ),
    ).fetchone()
    assert row is not None
    person = _Person(row["id"])
    for profile in profiles:
        named = "" if profile == "parent" else ", username"
        values = "%s" if profile == "parent" else "%s, %s"
        args = (person.id,) if profile == "parent" else (person.id, f"{handle}-{profile}")
        found = conn.execute(
            f"INSERT INTO {PROFILE_TABLES[profile]} (user_id{named}) VALUES ({values}) "
            "RETURNING id",
            args,
        ).fetchone()
        assert found is not None
        person.profiles[profile] = found["id"]
    return person


class _People:
    """Users by reference: a key of this call, or `{"user_id": n}` of an earlier one."""

    def __init__(self, conn: Connection, created: dict[str, _Person]) -> None:
        self._conn = conn
        self._created = created
        self._earlier: dict[int, _Person] = {}

    def __call__(self, reference: Any, where: str) -> _Person:
        if isinstance(reference, str):
            if reference not in self._created:
                raise errors.unknown_user_key(where, reference)
            return self._created[reference]
        user_id = reference["user_id"]
        if user_id not in self._earlier:
            if not store.user_exists(self._conn, user_id):
                raise errors.unknown_user_id(where, user_id)
            person = _Person(user_id)
            for profile, table in PROFILE_TABLES.items():
                row = self._conn.execute(
                    f"SELECT id FROM {table} WHERE user_id = %s", (user_id,)
                ).fetchone()
                if row is not None:
                    person.profiles[profile] = row["id"]
            self._earlier[user_id] = person
        return self._earlier[user_id]

    def as_profile(self, entry: dict[str, Any], where: str) -> tuple[int, str, int]:
        """(user id, profile type, profile id) of `{"user", "profile"}`."""
        person = self(entry["user"], f"{where}.user")
        profile = entry["profile"]
        if profile not in person.profiles:
            raise errors.no_such_profile(where, profile)
        return person.id, profile, person.profiles[profile]


def _legacy_conversation(
    conn: Connection,
    people: _People,
    entry: dict[str, Any],
    where: str,
    directs: set[tuple[int, int]],
) -> int:
    """Write one conversation, its participants and its messages through their profiles,
    as the legacy application did; the compatibility triggers fill in the users."""
    participants = [
        people.as_profile(p, f"{where}.participants[{i}]")
        for i, p in enumerate(entry["participants"])
    ]
    if len(set(participants)) != len(participants):
        raise errors.repeated_participant(f"{where}.participants")
    users = sorted({user for user, _, _ in participants})
    if entry["type"] == "direct":
        if "name" in entry:
            raise errors.direct_has_name(where)
        if len(users) != 2:
            raise errors.direct_needs_two_users(where)
        pair = (users[0], users[1])
        if pair in directs or store.direct_between(conn, *pair) is not None:
            raise errors.second_direct(where, *pair)
        directs.add(pair)
    elif "name" not in entry:
        raise errors.legacy_group_needs_a_name(where)
    _, creator_type, creator_profile = participants[0]
    row = conn.execute(
        "INSERT INTO conversations (type, name, created_by_profile_id, created_by_profile_type) "
        "VALUES (%s, %s, %s, %s) RETURNING id",
        (entry["type"], entry.get("name"), creator_profile, creator_type),
    ).fetchone()
    assert row is not None
    conversation = row["id"]
    for index, (_, profile, profile_id) in enumerate(participants):
        role = "admin" if entry["type"] == "group" and index == 0 else "member"
        conn.execute(
            "INSERT INTO conversation_participants "
            "(conversation_id, profile_id, profile_type, role) VALUES (%s, %s, %s, %s)",
            (conversation, profile_id, profile, role),
        )
    for index, message in enumerate(entry.get("messages", [])):
        sender = people.as_profile(message["from"], f"{where}.messages[{index}].from")
        if sender not in participants:
            raise errors.sender_not_a_participant(f"{where}.messages[{index}].from")
        conn.execute(
            "INSERT INTO chat_messages (conversation_id, sender_profile_id, sender_profile_type, "
            "message_type, content, created_at) VALUES (%s, %s, %s, 'text', %s, clock_timestamp())",
            (conversation, sender[2], sender[1], message["text"]),
        )
        conn.execute(
            "UPDATE conversations SET last_message_at = clock_timestamp(), updated_at = now() "
            "WHERE id = %s",
            (conversation,),
        )
    return conversation


def apply_provider_state(
    database: Database, body: dict[str, Any], issue_token: Callable[[int], str]
) -> dict[str, Any]:
    """Create what `body` describes; answers `{"users": {key: {"id", "token"}},
    "conversations": {key: id}}`. Bad input raises a 400 and writes nothing."""
    users = body.get("users", [])
    conversations = body.get("legacy_conversations", [])
    _unique_keys(users, "users")
    _unique_keys(conversations, "legacy_conversations")
    with database.connection() as conn, conn.transaction():
        created = {entry["key"]: _create_user(conn, entry) for entry in users}
        people = _People(conn, created)
        for index, connection in enumerate(body.get("connections", [])):
            where = f"connections[{index}].between"
            first, second = (
                people(ref, f"{where}[{i}]") for i, ref in enumerate(connection["between"])
            )
            if first.id == second.id:
                raise errors.connection_with_oneself(where)
            conn.execute(
                "INSERT INTO connections (requested_by, recipient_id, status) "
                "VALUES (%s, %s, 'accepted')",
                (first.id, second.id),
            )
        directs: set[tuple[int, int]] = set()
        written = {
            entry["key"]: _legacy_conversation(
                conn, people, entry, f"legacy_conversations[{index}]", directs
            )
            for index, entry in enumerate(conversations)
        }
    return {
        "users": {key: {"id": p.id, "token": issue_token(p.id)} for key, p in created.items()},
        "conversations": written,
    }
