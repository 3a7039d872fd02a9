"""Choosing the PostgreSQL provider, and what the server handle may touch.

The selection tests inject fakes only for the probes and starters of the providers they
are not about; everything that talks to PostgreSQL talks to a real server (the session's).
"""

from __future__ import annotations

from collections.abc import Mapping

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from chatgate.postgres import (
    DATABASE_URL_ENV,
    PROVIDER_ENV,
    PostgresServer,
    PostgresUnavailable,
    ProviderFailed,
    connect_to_url,
    default_providers,
    docker_provider,
    embedded_provider,
    env_provider,
    get_postgres,
)
from chatgate.postgres.conninfo import with_database
from chatgate.postgres.container import probe_docker, start_container

UNREACHABLE_DOCKER = "unix:///nonexistent/chatgate-test/docker.sock"


class Recorder:
    """A starter that must not be reached, or that fails with a given reason."""

    def __init__(self, reason: str | None = None) -> None:
        self.calls = 0
        self.reason = reason

    def __call__(self, _environ: Mapping[str, str] | None = None) -> PostgresServer:
        self.calls += 1
        raise ProviderFailed(self.reason or "this starter should not have been called")


def docker_unreachable() -> None:
    raise ProviderFailed(f"no Docker engine answers at {UNREACHABLE_DOCKER}")


def database_exists(server: PostgresServer, name: str) -> bool:
    with server.connect(autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


# -- selection ---------------------------------------------------------------------------


def test_database_url_wins_over_docker_and_embedded(postgres_server: PostgresServer) -> None:
    environ = {DATABASE_URL_ENV: postgres_server.url}
    docker_start, embedded_start = Recorder(), Recorder()
    providers = [
        env_provider(environ),
        docker_provider(environ, probe=lambda: None, start=docker_start),
        embedded_provider(environ, start=embedded_start),
    ]

    with get_postgres(providers) as server:
        assert server.source == "env"
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)

    assert docker_start.calls == 0
    assert embedded_start.calls == 0


def test_unreachable_docker_falls_through_to_embedded(postgres_server: PostgresServer) -> None:
    environ: dict[str, str] = {}
    started: list[Mapping[str, str]] = []

    def embedded_start(env: Mapping[str, str]) -> PostgresServer:
        started.append(env)
        return PostgresServer(url=postgres_server.url, source="embedded")

    providers = [
        env_provider(environ),
        docker_provider(environ, probe=docker_unreachable, start=Recorder()),
        embedded_provider(environ, start=embedded_start),
    ]

    with get_postgres(providers) as server:
        assert server.source == "embedded"
        outcomes = {a.provider: a.outcome for a in server.attempts}
        assert outcomes == {"env": "skipped", "docker": "failed", "embedded": "used"}
        assert "no Docker engine answers" in server.describe()
    assert len(started) == 1


def test_without_a_docker_engine_the_default_order_starts_embedded_postgres(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", UNREACHABLE_DOCKER)
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.delenv(PROVIDER_ENV, raising=False)

    with get_postgres() as server:
        assert server.source == "embedded"
        assert [a.outcome for a in server.attempts] == ["skipped", "failed", "used"]
        assert "no Docker engine answers" in str(server.attempts[1])
        assert server.describe().startswith(f"using embedded PostgreSQL {server.version} at ")
        with psycopg.connect(server.url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)


def test_the_docker_probe_says_which_engine_did_not_answer() -> None:
    with pytest.raises(ProviderFailed, match="no Docker engine answers at unix:///nonexistent"):
        probe_docker(UNREACHABLE_DOCKER, timeout=2)


@pytest.mark.docker
def test_with_a_docker_engine_the_container_provider_gives_a_working_server() -> None:
    try:
        probe_docker()
    except ProviderFailed as exc:
        pytest.skip(str(exc))

    with start_container() as server:
        assert server.source == "docker"
        template = server.template(lambda conn: conn.execute("CREATE TABLE t (x int)"))
        clone = server.create_database(template=template)
        with psycopg.connect(server.url_for(clone)) as conn:
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)


