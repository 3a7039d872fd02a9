"""The pytest fixtures as a user meets them: a real database per test, built from a template."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from chatgate.postgres import PostgresServer, SchemaInitialiser

schema_runs: list[str] = []
SEEN: dict[str, str] = {}


def build_accounts(conn: psycopg.Connection[Any]) -> None:
    """The schema every database of this module starts with."""
    schema_runs.append(conn.info.dbname)
    conn.execute("CREATE TABLE accounts (id int PRIMARY KEY, name text NOT NULL)")
    conn.execute("INSERT INTO accounts VALUES (1, 'seed')")


@pytest.fixture(scope="module")
def postgres_schema() -> SchemaInitialiser:
    return build_accounts


def table_exists(conn: psycopg.Connection[Any], name: str) -> bool:
    return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (name,)).fetchone() == (True,)


def test_a_table_created_in_one_test_database(postgres_database: str) -> None:
    with psycopg.connect(postgres_database) as conn:
        conn.execute("CREATE TABLE leftover (x int)")
        conn.execute("INSERT INTO accounts VALUES (2, 'written by the first test')")
    SEEN["first"] = conn_dbname(postgres_database)


def test_is_absent_from_the_next_test_database(
    postgres_database: str, postgres_server: PostgresServer
) -> None:
    with psycopg.connect(postgres_database) as conn:
        assert not table_exists(conn, "leftover")
        assert conn.execute("SELECT id, name FROM accounts").fetchall() == [(1, "seed")]
    first = SEEN.get("first")
    if first is not None:  # the first test ran: its database has been dropped since
        assert first != conn_dbname(postgres_database)
        with postgres_server.connect(autocommit=True) as admin:
            gone = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (first,))
            assert gone.fetchone() is None


def test_the_template_schema_is_in_every_test_database(postgres_database: str) -> None:
    with psycopg.connect(postgres_database) as conn:
        assert table_exists(conn, "accounts")
        assert conn.execute("SELECT name FROM accounts WHERE id = 1").fetchone() == ("seed",)


def test_the_schema_initialiser_runs_once_for_all_test_databases(
    postgres_database: str, postgres_template: str
) -> None:
    assert schema_runs == [postgres_template]
    assert conn_dbname(postgres_database) != postgres_template


def test_a_test_database_accepts_writes_and_transactions(postgres_database: str) -> None:
    with psycopg.connect(postgres_database) as conn:
        with conn.transaction():
            conn.execute("INSERT INTO accounts VALUES (3, 'committed')")
        with pytest.raises(psycopg.errors.UniqueViolation), conn.transaction():
            conn.execute("INSERT INTO accounts VALUES (3, 'duplicate')")
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (2,)


def test_connections_left_open_by_a_test_do_not_block_its_cleanup(
    postgres_server: PostgresServer,
) -> None:
    name = postgres_server.create_database(template=postgres_server.template(build_accounts))
    forgotten = psycopg.connect(postgres_server.url_for(name))
    try:
        postgres_server.drop_database(name)
        assert name not in postgres_server.created_databases
    finally:
        forgotten.close()


def conn_dbname(url: str) -> str:
    return str(conninfo_to_dict(url)["dbname"])
