"""Pointing the scenarios at an http target that is not ready stops the session once,
before any scenario, with one message saying what is wrong and how to fix it; a ready
one runs under stable test ids, and a short Stream secret is said once.

Real servers on loopback: the standalone fake Stream and the reference over HTTP."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from stream_chat import StreamChat

from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.fixtures.targets.preflight import PREFLIGHT_FAILED
from chatgate.fixtures.targets.runner import features_dir
from chatgate.fixtures.targets.stream_side import short_secret_quiet
from chatgate.postgres import PostgresServer
from chatgate.reference.http.auth import DEV_AUTH_SECRET
from chatgate.reference.http.server import reference_database, serving_reference

pytest_plugins = ["pytester"]

ONE_SCENARIO = "A user token names the user"
SHORT_KEY, SHORT_SECRET = "short-secret-app", "tiny"


def _serve(postgres: PostgresServer, stream: StreamChat, *, test_mode: bool) -> Iterator[str]:
    with (
        reference_database(postgres) as database_url,
        serving_reference(
            database_url, stream, auth_secret=DEV_AUTH_SECRET, test_mode=test_mode
        ) as server,
    ):
        yield server.base_url


@pytest.fixture(scope="module")
def backend(
    postgres_server: PostgresServer, fake_stream_server_session: FakeStreamServer
) -> Iterator[str]:
    """The reference in test mode, on the fake's default app."""
    yield from _serve(postgres_server, fake_stream_server_session.client(), test_mode=True)


@pytest.fixture(scope="module")
def backend_without_test_mode(
    postgres_server: PostgresServer, fake_stream_server_session: FakeStreamServer
) -> Iterator[str]:
    yield from _serve(postgres_server, fake_stream_server_session.client(), test_mode=False)


@pytest.fixture(scope="module")
def short_secret_backend(
    postgres_server: PostgresServer, fake_stream_server_session: FakeStreamServer
) -> Iterator[str]:
    """The reference in test mode, on a fake app whose secret is 4 bytes."""
    fake = fake_stream_server_session
    fake.fake.register_app(SHORT_KEY, SHORT_SECRET)
    with short_secret_quiet():
        stream = StreamChat(SHORT_KEY, SHORT_SECRET, base_url=fake.base_url)
    yield from _serve(postgres_server, stream, test_mode=True)


def _free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """The features in a separate pytest with `args`, and a JUnit report (an http target's
    scenarios need no PostgreSQL of their own)."""
    return pytester.runpytest_subprocess(
        str(features_dir()), "-p", "no:cacheprovider", "--junitxml=junit.xml", *args
    )


def _test_ids(pytester: pytest.Pytester) -> list[str]:
    report = ElementTree.parse(Path(pytester.path) / "junit.xml")
    return [case.attrib["name"] for case in report.iter("testcase")]


def _assert_stopped_once(pytester: pytest.Pytester, result: pytest.RunResult, *says: str) -> None:
    """Exit status PREFLIGHT_FAILED, one preflight message saying each of `says`, no scenario
    run and no traceback."""
    output = result.stdout.str() + result.stderr.str()
    assert result.ret == PREFLIGHT_FAILED, output
    assert output.count("chatgate preflight failed; no scenario ran") == 1, output
    for text in says:
        assert text in output, f"{text!r} not in:\n{output}"
    assert _test_ids(pytester) == []
    assert "Traceback" not in output, output


def test_a_dead_target_stops_the_session_once(
    pytester: pytest.Pytester,
    fake_stream_server: FakeStreamServer,
) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    result = _run(pytester, f"--target={dead}", f"--stream-url={fake_stream_server.base_url}")
    _assert_stopped_once(
        pytester, result, f"--target={dead}) does not answer", f"GET {dead}/healthz", "fix --target"
    )


def test_a_backend_without_provider_states_is_told_to_use_test_mode(
    pytester: pytest.Pytester,
    fake_stream_server: FakeStreamServer,
    backend_without_test_mode: str,
) -> None:
    result = _run(
        pytester,
        f"--target={backend_without_test_mode}",
        f"--stream-url={fake_stream_server.base_url}",
    )
    _assert_stopped_once(
        pytester,
        result,
        "has no provider-state endpoint: POST /api/test/provider-state",
        "answered 404",
        "in test mode",
    )


