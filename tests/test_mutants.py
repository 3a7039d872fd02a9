"""The scenarios have teeth: every known-bad variant of the reference fails the
scenarios named for it, and the reference passes them all."""

from __future__ import annotations

import pytest

from chatgate.fixtures.targets.mutants import MUTANTS
from chatgate.fixtures.targets.runner import (
    TEETH_JOBS,
    Outcomes,
    ScenarioResult,
    by_target,
    parse_reports,
    run_features,
    survivors,
)
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer


@pytest.fixture(scope="module")
def results(postgres_server: PostgresServer) -> Outcomes:
    """{target: {status: {scenario names}}}: the reference on every scenario, each mutant
    on the scenarios named for it (`only`), in one run."""
    only = {f"mutant:{name}": mutant.killed_by for name, mutant in MUTANTS.items()}
    return by_target(
        run_features(
            ["reference", *only],
            env={DATABASE_URL_ENV: postgres_server.url},
            jobs=TEETH_JOBS,
            only=only,
        )
    )


def test_the_reference_passes_every_scenario(results: Outcomes) -> None:
    reference = results["reference"]
    assert reference["failed"] == set()
    assert reference["skipped"] == set()
    assert len(reference["passed"]) >= 40


@pytest.mark.parametrize("mutant", sorted(MUTANTS))
def test_each_mutant_fails_the_scenarios_named_for_it(results: Outcomes, mutant: str) -> None:
    named = MUTANTS[mutant].killed_by
    assert named, f"{mutant} names no scenario that must catch it"
    unknown, passed = survivors(results[f"mutant:{mutant}"], named)
    assert not unknown, f"no such scenario: {sorted(unknown)}"
    assert not passed, f"{mutant} ({MUTANTS[mutant].bug}) passed {sorted(passed)}"


def test_the_report_parser_tells_targets_and_outcomes_apart() -> None:
    junit = """<testsuites><testsuite>
      <testcase name="test_x[mutant:no-role-a-b]"><failure message="boom"/></testcase>
      <testcase name="test_x[mutant:no-role]"/>
      <testcase name="test_y[reference]"><skipped message="remote"/></testcase>
      <testcase name="test_z[reference]"><error message="setup"/></testcase>
    </testsuite></testsuites>"""
    cucumber = [
        {
            "elements": [
                {"id": "test_x[mutant:no-role-a-b]", "name": "x a b"},
                {"id": "test_x[mutant:no-role]", "name": "x"},
                {"id": "test_y[reference]", "name": "y"},
            ]
        }
    ]
    assert parse_reports(junit, cucumber, ["reference", "mutant:no-role"]) == [
        ScenarioResult("mutant:no-role", "x a b", "failed"),
        ScenarioResult("mutant:no-role", "x", "passed"),
        ScenarioResult("reference", "y", "skipped"),
        ScenarioResult("reference", "test_z[reference]", "failed"),
    ]
