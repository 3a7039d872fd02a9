"""The migration scenarios have teeth: every known-bad migration (the original script's
flaws, one by one and all together) fails the scenarios named for it, and the
reference migration passes them all."""

from __future__ import annotations

from collections import defaultdict

import pytest

from chatgate.fixtures.targets.migration_mutants import MIGRATION_MUTANTS
from chatgate.fixtures.targets.runner import MIGRATION, run_features
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer


@pytest.fixture(scope="module")
def results(postgres_server: PostgresServer) -> dict[str, dict[str, set[str]]]:
    """{target: {status: {scenario names}}} for the reference and every mutant, in one run."""
    targets = ["reference", *(f"mutant:{name}" for name in MIGRATION_MUTANTS)]
    ran = run_features(targets, suite=MIGRATION, env={DATABASE_URL_ENV: postgres_server.url})
    by_target: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for result in ran:
        by_target[result.target][result.status].add(result.name)
    return by_target


def test_the_reference_migration_passes_every_scenario(
    results: dict[str, dict[str, set[str]]],
) -> None:
    reference = results["reference"]
    assert reference["failed"] == set()
    assert reference["skipped"] == set()
    assert len(reference["passed"]) >= 18


@pytest.mark.parametrize("mutant", sorted(MIGRATION_MUTANTS))
def test_each_known_bad_migration_fails_the_scenarios_named_for_it(
    results: dict[str, dict[str, set[str]]], mutant: str
) -> None:
    outcome = results[f"mutant:{mutant}"]
    ran = set().union(*outcome.values())
    named = set(MIGRATION_MUTANTS[mutant].killed_by)
    assert named <= ran, f"no such scenario: {sorted(named - ran)}"
    survivors = named - outcome["failed"]
    assert not survivors, f"{mutant} ({MIGRATION_MUTANTS[mutant].flaw}) passed {sorted(survivors)}"
