"""The migration scenarios have teeth: every known-bad migration (the original script's
flaws, one by one and all together) fails the scenarios named for it, and the
reference migration passes them all."""

from __future__ import annotations

import pytest

from chatgate.fixtures.targets.migration_mutants import MIGRATION_MUTANTS
from chatgate.fixtures.targets.runner import (
    MIGRATION,
    TEETH_JOBS,
    Outcomes,
    by_target,
    run_features,
    survivors,
)
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer


@pytest.fixture(scope="module")
def results(postgres_server: PostgresServer) -> Outcomes:
    """{target: {status: {scenario names}}}: the reference migration on every scenario,
    each known-bad one on the scenarios named for it (`only`), in one run."""
    only = {f"mutant:{name}": mutant.killed_by for name, mutant in MIGRATION_MUTANTS.items()}
    return by_target(
        run_features(
            ["reference", *only],
            suite=MIGRATION,
            env={DATABASE_URL_ENV: postgres_server.url},
            jobs=TEETH_JOBS,
            only=only,
        )
    )


def test_the_reference_migration_passes_every_scenario(
    results: Outcomes,
) -> None:
    reference = results["reference"]
    assert reference["failed"] == set()
    assert reference["skipped"] == set()
    assert len(reference["passed"]) >= 18


@pytest.mark.parametrize("mutant", sorted(MIGRATION_MUTANTS))
def test_each_known_bad_migration_fails_the_scenarios_named_for_it(
    results: Outcomes, mutant: str
) -> None:
    mutation = MIGRATION_MUTANTS[mutant]
    unknown, passed = survivors(results[f"mutant:{mutant}"], mutation.killed_by)
    assert not unknown, f"no such scenario: {sorted(unknown)}"
    assert not passed, f"{mutant} ({mutation.flaw}) passed {sorted(passed)}"
