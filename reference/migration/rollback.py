"""Rollback: the legacy schema and data back exactly, from the kept originals (no
`pg_dump` restore, so chat written since the migration stays).

It runs in one transaction, with writes to the chat tables held meanwhile. Rows
written since by user-only writers get their profile back where that is unambiguous
(the user's profile in that conversation, else the user's only profile). Where it is
not, rollback refuses, names the rows, and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors

from . import ledger
from .actors import ACTORS
from .apply import MigrationError
from .ddl import (
    CALL_STATUS_CHECK,
    FOREIGN_KEYS,
    LEGACY_CALL_STATUSES,
    NEW_COLUMNS,
    PLAIN_INDEXES,
    PROFILE_COLUMNS,
    SCHEMA,
    TRIGGERS,
    UNIQUE_KEYS,
    call_status_check,
)
from .legacy import CHAT_TABLES, PROFILE_TABLES, require_legacy_schema

Connection = psycopg.Connection[Any]
SHOWN = 10  # rows named in a refusal

_MESSAGE_CONVERSATION = "(SELECT m.conversation_id FROM chat_messages m WHERE m.id = t.message_id)"
# The conversation a row belongs to, to find the user's profile in it.
_CONVERSATION = {
    "conversations": "t.id",
    "conversation_participants": "t.conversation_id",
    "chat_messages": "t.conversation_id",
    "call_logs": "t.conversation_id",
    "message_reactions": _MESSAGE_CONVERSATION,
    "message_read_receipts": _MESSAGE_CONVERSATION,
}
# Parents a removed row needs to be put back (the application may have deleted them since).
_PARENTS = {
    "conversation_participants": (("conversation_id", "conversations"), ("user_id", "users")),
    "message_reactions": (("message_id", "chat_messages"), ("user_id", "users")),
    "message_read_receipts": (("message_id", "chat_messages"), ("user_id", "users")),
    "blocked_chat_contacts": (("blocker_user_id", "users"), ("blocked_user_id", "users")),
    "chat_settings": (("user_id", "users"),),
}
_USER_PROFILES = " UNION ALL ".join(
    f"SELECT '{kind}'::text, id FROM {table} WHERE user_id = %(user)s"
    for kind, table in PROFILE_TABLES.items()
)
_REQUIRED = {(table, column) for table, column in PROFILE_COLUMNS}


class RollbackRefused(MigrationError):
    """Rows written since the migration cannot be given a profile unambiguously."""


@dataclass
class RollbackReport:
    profiles_mapped: int = 0
    rows_restored: int = 0
    rows_reverted: int = 0
    steps: list[str] = field(default_factory=list)


def _candidates(conn: Connection, conversation: int | None, user: int) -> list[tuple[str, int]]:
    """The profiles a user-only row could be given: the user's in its conversation, else
    every profile of the user."""
    if conversation is not None:
        found = conn.execute(
            "SELECT DISTINCT profile_type, profile_id FROM conversation_participants "
            "WHERE conversation_id = %s AND user_id = %s AND profile_type IS NOT NULL",
            (conversation, user),
        ).fetchall()
        if found:
            return [(str(k), int(i)) for k, i in found]
    return [(str(k), int(i)) for k, i in conn.execute(_USER_PROFILES, {"user": user}).fetchall()]


def _map_back(conn: Connection, report: RollbackReport) -> list[str]:
    """Give user-only rows a profile; returns the rows where none is unambiguous (only
    for the columns the legacy schema requires; optional ones stay NULL)."""
    unmapped: list[str] = []
    for actor in ACTORS:
        if actor.user_id not in _present_columns(conn, actor.table):
            continue
        conversation = _CONVERSATION.get(actor.table, "NULL")
        rows = conn.execute(
            f"SELECT t.id, t.{actor.user_id}, {conversation} FROM {actor.table} t "
            f"WHERE t.{actor.profile_type} IS NULL AND t.{actor.user_id} IS NOT NULL ORDER BY t.id"
        ).fetchall()
        for row_id, user, in_conversation in rows:
            found = _candidates(conn, in_conversation, user)
            if len(found) == 1:
                conn.execute(
                    f"UPDATE {actor.table} SET {actor.profile_type} = %s, {actor.profile_id} = %s "
                    "WHERE id = %s",
                    (found[0][0], found[0][1], row_id),
                )
                report.profiles_mapped += 1
            elif (actor.table, actor.profile_type) in _REQUIRED:
                options = ", ".join(f"{k} {i}" for k, i in found) or "none"
                unmapped.append(f"{actor.table} #{row_id} (user {user}; profiles: {options})")
    return unmapped


def _present_columns(conn: Connection, table: str) -> set[str]:
    return {
        r[0]
        for r in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        ).fetchall()
    }


def _restore(conn: Connection, report: RollbackReport) -> None:
    """Put back the rows the policies removed and the columns the migration changed."""
    original = f"{SCHEMA}.original_rows"
    for table, parents in _PARENTS.items():
        present = " ".join(
            f"AND EXISTS (SELECT 1 FROM {parent} p WHERE p.id = (o.row ->> '{column}')::integer)"
            for column, parent in parents
        )
        report.rows_restored += conn.execute(
            f"INSERT INTO {table} SELECT (jsonb_populate_record(NULL::{table}, o.row)).* "
            f"FROM {original} o WHERE o.table_name = '{table}' AND o.removed {present} "
            f"AND NOT EXISTS (SELECT 1 FROM {table} x WHERE x.id = o.row_id)"
        ).rowcount
    for table in CHAT_TABLES:
        column_sets = conn.execute(
            f"SELECT DISTINCT columns FROM {original} WHERE table_name = %s AND NOT removed "
            "AND cardinality(columns) > 0",
            (table,),
        ).fetchall()
        for (columns,) in column_sets:
            names = ", ".join(columns)
            values = ", ".join(f"r.{c}" for c in columns)
            report.rows_reverted += conn.execute(
                f"UPDATE {table} t SET ({names}) = (SELECT {values} FROM "
                f"jsonb_populate_record(NULL::{table}, o.row) r) FROM {original} o "
                "WHERE o.table_name = %s AND NOT o.removed AND o.columns = %s AND o.row_id = t.id",
                (table, columns),
            ).rowcount


def _new_call_statuses(conn: Connection) -> str:
    """The calls since the migration with a status the legacy schema lacks, in words
    ("" when there are none)."""
    rows = conn.execute(
        "SELECT id, status FROM call_logs WHERE status <> ALL(%s) ORDER BY id LIMIT %s",
        (list(LEGACY_CALL_STATUSES), SHOWN),
    ).fetchall()
    if not rows:
        return ""
    named = ", ".join(f"call_logs #{i} ({status})" for i, status in rows)
    return (
        "calls since the migration have statuses the legacy schema does not allow "
        f"({', '.join(LEGACY_CALL_STATUSES)}): {named}; change them (say, to ended)"
    )


def _detach(conn: Connection, report: RollbackReport) -> None:
    """Drop the triggers and the new indexes first, so that putting rows back is neither
    absorbed, re-pointed nor refused by them."""
    statements = [f"DROP TRIGGER IF EXISTS {name} ON {t}" for t in CHAT_TABLES for name in TRIGGERS]
    statements += [f"DROP INDEX IF EXISTS {key.index}" for key in UNIQUE_KEYS]
    statements += [f"DROP INDEX IF EXISTS {name}" for name, _ in PLAIN_INDEXES]
    _run(conn, report, statements)


def _contract(conn: Connection, report: RollbackReport) -> None:
    """Remove the rest the migration added, and make the profile columns required again."""
    statements = [
        f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {name}" for t, name, _, _ in FOREIGN_KEYS
    ]
    statements += [f"ALTER TABLE {t} DROP COLUMN IF EXISTS {c}" for t, c in NEW_COLUMNS]
    statements.append(
        f"ALTER TABLE call_logs DROP CONSTRAINT IF EXISTS {CALL_STATUS_CHECK}, "
        f"ADD CONSTRAINT {CALL_STATUS_CHECK} {call_status_check(LEGACY_CALL_STATUSES)}"
    )
    statements += [f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL" for t, c in PROFILE_COLUMNS]
    statements.append(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
    _run(conn, report, statements)


def _run(conn: Connection, report: RollbackReport, statements: list[str]) -> None:
    for statement in statements:
        conn.execute(statement)
    report.steps += statements


def rollback(conn: Connection, lock_timeout_ms: int = 5_000) -> RollbackReport:
    """Undo chatgate's migration (finished or not) on the database at `conn`, or refuse
    with RollbackRefused and change nothing."""
    require_legacy_schema(conn)
    if not ledger.has_ledger(conn):
        raise MigrationError(
            f"this database has no {SCHEMA} ledger: chatgate has not migrated it (or it was "
            "rolled back already); there is nothing to roll back"
        )
    report = RollbackReport()
    try:
        with conn.transaction():
            conn.execute(f"SET LOCAL lock_timeout = {lock_timeout_ms}")
            conn.execute(f"LOCK TABLE {', '.join(CHAT_TABLES)} IN SHARE ROW EXCLUSIVE MODE")
            problems = []
            unmapped = _map_back(conn, report)
            if unmapped:
                shown = "; ".join(unmapped[:SHOWN]) + (
                    f"; and {len(unmapped) - SHOWN} more" if len(unmapped) > SHOWN else ""
                )
                problems.append(
                    f"{len(unmapped)} rows written since the migration name a user but no "
                    f"profile, and no single profile of that user fits: {shown}; give each a "
                    "profile (or remove it)"
                )
            if statuses := _new_call_statuses(conn):
                problems.append(statuses)
            if problems:
                raise RollbackRefused(
                    f"rollback refused, nothing changed: {'. '.join(problems)}. "
                    "Then run rollback again"
                )
            _detach(conn, report)
            _restore(conn, report)
            _contract(conn, report)
    except errors.LockNotAvailable:
        raise MigrationError(
            f"rollback: the chat tables could not be locked within {lock_timeout_ms} ms (a long "
            "transaction holds them); nothing changed. Run it again once that has ended"
        ) from None
    except errors.IntegrityError as error:
        raise RollbackRefused(
            "rollback refused, nothing changed: putting the legacy rows back breaks a legacy "
            f"constraint: {error.diag.message_primary} ({error.diag.message_detail or 'no detail'})"
        ) from None
    return report
