"""Without a `postgres_schema` of their own, tests get an empty database."""

from __future__ import annotations

import psycopg


def test_without_a_schema_the_test_database_is_empty(postgres_database: str) -> None:
    with psycopg.connect(postgres_database) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
    assert tables == (0,)
