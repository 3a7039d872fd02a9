"""`--stream-user-id-format` and `--channel-type`: the scenarios hold a backend to the
naming it was given (here the in-process reference, given the same one), and refuse a
naming Stream would refuse before anything runs."""

from __future__ import annotations

import pytest

from chatgate.fixtures.targets.runner import features_dir, run_features
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer

pytest_plugins = ["pytester"]


def test_every_scenario_passes_in_process_under_another_naming(
    postgres_server: PostgresServer,
) -> None:
    results = run_features(
        ["reference"],
        options=["--stream-user-id-format", "acme-{kind}-{id}", "--channel-type", "team"],
        env={DATABASE_URL_ENV: postgres_server.url},
    )
    failed = sorted(r.name for r in results if r.status != "passed")
    assert failed == []
    assert len(results) >= 58


@pytest.mark.parametrize(
    ("option", "says"),
    [
        ("--stream-user-id-format=acme_{id}", "must hold {kind} and {id} once each"),
        ("--stream-user-id-format=acme {kind} {id}", "which Stream refuses"),
        ("--channel-type=team:chat", "the channel type must be 1 to 64 characters"),
    ],
)
def test_a_naming_stream_refuses_is_a_usage_error(
    pytester: pytest.Pytester, option: str, says: str
) -> None:
    result = pytester.runpytest_subprocess(str(features_dir()), "-p", "no:cacheprovider", option)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert says in result.stderr.str()
