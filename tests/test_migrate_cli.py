"""`chatgate migrate` as a user runs it: the whole cycle through the console script, and
every mistake of the user's answered with one line, exit status 2 and no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.fixtures.targets import migration_observe as observe
from chatgate.fixtures.targets.migration_driver import MigrationDriver, MigrationTarget

CHATGATE = Path(sys.executable).with_name("chatgate")


def _migrate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHATGATE), "migrate", *args],
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        check=False,
    )


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def empty_database(postgres_database: str) -> str:
    return postgres_database


def _snapshot(url: str) -> observe.Snapshot:
    return observe.snapshot(MigrationDriver(MigrationTarget("reference"), url))


def test_seed_plan_apply_verify_rollback_from_the_command_line(empty_database: str) -> None:
    url = ("--database-url", empty_database)
    seeded = _migrate("seed", "--users", "40", *url)
    assert seeded.returncode == 0, seeded.stderr
    assert "chat_messages" in seeded.stdout
    before = _snapshot(empty_database)

    plan = _migrate("plan", *url)
    assert plan.returncode == 0, plan.stderr
    assert "users with several chat_settings rows" in plan.stdout
    assert "merged into the oldest" in plan.stdout
    assert _snapshot(empty_database) == before, "plan changes nothing"

    unmigrated = _migrate("verify", *url)
    assert unmigrated.returncode == 1
    assert "BREACH" in unmigrated.stdout
    assert "invariants breached" in unmigrated.stdout

    applied = _migrate("apply", "--batch-rows", "100", *url)
    assert applied.returncode == 0, applied.stderr
    assert "policy: collapse settings" in applied.stdout
    assert "orphan rows reported in chatgate_migration.orphans" in applied.stdout
    assert _migrate("apply", *url).stdout.strip() == "already migrated: nothing to do"

    verified = _migrate("verify", *url)
    assert verified.returncode == 0, verified.stdout
    assert "BREACH" not in verified.stdout

    undone = _migrate("rollback", *url)
    assert undone.returncode == 0, undone.stderr
    assert undone.stdout.startswith("rolled back: ")
    assert _snapshot(empty_database) == before


def test_the_database_url_comes_from_database_url_when_not_given(empty_database: str) -> None:
    done = _migrate("seed", "--users", "10", env={"DATABASE_URL": empty_database})
    assert done.returncode == 0, done.stderr


def test_no_database_at_all_is_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    done = subprocess.run(
        [str(CHATGATE), "migrate", "plan"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert _one_error_line(done) == (
        "chatgate migrate: error: no database given: pass --database-url URL or set DATABASE_URL"
    )


def test_an_unreachable_database_is_one_line_without_its_password() -> None:
    line = _one_error_line(
        _migrate("plan", "--database-url", "postgresql://amr:s3cret@127.0.0.1:1/chat")
    )
    assert line.startswith(
        "chatgate migrate: error: cannot use the database at amr@127.0.0.1:1/chat: "
    )
    assert "s3cret" not in line


def test_a_database_without_the_legacy_schema_is_one_line(empty_database: str) -> None:
    line = _one_error_line(_migrate("apply", "--database-url", empty_database))
    assert "this database has none of the legacy chat tables" in line


def test_a_state_another_tool_half_applied_is_one_line_and_nothing_changes(
    empty_database: str,
) -> None:
    assert _migrate("seed", "--users", "10", "--database-url", empty_database).returncode == 0
    MigrationDriver(MigrationTarget("reference"), empty_database).write(
        "ALTER TABLE chat_messages ADD COLUMN pinned_by_user_id integer"
    )
    before = _snapshot(empty_database)
    line = _one_error_line(_migrate("apply", "--database-url", empty_database))
    assert "already has chat_messages.pinned_by_user_id but no chatgate migration ledger" in line
    assert _snapshot(empty_database) == before


def test_seeding_a_database_that_has_legacy_tables_is_refused(empty_database: str) -> None:
    assert _migrate("seed", "--users", "10", "--database-url", empty_database).returncode == 0
    before = _snapshot(empty_database)
    line = _one_error_line(_migrate("seed", "--users", "10", "--database-url", empty_database))
    assert "seed needs a database without the legacy tables" in line
    assert _snapshot(empty_database) == before


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("seed", "--users", "0"), "argument --users: must be at least 1, got 0"),
        (("seed", "--users", "5"), "the number of users must be between 10 and 5000000, got 5"),
        (
            ("apply", "--batch-rows", "many"),
            "argument --batch-rows: must be a whole number, got 'many'",
        ),
    ],
)
def test_bad_options_are_one_line(
    args: tuple[str, ...], expected: str, empty_database: str
) -> None:
    done = _migrate(*args, "--database-url", empty_database)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert expected in done.stderr


@pytest.mark.parametrize("step", ["seed", "plan", "apply", "verify", "rollback"])
def test_each_step_has_a_help_that_says_what_it_does(step: str) -> None:
    done = _migrate(step, "--help")
    assert done.returncode == 0
    assert "--database-url URL" in done.stdout
    assert len(done.stdout.splitlines()) > 5
