"""The legacy (role/profile-based) schema: creating it, and recognising it."""

from __future__ import annotations

from importlib import resources
from typing import Any

import psycopg

PROFILE_TYPES = ("student", "tutor", "parent", "advertiser")
PROFILE_TABLES = {kind: f"{kind}_profiles" for kind in PROFILE_TYPES}
CHAT_TABLES = (
    "conversations",
    "conversation_participants",
    "chat_messages",
    "message_reactions",
    "message_read_receipts",
    "call_logs",
    "blocked_chat_contacts",
    "chat_settings",
)
LEGACY_TABLES = ("users", *PROFILE_TABLES.values(), "connections", *CHAT_TABLES)


class NotLegacySchema(Exception):
    """The database does not hold the legacy chat schema (or holds only part of it)."""


def legacy_sql() -> str:
    return resources.files(__package__).joinpath("legacy.sql").read_text()


def apply_legacy_schema(conn: psycopg.Connection[Any]) -> None:
    """Create the legacy tables (the database must not have them yet)."""
    conn.execute(legacy_sql())


def present_tables(conn: psycopg.Connection[Any]) -> set[str]:
    """Which of the legacy tables exist in the search path's first schema."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = current_schema() AND table_name = ANY(%s)",
        (list(LEGACY_TABLES),),
    ).fetchall()
    return {row[0] for row in rows}


def require_legacy_schema(conn: psycopg.Connection[Any]) -> None:
    """NotLegacySchema, naming what is missing, unless every legacy table is there."""
    present = present_tables(conn)
    missing = [t for t in LEGACY_TABLES if t not in present]
    if not present:
        raise NotLegacySchema(
            "this database has none of the legacy chat tables (users, *_profiles, "
            "conversations, chat_messages, ...); create them with `chatgate migrate seed`"
        )
    if missing:
        raise NotLegacySchema(
            f"this database has only part of the legacy chat schema; missing: {', '.join(missing)}"
        )
