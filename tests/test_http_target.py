"""The features run unchanged against a backend over real HTTP: here the reference
backend served by uvicorn on loopback, talking to the standalone fake Stream, and
the seed's fixed-wait algorithm served the same way, which they must catch."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.fixtures.logs import attached, record_fields
from chatgate.fixtures.targets.mutants import MUTANTS
from chatgate.fixtures.targets.runner import ScenarioResult, run_features
from chatgate.fixtures.targets.stream_side import DEFAULT_NAMING
from chatgate.naming import StreamNaming
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer
from chatgate.reference.http.auth import DEV_AUTH_SECRET
from chatgate.reference.http.server import ReferenceServer, reference_database, serving_reference
from chatgate.reference.sync.service import ConversationService

LOG_SCENARIO = "Creating a conversation logs each step of the sync"
ACME = StreamNaming("acme-{kind}-{id}", "team")
ACME_OPTIONS = ("--stream-user-id-format", ACME.user_id_format, "--channel-type", ACME.channel_type)
BACKEND_LOGGER = "chatgate.reference"


class _JsonLines(logging.Formatter):
    """One JSON object a line: the message plus the record's structured extras."""

    def format(self, record: logging.LogRecord) -> str:
        fields = record_fields(record)
        return json.dumps({"level": record.levelname, "message": record.getMessage(), **fields})


@pytest.fixture
def backend_log(tmp_path: Path) -> Iterator[Path]:
    """The served backend's log, as JSON lines in a file (what `--backend-log` reads)."""
    path = tmp_path / "backend.jsonl"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(_JsonLines())
    try:
        with attached(BACKEND_LOGGER, handler, logging.INFO):
            yield path
    finally:
        handler.close()


def _serve(
    postgres_server: PostgresServer,
    fake_stream_server: FakeStreamServer,
    service_class: type[ConversationService],
    naming: StreamNaming = DEFAULT_NAMING,
) -> Iterator[ReferenceServer]:
    # The backend's own waits are real here (its default retry policy), as in production:
    # over HTTP the scenarios read them off the fake's journal.
    with (
        reference_database(postgres_server) as database_url,
        serving_reference(
            database_url,
            fake_stream_server.client(),
            auth_secret=DEV_AUTH_SECRET,
            test_mode=True,
            service_class=service_class,
            naming=naming,
        ) as server,
    ):
        yield server


@pytest.fixture
def backend(
    postgres_server: PostgresServer, fake_stream_server: FakeStreamServer
) -> Iterator[ReferenceServer]:
    yield from _serve(postgres_server, fake_stream_server, ConversationService)


@pytest.fixture
def seed_backend(
    postgres_server: PostgresServer, fake_stream_server: FakeStreamServer
) -> Iterator[ReferenceServer]:
    """The seed's algorithm (a fixed 1 s wait, one blind retry), served over HTTP."""
    yield from _serve(postgres_server, fake_stream_server, MUTANTS["seed-fixed-wait"].service)


@pytest.fixture
def acme_backend(
    postgres_server: PostgresServer, fake_stream_server: FakeStreamServer
) -> Iterator[ReferenceServer]:
    """The reference naming its people `acme-<kind>-<id>` in channels of type `team`."""
    yield from _serve(postgres_server, fake_stream_server, ConversationService, ACME)


def _run(
    server: ReferenceServer,
    fake_stream_server: FakeStreamServer,
    postgres_server: PostgresServer,
    *options: str,
) -> list[ScenarioResult]:
    return run_features(
        [server.base_url],
        options=[f"--stream-url={fake_stream_server.base_url}", *options],
        env={DATABASE_URL_ENV: postgres_server.url},
    )


def test_every_scenario_passes_over_http_reading_the_backends_log_file(
    backend: ReferenceServer,
    fake_stream_server: FakeStreamServer,
    postgres_server: PostgresServer,
    backend_log: Path,
) -> None:
    results = _run(backend, fake_stream_server, postgres_server, f"--backend-log={backend_log}")
    failed = sorted(r.name for r in results if r.status == "failed")
    skipped = sorted(r.name for r in results if r.status == "skipped")
    assert (failed, skipped) == ([], [])
    assert len(results) >= 58
    assert {r.target for r in results} == {backend.base_url}


def test_without_the_backends_log_only_the_log_scenario_skips(
    backend: ReferenceServer, fake_stream_server: FakeStreamServer, postgres_server: PostgresServer
) -> None:
    results = _run(backend, fake_stream_server, postgres_server, "-m", "logs or failure")
    skipped = {r.name for r in results if r.status == "skipped"}
    failed = sorted(r.name for r in results if r.status == "failed")
    assert (failed, skipped) == ([], {LOG_SCENARIO})


def test_a_backend_that_waits_a_fixed_second_fails_over_http(
    seed_backend: ReferenceServer,
    fake_stream_server: FakeStreamServer,
    postgres_server: PostgresServer,
) -> None:
    results = _run(seed_backend, fake_stream_server, postgres_server, "-m", "failure")
    failed = {r.name for r in results if r.status == "failed"}
    assert set(MUTANTS["seed-fixed-wait"].killed_by) <= failed, failed


def test_an_http_target_without_the_fake_streams_url_is_a_usage_error() -> None:
    with pytest.raises(RuntimeError, match="needs --stream-url"):
        run_features(["http://127.0.0.1:9"])


def test_a_backend_with_another_naming_passes_under_that_naming_and_only_that(
    acme_backend: ReferenceServer,
    fake_stream_server: FakeStreamServer,
    postgres_server: PostgresServer,
) -> None:
    chosen = "company_to_user or matrix or listing"
    under_its_naming = _run(
        acme_backend, fake_stream_server, postgres_server, "-m", chosen, *ACME_OPTIONS
    )
    assert sorted(r.name for r in under_its_naming if r.status != "passed") == []
    under_the_default = _run(
        acme_backend, fake_stream_server, postgres_server, "-m", "company_to_user"
    )
    assert {r.status for r in under_the_default} == {"failed"}
