"""The SQL that changes rows: the verify baseline, the backfill batches and the
de-duplication policies. Each function runs inside the caller's transaction; before
a legacy row is changed or removed, its original goes to `original_rows`, which is
what makes rollback exact."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from .actors import Actor, owner_sql, profile_exists_sql, resolved_sql
from .ddl import NEW_COLUMNS, SCHEMA

Connection = psycopg.Connection[Any]

_NEW = {table: [c for t, c in NEW_COLUMNS if t == table] for table, _ in NEW_COLUMNS}


def legacy_digest_sql(table: str, alias: str = "t") -> str:
    """SQL for a digest of a row's legacy columns (the columns the migration adds left out)."""
    dropped = "".join(f" - '{c}'" for c in _NEW.get(table, []))
    return f"md5((to_jsonb({alias}){dropped})::text)"


def _remember(
    conn: Connection,
    table: str,
    ids_sql: str,
    params: dict[str, Any],
    reason: str,
    *,
    columns: tuple[str, ...] = (),
    removed: bool = False,
) -> None:
    """Keep the rows `ids_sql` selects as they are now, before the migration changes
    `columns` of them (or removes them). A row kept before keeps its first image; the
    columns add up."""
    original = f"{SCHEMA}.original_rows"
    conn.execute(
        f"INSERT INTO {original} (table_name, row_id, row, columns, reason, removed) "
        f"SELECT '{table}', t.id, to_jsonb(t), %(columns)s, %(reason)s, %(removed)s "
        f"FROM {table} t WHERE t.id IN ({ids_sql}) "
        "ON CONFLICT (table_name, row_id) DO UPDATE SET "
        f"removed = excluded.removed OR {original}.removed, "
        f"columns = ARRAY(SELECT DISTINCT unnest({original}.columns || excluded.columns) "
        "ORDER BY 1)",
        {**params, "columns": list(columns), "reason": reason, "removed": removed},
    )


def id_bounds(conn: Connection, table: str) -> tuple[int, int]:
    low, high = conn.execute(
        f"SELECT coalesce(min(id), 0), coalesce(max(id), 0) FROM {table}"
    ).fetchone()
    return int(low), int(high)


def snapshot(conn: Connection, table: str, low: int, high: int) -> int:
    """Record the legacy digest of rows `low..high` (first time only)."""
    return conn.execute(
        f"INSERT INTO {SCHEMA}.checksums (table_name, row_id, digest) "
        f"SELECT '{table}', t.id, {legacy_digest_sql(table)} FROM {table} t "
        "WHERE t.id BETWEEN %s AND %s ON CONFLICT DO NOTHING",
        (low, high),
    ).rowcount


def backfill(conn: Connection, actor: Actor, low: int, high: int) -> int:
    """Give rows `low..high` the user behind their profile; report the orphans.

    Legacy user columns are corrected where the profile's user differs (rare: stale
    rows); new columns are filled from the profile, or from the conversation's
    participant row of that profile when the profile no longer resolves."""
    table, user = actor.table, actor.user_id
    owner, in_range = owner_sql("t", actor), "t.id BETWEEN %(low)s AND %(high)s"
    params = {"low": low, "high": high}
    if actor.added:
        changed = conn.execute(
            f"UPDATE {table} t SET {user} = {resolved_sql('t', actor)} WHERE {in_range} "
            f"AND t.{user} IS NULL AND t.{actor.profile_type} IS NOT NULL "
            f"AND {resolved_sql('t', actor)} IS NOT NULL",
            params,
        ).rowcount
    else:
        stale = f"SELECT t.id FROM {table} t WHERE {in_range} AND {owner} <> t.{user}"
        reason = "user id corrected to the profile's user"
        _remember(conn, table, stale, params, reason, columns=(user,))
        changed = conn.execute(
            f"UPDATE {table} t SET {user} = {owner} WHERE {in_range} AND {owner} <> t.{user}",
            params,
        ).rowcount
    exists = profile_exists_sql("t", actor)
    conn.execute(
        f"INSERT INTO {SCHEMA}.orphans (table_name, row_id, user_column, profile_type, profile_id, "
        "kept_user_id, reason) "
        f"SELECT '{table}', t.id, '{user}', t.{actor.profile_type}, t.{actor.profile_id}, "
        f"{resolved_sql('t', actor)}, "
        f"CASE WHEN {exists} THEN 'profile has no user' ELSE 'profile row is gone' END "
        f"FROM {table} t WHERE {in_range} AND t.{actor.profile_type} IS NOT NULL "
        f"AND t.{actor.profile_type} <> 'system' AND {owner} IS NULL ON CONFLICT DO NOTHING",
        params,
    )
    return changed


