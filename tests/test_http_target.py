"""The features run unchanged against a backend over real HTTP: here the reference
backend served by uvicorn on loopback, talking to the standalone fake Stream."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.fixtures.targets.runner import run_features
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer
from chatgate.reference.http.auth import DEV_AUTH_SECRET
from chatgate.reference.http.server import ReferenceServer, build_api
from chatgate.reference.sync.retry import RetryPolicy
from chatgate.reference.sync.schema import apply_schema

# What a remote backend does not show the harness: its waits and its logs.
IN_PROCESS_ONLY = {
    "A rate limit is waited out until Stream's window resets",
    "New users that Stream shows late are absorbed without a fixed wait",
    "Creating a conversation logs each step of the sync",
}


@pytest.fixture
def backend(
    postgres_server: PostgresServer, fake_stream_server: FakeStreamServer
) -> Iterator[ReferenceServer]:
    database = postgres_server.create_database(template=postgres_server.template(apply_schema))
    api = build_api(
        postgres_server.url_for(database),
        fake_stream_server.client(),
        auth_secret=DEV_AUTH_SECRET,
        test_mode=True,
        retry=RetryPolicy(sleep=lambda _: None),  # its backoff is not what this test is about
    )
    try:
        with ReferenceServer(api) as server:
            yield server
    finally:
        postgres_server.drop_database(database)


def test_every_scenario_runs_against_a_backend_over_http(
    backend: ReferenceServer, fake_stream_server: FakeStreamServer, postgres_server: PostgresServer
) -> None:
    results = run_features(
        [backend.base_url],
        options=[f"--stream-url={fake_stream_server.base_url}"],
        env={DATABASE_URL_ENV: postgres_server.url},
    )
    failed = sorted(r.name for r in results if r.status == "failed")
    skipped = {r.name for r in results if r.status == "skipped"}
    assert failed == []
    assert skipped == IN_PROCESS_ONLY
    assert len(results) >= 40
    assert {r.target for r in results} == {backend.base_url}


def test_an_http_target_without_the_fake_streams_url_is_a_usage_error() -> None:
    with pytest.raises(RuntimeError, match="needs --stream-url"):
        run_features(["http://127.0.0.1:9"])
