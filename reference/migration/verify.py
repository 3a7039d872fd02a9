"""The invariants a migrated database must hold, checked against the data itself (never
against facts that were true before the migration, the original test's flaw).

Most checks hold any team's migration to the user-keyed schema; the last two need
chatgate's own bookkeeping (its orphan report and its baseline) and are skipped,
saying so, where it is absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from .actors import ACTORS, owner_sql
from .changes import legacy_digest_sql
from .ddl import SCHEMA, UNIQUE_KEYS
from .legacy import CHAT_TABLES, require_legacy_schema

Connection = psycopg.Connection[Any]
SAMPLE = 5  # row ids named per breach


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""
    skipped: bool = False


@dataclass(frozen=True)
class Verification:
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def breaches(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def _columns(conn: Connection, table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s",
        (table,),
    ).fetchall()
    return {r[0] for r in rows}


def _unreported(actor_table: str, user_column: str) -> str:
    """SQL: the row `t` is not in the orphan report for `user_column`."""
    return (
        f"NOT EXISTS (SELECT 1 FROM {SCHEMA}.orphans o WHERE o.table_name = '{actor_table}' "
        f"AND o.row_id = t.id AND o.user_column = '{user_column}')"
    )


def _sample(conn: Connection, query: str) -> tuple[int, list[Any]]:
    """(rows a query finds, the first few of them)."""
    count = conn.execute(f"SELECT count(*) FROM ({query}) q").fetchone()[0]
    first = [r[0] for r in conn.execute(f"SELECT * FROM ({query}) q LIMIT {SAMPLE}").fetchall()]
    return int(count), first


def _has_bookkeeping(conn: Connection, table: str) -> bool:
    return bool(
        conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.{table}",)).fetchone()[0]
    )


def user_ids_match_profiles(conn: Connection) -> list[Check]:
    """Every user column exists and equals the user behind the row's profile, wherever
    that profile resolves."""
    checks = []
    for actor in ACTORS:
        name = f"{actor.label} is the user behind {actor.profile_type}/{actor.profile_id}"
        if actor.user_id not in _columns(conn, actor.table):
            checks.append(Check(name, False, f"column {actor.label} does not exist"))
            continue
        owner = owner_sql("t", actor)
        count, ids = _sample(
            conn,
            f"SELECT t.id FROM {actor.table} t WHERE {owner} IS NOT NULL "
            f"AND t.{actor.user_id} IS DISTINCT FROM {owner} ORDER BY t.id",
        )
        checks.append(
            Check(name, count == 0, f"{count} rows differ, e.g. ids {ids}" if count else "")
        )
    return checks


def no_silent_nulls(conn: Connection) -> list[Check]:
    """No row that names a profile is left without a user id, unless it is reported."""
    reported = _has_bookkeeping(conn, "orphans")
    checks = []
    for actor in ACTORS:
        if actor.user_id not in _columns(conn, actor.table):
            continue
        unreported = f"AND {_unreported(actor.table, actor.user_id)}" if reported else ""
        count, ids = _sample(
            conn,
            f"SELECT t.id FROM {actor.table} t WHERE t.{actor.user_id} IS NULL "
            f"AND t.{actor.profile_type} IS NOT NULL AND t.{actor.profile_type} <> 'system' "
            f"{unreported} ORDER BY t.id",
        )
        detail = f"{count} rows name a profile but have no user and no report, e.g. ids {ids}"
        checks.append(
            Check(f"no silent NULL in {actor.label}", count == 0, detail if count else "")
        )
    return checks


def no_duplicates(conn: Connection) -> list[Check]:
    """Nothing repeats under the user keys, and each user pair has one direct conversation."""
    checks = []
    for key in UNIQUE_KEYS:
        cols = ", ".join(key.columns)
        if not set(key.columns) <= _columns(conn, key.table):
            checks.append(
                Check(f"one row per ({cols}) in {key.table}", False, "key columns missing")
            )
            continue
        count, groups = _sample(
            conn,
            f"SELECT '(' || concat_ws(', ', {cols}) || ')' FROM {key.table} "
            f"GROUP BY {cols} HAVING count(*) > 1",
        )
        detail = f"{count} keys repeat, e.g. {groups}"
        checks.append(
            Check(f"one row per ({cols}) in {key.table}", count == 0, detail if count else "")
        )
    live = (
        "AND c.merged_into_id IS NULL"
        if "merged_into_id" in _columns(conn, "conversations")
        else ""
    )
    count, pairs = _sample(
        conn,
        "SELECT users FROM (SELECT c.id, array_agg(DISTINCT p.user_id ORDER BY p.user_id) AS users "
        "FROM conversations c JOIN conversation_participants p ON p.conversation_id = c.id "
        f"WHERE c.type = 'direct' {live} GROUP BY c.id HAVING count(DISTINCT p.user_id) = 2) d "
        "GROUP BY users HAVING count(*) > 1",
    )
    detail = f"{count} user pairs have several direct conversations, e.g. {pairs}"
    checks.append(
        Check("one direct conversation per user pair", count == 0, detail if count else "")
    )
    return checks


def indexes_in_place(conn: Connection) -> list[Check]:
    """A valid unique index backs every user key, and no index on a chat table is invalid."""
    checks = []
    for key in UNIQUE_KEYS:
        found = conn.execute(
            "SELECT bool_or(i.indisvalid) FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "WHERE t.relname = %s AND t.relnamespace = current_schema()::regnamespace "
            "AND i.indisunique AND i.indpred IS NULL AND ARRAY(SELECT a.attname::text FROM "
            "unnest(i.indkey) WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON "
            "a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n) = %s",
            (key.table, list(key.columns)),
        ).fetchone()[0]
        name = f"a unique index on {key.table} ({', '.join(key.columns)})"
        detail = "missing" if found is None else "present but INVALID"
        checks.append(Check(name, bool(found), "" if found else detail))
    invalid = conn.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "JOIN pg_class t ON t.oid = i.indrelid WHERE NOT i.indisvalid AND t.relname = ANY(%s) "
        "ORDER BY 1",
        (list(CHAT_TABLES),),
    ).fetchall()
    names = [r[0] for r in invalid]
    checks.append(
        Check("no invalid index on a chat table", not names, f"invalid: {names}" if names else "")
    )
    return checks


def orphans_reported(conn: Connection) -> list[Check]:
    """Every row whose profile is gone or has no user is in the orphan report."""
    if not _has_bookkeeping(conn, "orphans"):
        return [
            Check("every orphan reported", True, f"no {SCHEMA}.orphans report here", skipped=True)
        ]
    missing = 0
    examples: list[str] = []
    for actor in ACTORS:
        if actor.user_id not in _columns(conn, actor.table):
            continue
        count, ids = _sample(
            conn,
            f"SELECT t.id FROM {actor.table} t WHERE t.{actor.profile_type} IS NOT NULL "
            f"AND t.{actor.profile_type} <> 'system' AND {owner_sql('t', actor)} IS NULL "
            f"AND {_unreported(actor.table, actor.user_id)} ORDER BY t.id",
        )
        missing += count
        examples += [f"{actor.label} #{i}" for i in ids]
    detail = f"{missing} orphan rows are not reported, e.g. {examples[:SAMPLE]}"
    return [Check("every orphan reported", missing == 0, detail if missing else "")]


def content_preserved(conn: Connection) -> list[Check]:
    """Every row of the baseline is still there with its content, or was changed or
    removed by a policy whose original is kept (so rollback can restore it)."""
    if not _has_bookkeeping(conn, "checksums"):
        return [
            Check("content preserved", True, f"no {SCHEMA}.checksums baseline here", skipped=True)
        ]
    checks = []
    for table in CHAT_TABLES:
        count, ids = _sample(
            conn,
            f"SELECT b.row_id FROM {SCHEMA}.checksums b LEFT JOIN {table} t ON t.id = b.row_id "
            f"LEFT JOIN {SCHEMA}.original_rows o "
            "ON o.table_name = b.table_name AND o.row_id = b.row_id "
            f"WHERE b.table_name = '{table}' AND CASE "
            "WHEN o.row_id IS NOT NULL THEN "
            f"md5((o.row - 'created_by_user_id' - 'merged_into_id' - 'pinned_by_user_id')::text) "
            "<> b.digest OR (t.id IS NULL) <> o.removed "
            f"ELSE t.id IS NULL OR {legacy_digest_sql(table)} <> b.digest END ORDER BY b.row_id",
        )
        detail = f"{count} rows lost or changed without a kept original, e.g. ids {ids}"
        checks.append(Check(f"content of {table} preserved", count == 0, detail if count else ""))
    return checks


def verify(conn: Connection) -> Verification:
    """Every invariant, read-only."""
    require_legacy_schema(conn)
    checks: list[Check] = []
    for family in (
        user_ids_match_profiles,
        no_silent_nulls,
        no_duplicates,
        indexes_in_place,
        orphans_reported,
        content_preserved,
    ):
        checks += family(conn)
    return Verification(checks)