@dataclass(frozen=True)
class Collapse:
    """A de-duplication policy: rows sharing `key` become one; the first by `keep_order`
    stays and takes the `merged` values (SQL aggregates over the group, as `g`)."""

    name: str
    table: str
    key: tuple[str, ...]
    keep_order: str
    merged: dict[str, str]


def _restrictive(column: str, ranks: tuple[str, ...]) -> str:
    """The most restrictive value of `column` in the group (unknown values rank highest)."""
    array = "ARRAY[" + ", ".join(f"'{r}'" for r in ranks) + "]::text[]"
    rank = f"coalesce(array_position({array}, g.{column}::text), 99)"
    return f"(array_agg(g.{column} ORDER BY {rank} DESC, g.id))[1]"


_AUDIENCE = ("everyone", "connections", "none")
_VISIBILITY = ("everyone", "connections", "nobody")

COLLAPSES = (
    Collapse(
        "participants",
        "conversation_participants",
        ("conversation_id", "user_id"),
        "joined_at NULLS LAST, id",
        {
            "role": "CASE WHEN bool_or(g.role = 'admin') THEN 'admin' ELSE 'member' END",
            "is_muted": "bool_or(g.is_muted)",
            "is_pinned": "bool_or(g.is_pinned)",
            "is_active": "bool_or(g.is_active)",
            "joined_at": "min(g.joined_at)",
            "left_at": "CASE WHEN bool_or(g.is_active) THEN NULL ELSE max(g.left_at) END",
            "last_read_at": "max(g.last_read_at)",
            "last_read_message_id": "max(g.last_read_message_id)",
            "chat_cleared_at": "max(g.chat_cleared_at)",
        },
    ),
    Collapse(
        "blocks",
        "blocked_chat_contacts",
        ("blocker_user_id", "blocked_user_id"),
        "blocked_at NULLS LAST, id",
        {},
    ),
    Collapse(
        "reactions",
        "message_reactions",
        ("message_id", "user_id", "reaction"),
        "created_at NULLS LAST, id",
        {},
    ),
    Collapse(
        "receipts", "message_read_receipts", ("message_id", "user_id"), "read_at NULLS LAST, id", {}
    ),
    Collapse(
        "settings",
        "chat_settings",
        ("user_id",),
        "updated_at DESC NULLS LAST, id DESC",
        {
            "who_can_message": _restrictive("who_can_message", _AUDIENCE),
            "allow_calls_from": _restrictive("allow_calls_from", _AUDIENCE),
            "allow_group_adds": _restrictive("allow_group_adds", _AUDIENCE),
            "allow_channel_adds": _restrictive("allow_channel_adds", _AUDIENCE),
            "last_seen_visibility": _restrictive("last_seen_visibility", _VISIBILITY),
            "profile_photo_visibility": _restrictive("profile_photo_visibility", _VISIBILITY),
            "about_visibility": _restrictive("about_visibility", _VISIBILITY),
            "groups_visibility": _restrictive("groups_visibility", _VISIBILITY),
            "read_receipts": "bool_and(g.read_receipts)",
            "online_status": "bool_and(g.online_status)",
            "typing_indicators": "bool_and(g.typing_indicators)",
            "block_screenshots": "bool_or(g.block_screenshots)",
            "disable_forwarding": "bool_or(g.disable_forwarding)",
            "hide_phone_number": "bool_or(g.hide_phone_number)",
            "hide_email": "bool_or(g.hide_email)",
        },
    ),
)


