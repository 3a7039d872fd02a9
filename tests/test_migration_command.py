"""A team's own migration script, given with `--migration-command`, is held to every
migration scenario that needs none of chatgate's bookkeeping; the others skip, saying
why. chatgate's own CLI stands in for a well-behaved script, a failing one for a bad."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Collection
from pathlib import Path

from chatgate.fixtures.targets.runner import MIGRATION, ScenarioResult, run_features
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer

CHATGATE = Path(sys.executable).with_name("chatgate")
NEEDS_CHATGATE = {
    "Migrating then rolling back gives back the legacy content and schema",
    "A message a user-only writer sent since gets its sender's profile back",
    "Rollback refuses and changes nothing when a new row fits no single profile",
    "Every orphan is in the report, with its reason",
    "Killed in the middle of its backfill, a re-run finishes the job",
    "Stopped in the middle of its backfill, the migration blocks no writer",
}


def _run(
    command: str, postgres_server: PostgresServer, only: Collection[str] | None = None
) -> list[ScenarioResult]:
    """The migration scenarios against `command` (those in `only`, if given)."""
    return run_features(
        [],
        options=[f"--migration-command={command}"],
        suite=MIGRATION,
        env={DATABASE_URL_ENV: postgres_server.url},
        only={"command": only} if only is not None else None,
    )


def test_a_script_that_migrates_well_passes_every_scenario_it_can_be_held_to(
    postgres_server: PostgresServer,
) -> None:
    ran = _run(f"{shlex.quote(str(CHATGATE))} migrate apply", postgres_server)
    assert {r.target for r in ran} == {"command"}
    assert [r.name for r in ran if r.status == "failed"] == []
    assert {r.name for r in ran if r.status == "skipped"} == NEEDS_CHATGATE
    assert len([r for r in ran if r.status == "passed"]) >= 10


def test_a_script_that_fails_fails_the_scenarios_with_its_exit_status_and_last_words(
    postgres_server: PostgresServer,
) -> None:
    script = "import sys; sys.exit('migrate: cannot add column user_id')"
    held_to = {
        "Every invariant of the user-keyed schema holds after the migration",
        "A user's settings rows of several profiles merge into the most restrictive",
    }
    ran = _run(f"{shlex.quote(sys.executable)} -c {shlex.quote(script)}", postgres_server, held_to)
    assert {r.name for r in ran} == held_to
    assert {r.name for r in ran if r.status == "failed"} == held_to