def test_a_dead_fake_stream_url_stops_the_session_once(
    pytester: pytest.Pytester, backend: str
) -> None:
    dead = f"http://127.0.0.1:{_free_port()}"
    result = _run(pytester, f"--target={backend}", f"--stream-url={dead}")
    _assert_stopped_once(
        pytester,
        result,
        f"the fake Stream (--stream-url={dead}) does not answer",
        "chatgate fake-stream",
    )


def test_a_wrong_api_key_is_named_as_such(
    pytester: pytest.Pytester,
    fake_stream_server: FakeStreamServer,
    backend: str,
) -> None:
    result = _run(
        pytester,
        f"--target={backend}",
        f"--stream-url={fake_stream_server.base_url}",
        "--stream-api-key=not-the-fakes-key",
    )
    _assert_stopped_once(
        pytester,
        result,
        "serves no app with api key 'not-the-fakes-key'",
        "api_key is invalid",
        "--stream-api-key",
    )


def test_a_wrong_api_secret_is_named_as_such(
    pytester: pytest.Pytester,
    fake_stream_server: FakeStreamServer,
    backend: str,
) -> None:
    result = _run(
        pytester,
        f"--target={backend}",
        f"--stream-url={fake_stream_server.base_url}",
        "--stream-api-secret=not-the-fakes-secret-but-long-enough-for-hs256",
    )
    _assert_stopped_once(
        pytester,
        result,
        "refused the signature of --stream-api-secret",
        "Token signature is invalid",
    )


def test_every_problem_is_said_in_the_one_message(
    pytester: pytest.Pytester,
) -> None:
    dead_backend, dead_fake = (f"http://127.0.0.1:{_free_port()}" for _ in range(2))
    result = _run(pytester, f"--target={dead_backend}", f"--stream-url={dead_fake}")
    _assert_stopped_once(
        pytester, result, f"--target={dead_backend}) does not answer", f"--stream-url={dead_fake}"
    )


def test_http_test_ids_name_the_target_not_its_port(
    pytester: pytest.Pytester,
    fake_stream_server: FakeStreamServer,
    backend: str,
) -> None:
    result = _run(
        pytester,
        f"--target={backend}",
        f"--stream-url={fake_stream_server.base_url}",
        "-k",
        ONE_SCENARIO.replace(" ", "_").lower(),
    )
    result.assert_outcomes(passed=1)
    port = backend.rsplit(":", 1)[1]
    [test_id] = _test_ids(pytester)
    assert "[http]" in test_id
    assert port not in test_id


def test_target_names_label_several_http_targets(
    pytester: pytest.Pytester,
    fake_stream_server: FakeStreamServer,
    backend: str,
) -> None:
    result = _run(
        pytester,
        f"--target={backend}",
        f"--target={backend}/",
        "--target-name=express",
        f"--stream-url={fake_stream_server.base_url}",
        "-k",
        ONE_SCENARIO.replace(" ", "_").lower(),
    )
    result.assert_outcomes(passed=2)
    assert sorted(i.partition("[")[2] for i in _test_ids(pytester)) == ["express]", "http-2]"]


# The backend under test runs in this process: its own token signing warns here.
@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_a_short_stream_secret_is_said_once_not_per_token(
    pytester: pytest.Pytester,
    fake_stream_server_session: FakeStreamServer,
    short_secret_backend: str,
) -> None:
    result = _run(
        pytester,
        f"--target={short_secret_backend}",
        f"--stream-url={fake_stream_server_session.base_url}",
        f"--stream-api-key={SHORT_KEY}",
        f"--stream-api-secret={SHORT_SECRET}",
        "-m",
        "token",
    )
    output = result.stdout.str()
    assert result.ret == 0, output
    assert output.count("the Stream api secret is 4 bytes") == 1, output
    assert "InsecureKeyLengthWarning" not in output, output