def collapse_batch(conn: Connection, policy: Collapse, groups: int) -> int:
    """Collapse up to `groups` duplicate groups; returns the rows removed (0: done)."""
    key = ", ".join(policy.key)
    found = conn.execute(
        f"SELECT array_agg(id ORDER BY {policy.keep_order}) FROM {policy.table} "
        f"WHERE {' AND '.join(f'{c} IS NOT NULL' for c in policy.key)} "
        f"GROUP BY {key} HAVING count(*) > 1 LIMIT %s",
        (groups,),
    ).fetchall()
    removed = 0
    for (ids,) in found:
        keep, others = ids[0], ids[1:]
        reason = f"collapsed by the {policy.name} policy into row {keep}"
        unnested = "SELECT unnest(%(others)s::int[])"
        _remember(conn, policy.table, unnested, {"others": others}, reason, removed=True)
        if policy.merged:
            merged = f"merged by the {policy.name} policy"
            columns = tuple(policy.merged)
            _remember(conn, policy.table, "%(keep)s", {"keep": keep}, merged, columns=columns)
            sets = ", ".join(f"{column} = a.{column}" for column in policy.merged)
            aggregates = ", ".join(f"{expr} AS {column}" for column, expr in policy.merged.items())
            conn.execute(
                f"UPDATE {policy.table} k SET {sets} FROM (SELECT {aggregates} "
                f"FROM {policy.table} g WHERE g.id = ANY(%(ids)s)) a WHERE k.id = %(keep)s",
                {"ids": ids, "keep": keep},
            )
        removed += conn.execute(
            f"DELETE FROM {policy.table} WHERE id = ANY(%s)", (others,)
        ).rowcount
    return removed


_DIRECT_DUPLICATES = (
    "WITH pairs AS (SELECT c.id, array_agg(DISTINCT p.user_id ORDER BY p.user_id) AS users "
    "FROM conversations c JOIN conversation_participants p ON p.conversation_id = c.id "
    "WHERE c.type = 'direct' AND c.merged_into_id IS NULL GROUP BY c.id "
    "HAVING count(DISTINCT p.user_id) = 2) "
    "SELECT array_agg(id ORDER BY id) FROM pairs GROUP BY users HAVING count(*) > 1 LIMIT %s"
)
REPOINTED = ("chat_messages", "call_logs")


def merge_direct_batch(conn: Connection, groups: int) -> int:
    """Merge up to `groups` sets of direct conversations of one user pair into the
    oldest: their messages and call logs move to it (reactions and receipts follow
    the messages); the others stay, marked `merged_into_id`. Returns the merged count."""
    merged = 0
    for (ids,) in conn.execute(_DIRECT_DUPLICATES, (groups,)).fetchall():
        keep, others = ids[0], ids[1:]
        for table in REPOINTED:
            moving = f"SELECT id FROM {table} WHERE conversation_id = ANY(%(others)s)"
            reason = f"moved into conversation {keep}"
            params = {"others": others}
            _remember(conn, table, moving, params, reason, columns=("conversation_id",))
            conn.execute(
                f"UPDATE {table} SET conversation_id = %s WHERE conversation_id = ANY(%s)",
                (keep, others),
            )
        conn.execute(
            f"INSERT INTO {SCHEMA}.merged_conversations (conversation_id, merged_into) "
            "SELECT unnest(%s::int[]), %s ON CONFLICT DO NOTHING",
            (others, keep),
        )
        conn.execute(
            "UPDATE conversations SET merged_into_id = %s WHERE id = ANY(%s)", (keep, others)
        )
        merged += len(others)
    return merged
