"""The migration's SQL that reads the legacy data: table sizes and the hard cases."""

from __future__ import annotations

from typing import Any

import psycopg

from .actors import ACTORS, Actor, owner_sql, profile_exists_sql, resolved_sql
from .legacy import LEGACY_TABLES

Connection = psycopg.Connection[Any]


def _actor(table: str, user_id: str) -> Actor:
    return next(a for a in ACTORS if a.table == table and a.user_id == user_id)


def row_counts(conn: Connection) -> dict[str, int]:
    """Rows per legacy table."""
    union = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM {t}" for t in LEGACY_TABLES)
    return {str(name): int(count) for name, count in conn.execute(union).fetchall()}


def _groups(conn: Connection, query: str) -> tuple[int, int]:
    """(groups, rows in them) of a query yielding one row per group with its size `n`."""
    groups, rows = conn.execute(f"SELECT count(*), coalesce(sum(n), 0) FROM ({query}) g").fetchone()
    return int(groups), int(rows)


def duplicate_settings(conn: Connection) -> tuple[int, int]:
    """Users with several chat_settings rows (one per profile), and those rows."""
    user = resolved_sql("t", _actor("chat_settings", "user_id"))
    return _groups(
        conn, f"SELECT {user}, count(*) n FROM chat_settings t GROUP BY 1 HAVING count(*) > 1"
    )


def duplicate_participants(conn: Connection) -> tuple[int, int]:
    """(conversation, user) pairs present through several profiles, and their rows."""
    user = resolved_sql("t", _actor("conversation_participants", "user_id"))
    return _groups(
        conn,
        f"SELECT t.conversation_id, {user}, count(*) n FROM conversation_participants t "
        "GROUP BY 1, 2 HAVING count(*) > 1",
    )


def duplicate_blocks(conn: Connection) -> tuple[int, int]:
    """(blocker, blocked) user pairs blocked several times across profiles, and the rows."""
    blocker = resolved_sql("t", _actor("blocked_chat_contacts", "blocker_user_id"))
    blocked = resolved_sql("t", _actor("blocked_chat_contacts", "blocked_user_id"))
    return _groups(
        conn,
        f"SELECT {blocker}, {blocked}, count(*) n FROM blocked_chat_contacts t "
        "GROUP BY 1, 2 HAVING count(*) > 1",
    )


def duplicate_reactions(conn: Connection) -> tuple[int, int]:
    """(message, user, reaction) given by several profiles of one user, and the rows."""
    user = resolved_sql("t", _actor("message_reactions", "user_id"))
    return _groups(
        conn,
        f"SELECT t.message_id, {user}, t.reaction, count(*) n FROM message_reactions t "
        "GROUP BY 1, 2, 3 HAVING count(*) > 1",
    )


def duplicate_receipts(conn: Connection) -> tuple[int, int]:
    """(message, user) read by several profiles of one user, and the rows."""
    user = resolved_sql("t", _actor("message_read_receipts", "user_id"))
    return _groups(
        conn,
        f"SELECT t.message_id, {user}, count(*) n FROM message_read_receipts t "
        "GROUP BY 1, 2 HAVING count(*) > 1",
    )


def _direct_pairs(cardinality: int) -> str:
    user = resolved_sql("t", _actor("conversation_participants", "user_id"))
    return (
        "SELECT c.id, array_agg(DISTINCT r.user_id ORDER BY r.user_id) users FROM conversations c "
        f"JOIN (SELECT t.conversation_id, {user} AS user_id FROM conversation_participants t) r "
        "ON r.conversation_id = c.id WHERE c.type = 'direct' GROUP BY c.id "
        f"HAVING count(DISTINCT r.user_id) = {cardinality}"
    )


def duplicate_direct_conversations(conn: Connection) -> tuple[int, int]:
    """User pairs with several direct conversations (through different profiles), and
    those conversations."""
    return _groups(
        conn,
        f"SELECT users, count(*) n FROM ({_direct_pairs(2)}) p GROUP BY users HAVING count(*) > 1",
    )


def self_conversations(conn: Connection) -> int:
    """Direct conversations whose two profiles belong to one user (legacy self chats)."""
    return int(conn.execute(f"SELECT count(*) FROM ({_direct_pairs(1)}) p").fetchone()[0])


def orphans(conn: Connection) -> dict[str, tuple[int, int]]:
    """Per actor column: (rows whose profile row is gone, rows whose profile has no user)."""
    found: dict[str, tuple[int, int]] = {}
    for actor in ACTORS:
        exists, owner = profile_exists_sql("t", actor), owner_sql("t", actor)
        gone, userless = conn.execute(
            f"SELECT count(*) FILTER (WHERE NOT {exists}), "
            f"count(*) FILTER (WHERE {exists} AND {owner} IS NULL) FROM {actor.table} t "
            f"WHERE t.{actor.profile_type} IS NOT NULL AND t.{actor.profile_type} <> 'system'"
        ).fetchone()
        found[actor.label] = (int(gone), int(userless))
    return found


def stale_user_ids(conn: Connection) -> dict[str, int]:
    """Per legacy user column: rows whose stored user is not the user behind the profile."""
    found: dict[str, int] = {}
    for actor in ACTORS:
        if actor.added:
            continue
        owner = owner_sql("t", actor)
        (count,) = conn.execute(
            f"SELECT count(*) FROM {actor.table} t "
            f"WHERE {owner} IS NOT NULL AND {owner} <> t.{actor.user_id}"
        ).fetchone()
        found[actor.label] = int(count)
    return found
