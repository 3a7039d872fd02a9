"""What the migration tests read off a database: content and catalog digests, and rows."""

from __future__ import annotations

from typing import Any

import psycopg

from chatgate.reference.migration.legacy import LEGACY_TABLES


def content(url: str) -> dict[str, str]:
    """An md5 of every legacy table's rows (all columns) in id order."""
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t"
            ).fetchone()[0]
            for table in LEGACY_TABLES
        }


CATALOG = """
SELECT md5(string_agg(item, '|' ORDER BY item)) FROM (
    SELECT table_name || '.' || column_name || ':' || data_type || ':' || is_nullable || ':'
           || coalesce(column_default, '') AS item
    FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL SELECT indexname || ':' || indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL SELECT conname || ':' || pg_get_constraintdef(oid) || ':' || convalidated::text
    FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL SELECT tgname || ':' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%'
    UNION ALL SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
) catalog
"""


def catalog(url: str) -> str:
    """An md5 of the schema: columns, indexes, constraints, triggers, schemas, functions."""
    with psycopg.connect(url) as conn:
        return conn.execute(CATALOG).fetchone()[0]


def rows(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query, params).fetchall()


def one(url: str, query: str, params: Any = None) -> Any:
    found = rows(url, query, params)
    assert len(found) == 1, f"expected one row from {query!r}, got {found}"
    return found[0][0] if len(found[0]) == 1 else found[0]


def execute(url: str, query: str, params: Any = None) -> list[tuple[Any, ...]]:
    """Run a statement in its own committed transaction; returns what it returned."""
    with psycopg.connect(url, autocommit=True) as conn:
        cur = conn.execute(query, params)
        return cur.fetchall() if cur.description else []