def test_when_everything_fails_one_error_lists_each_option_and_why() -> None:
    environ: dict[str, str] = {}
    providers = [
        env_provider(environ),
        docker_provider(environ, probe=docker_unreachable, start=Recorder()),
        embedded_provider(environ, start=Recorder("initdb exited 1: disk full")),
    ]

    with pytest.raises(PostgresUnavailable) as caught:
        get_postgres(providers)

    message = str(caught.value)
    assert f"env: skipped ({DATABASE_URL_ENV} is not set)" in message
    assert f"docker: failed (no Docker engine answers at {UNREACHABLE_DOCKER})" in message
    assert "embedded: failed (initdb exited 1: disk full)" in message
    assert [a.provider for a in caught.value.attempts] == ["env", "docker", "embedded"]


def test_a_broken_database_url_is_reported_without_its_password_and_nothing_else_runs() -> None:
    environ = {DATABASE_URL_ENV: "postgresql://app:s3cret-pw@127.0.0.1:1/app"}
    docker_start, embedded_start = Recorder(), Recorder()
    providers = [
        env_provider(environ),
        docker_provider(environ, probe=lambda: None, start=docker_start),
        embedded_provider(environ, start=embedded_start),
    ]

    with pytest.raises(PostgresUnavailable) as caught:
        get_postgres(providers)

    message = str(caught.value)
    assert "env: failed (cannot connect to app@127.0.0.1:1/app" in message
    assert "s3cret-pw" not in message
    assert "docker: skipped (not tried" in message
    assert docker_start.calls == 0
    assert embedded_start.calls == 0


def test_provider_variable_limits_the_choice_to_embedded() -> None:
    providers = default_providers({PROVIDER_ENV: "embedded"})
    docker = next(p for p in providers if p.name == "docker")

    with pytest.raises(PostgresUnavailable) as caught:
        get_postgres([docker])

    assert f"docker: skipped ({PROVIDER_ENV}=embedded)" in str(caught.value)


def test_an_unknown_provider_name_is_rejected() -> None:
    with pytest.raises(ValueError, match="expected one of docker, embedded"):
        default_providers({PROVIDER_ENV: "sqlite"})


# -- what a handle on the user's own server may touch --------------------------------------


def test_database_url_handle_never_drops_databases_it_did_not_create(
    postgres_server: PostgresServer,
) -> None:
    own = "app_users_own_db"
    with postgres_server.connect(autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{own}"')
        conn.execute(f'CREATE DATABASE "{own}"')
    try:
        handle = connect_to_url(postgres_server.url_for(own))
        created = handle.create_database()
        template = handle.template(lambda conn: conn.execute("CREATE TABLE t (x int)"))
        clone = handle.create_database(template=template)

        with pytest.raises(ValueError, match="not created by this chatgate server handle"):
            handle.drop_database(own)
        handle.stop()

        assert all(n.startswith("chatgate_") for n in (created, template, clone))
        assert database_exists(postgres_server, own)
        assert not any(database_exists(postgres_server, n) for n in (created, template, clone))
    finally:
        with postgres_server.connect(autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{own}" WITH (FORCE)')


def test_a_database_url_role_without_createdb_is_refused_with_the_reason(
    postgres_server: PostgresServer,
) -> None:
    with postgres_server.connect(autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS chatgate_test_nocreatedb")
        conn.execute("CREATE ROLE chatgate_test_nocreatedb LOGIN PASSWORD 'pw' NOCREATEDB")
    try:
        url = make_conninfo(postgres_server.url, user="chatgate_test_nocreatedb", password="pw")
        with pytest.raises(ProviderFailed, match="may not create databases"):
            connect_to_url(url)
    finally:
        with postgres_server.connect(autocommit=True) as conn:
            conn.execute("DROP ROLE chatgate_test_nocreatedb")


def test_describe_names_source_version_and_address_but_not_the_password(
    postgres_server: PostgresServer,
) -> None:
    text = postgres_server.describe()
    password = conninfo_to_dict(postgres_server.url).get("password")

    assert text.startswith(f"using {postgres_server.source} PostgreSQL {postgres_server.version}")
    if password:
        assert password not in text


def test_test_database_urls_keep_the_users_credentials_and_options() -> None:
    url = "postgresql://app:pw@db.example:6432/app?sslmode=require&dbname=app"
    dsn = "host=db.example port=6432 user=app dbname=app sslmode=require"

    assert with_database(url, "chatgate_x_1") == (
        "postgresql://app:pw@db.example:6432/chatgate_x_1?sslmode=require"
    )
    assert conninfo_to_dict(with_database(dsn, "chatgate_x_1")) == {
        "host": "db.example",
        "port": "6432",
        "user": "app",
        "dbname": "chatgate_x_1",
        "sslmode": "require",
    }
