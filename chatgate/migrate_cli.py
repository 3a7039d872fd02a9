"""`chatgate migrate seed|plan|apply|verify|rollback`: the profile-to-user chat migration
from the command line. Tables and progress are drawn with rich; every mistake of the
user's (an unreachable database, a database that is not the legacy schema, a state
another tool half-applied) is one line on stderr and exit status 2."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from chatgate.cliargs import positive_int

USAGE_ERROR = 2  # the user's input is wrong: nothing was changed
BREACH = 1  # verify found a breach, or rollback refused
ENV_URL = "DATABASE_URL"


def add_parser(sub: Any) -> None:
    """The `migrate` command and its subcommands, on the top-level subparsers."""
    migrate = sub.add_parser(
        "migrate",
        help="the profile-to-user chat migration: seed, plan, apply, verify, rollback",
        description="Move a role/profile-keyed chat database (Astegni's legacy schema) to user "
        "identities, online: no downtime, resumable after a crash, idempotent, reversible "
        "with nothing lost. See docs/migration.md.",
    )
    steps = migrate.add_subparsers(dest="migrate_command", required=True, metavar="STEP")
    url_help = f"the database to work on (default: ${ENV_URL})"

    def step(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        parser = steps.add_parser(name, help=help_text, description=description)
        parser.add_argument(
            "--database-url", default=os.environ.get(ENV_URL), metavar="URL", help=url_help
        )
        return parser

    seed = step(
        "seed",
        "create the legacy schema and fill it with generated chat data",
        "Create the legacy chat tables in an empty database and fill them with realistic, "
        "deterministic data (Faker, fixed seed) holding every hard case the migration handles.",
    )
    seed.add_argument(
        "--users", type=positive_int, required=True, metavar="N", help="how many users"
    )
    seed.add_argument("--seed", type=int, default=None, help="random seed (default: fixed)")
    seed.add_argument(
        "--messages-per-conversation",
        type=positive_int,
        default=8,
        metavar="N",
        help="average messages per conversation (default 8)",
    )
    plan = step(
        "plan",
        "show what apply will change and the hard cases it will meet, without changing anything",
        "Read the legacy database: its sizes, each hard case with its count and the policy "
        "applied to it, and the steps apply will run.",
    )
    plan.add_argument("--sql", action="store_true", help="print the DDL script instead")
    apply = step(
        "apply",
        "migrate (or finish an interrupted run), online",
        "Run the migration: brief DDL under lock_timeout, committed batches recorded in a "
        "ledger, the policies, indexes built concurrently. Running it again changes nothing.",
    )
    apply.add_argument(
        "--batch-rows", type=positive_int, default=5000, metavar="N", help="rows per batch (5000)"
    )
    apply.add_argument(
        "--lock-timeout",
        type=positive_int,
        default=1000,
        metavar="MS",
        help="lock_timeout per DDL statement (1000)",
    )
    apply.add_argument(
        "--lock-attempts",
        type=positive_int,
        default=6,
        metavar="N",
        help="attempts per DDL statement (6)",
    )
    step(
        "verify",
        "check the migrated database's invariants; non-zero exit on any breach",
        "Check that user ids match the profiles, nothing is silently NULL, nothing repeats "
        "under the user keys, the unique indexes are valid, every orphan is reported and no "
        "content was lost.",
    )
    step(
        "rollback",
        "restore the legacy schema and data exactly, keeping chat written since",
        "Undo the migration in one transaction from the originals it kept; rows written since "
        "by user-only writers get their profile back, or rollback refuses and names them.",
    )


def _console(stderr: bool = False) -> Any:
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def _fail(message: str) -> int:
    print(f"chatgate migrate: error: {message}", file=sys.stderr)
    return USAGE_ERROR


@contextmanager
def _progress() -> Iterator[Callable[[str, int, int], None]]:
    """A progress sink drawing one bar per step on stderr (nothing when stderr is no terminal)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=_console(stderr=True),
        transient=True,
    )
    tasks: dict[str, Any] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bars.add_task(step, total=total or None)
        bars.update(tasks[step], completed=done, total=total or None)

    with bars:
        yield report


def run(args: argparse.Namespace) -> int:
    """Run `chatgate migrate <step>`; returns the exit status."""
    import psycopg

    from chatgate.postgres.conninfo import redacted
    from chatgate.reference.migration.apply import MigrationError
    from chatgate.reference.migration.legacy import NotLegacySchema
    from chatgate.reference.migration.rollback import RollbackRefused

    if not args.database_url:
        return _fail(f"no database given: pass --database-url URL or set {ENV_URL}")
    where = redacted(args.database_url)
    try:
        return _STEPS[args.migrate_command](args)
    except psycopg.OperationalError as error:
        reason = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
        return _fail(f"cannot use the database at {where}: {reason}")
    except (NotLegacySchema, ValueError) as error:
        return _fail(f"{where}: {error}")
    except RollbackRefused as error:
        print(f"chatgate migrate: {error}", file=sys.stderr)
        return BREACH
    except MigrationError as error:
        return _fail(str(error))


def _seed(args: argparse.Namespace) -> int:
    import psycopg

    from chatgate.reference.migration.generate import DEFAULT_SEED, SeedOptions, seed_legacy
    from chatgate.reference.migration.legacy import apply_legacy_schema, present_tables

    options = SeedOptions(
        users=args.users,
        seed=DEFAULT_SEED if args.seed is None else args.seed,
        messages_per_conversation=args.messages_per_conversation,
    )
    with psycopg.connect(args.database_url, autocommit=True) as conn:
        present = present_tables(conn)
        if present:
            return _fail(
                f"the database already has {', '.join(sorted(present))}; seed needs a database "
                "without the legacy tables (create an empty one)"
            )
        with _progress() as progress, conn.transaction():
            apply_legacy_schema(conn)
            counts = seed_legacy(conn, options, progress)
    _table("generated", ("table", "rows"), [(t, f"{n:,}") for t, n in counts.items()], ("rows",))
    return 0


def _table(
    title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]], numeric: tuple[str, ...] = ()
) -> None:
    """Print a table; the `numeric` columns are right-aligned."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    _console().print(table)


def _plan(args: argparse.Namespace) -> int:
    from chatgate.reference.migration import ddl
    from chatgate.reference.migration.actors import ACTORS
    from chatgate.reference.migration.apply import ApplyOptions, connect, refuse_foreign_state
    from chatgate.reference.migration.findings import find

    if args.sql:
        defaults = ApplyOptions()
        print(ddl.script(defaults.lock_timeout_ms, defaults.statement_timeout_ms), end="")
        return 0
    with connect(args.database_url) as conn:
        findings = find(conn)
        refuse_foreign_state(conn)
    _table(
        "tables", ("table", "rows"), [(t, f"{n:,}") for t, n in findings.tables.items()], ("rows",)
    )
    _table(
        "hard cases",
        ("case", "found", "rows", "policy"),
        [(c.title, f"{c.groups:,}", f"{c.rows:,}", c.policy) for c in findings.cases],
        ("found", "rows"),
    )
    statements = ddl.all_statements()
    _console().print(
        f"apply will run {len(statements)} DDL statements (each brief, under lock_timeout; "
        f"indexes CONCURRENTLY), a baseline, {len(ACTORS)} backfills in batches and "
        "the policies above. `chatgate migrate plan --sql` prints the DDL."
    )
    return 0


def _apply(args: argparse.Namespace) -> int:
    from chatgate.reference.migration.apply import ApplyOptions, Migration, connect

    options = ApplyOptions(
        batch_rows=args.batch_rows,
        lock_timeout_ms=args.lock_timeout,
        lock_attempts=args.lock_attempts,
    )
    with connect(args.database_url) as conn, _progress() as progress:
        report = Migration(conn, options, progress).run()
        orphans = conn.execute("SELECT count(*) FROM chatgate_migration.orphans").fetchone()[0]
    if not report.changed_anything:
        _console().print("already migrated: nothing to do")
        return 0
    rows = [
        (s.step, f"{s.rows:,}", "done earlier" if s.skipped else f"{s.seconds:.2f} s")
        for s in report.steps
    ]
    _table("apply", ("step", "rows", "time"), rows, ("rows", "time"))
    _console().print(f"migrated; {orphans:,} orphan rows reported in chatgate_migration.orphans")
    return 0


def _verify(args: argparse.Namespace) -> int:
    from chatgate.reference.migration.apply import connect
    from chatgate.reference.migration.verify import verify

    with connect(args.database_url) as conn:
        result = verify(conn)
    marks = [
        ("skipped" if c.skipped else "ok" if c.ok else "BREACH", c.name, c.detail)
        for c in result.checks
    ]
    _table("verify", ("", "invariant", "detail"), marks)
    if result.ok:
        _console().print(f"all {len(result.checks)} invariants hold")
        return 0
    _console().print(f"{len(result.breaches)} of {len(result.checks)} invariants breached")
    return BREACH


def _rollback(args: argparse.Namespace) -> int:
    from chatgate.reference.migration.apply import connect
    from chatgate.reference.migration.rollback import rollback

    with connect(args.database_url) as conn:
        report = rollback(conn)
    _console().print(
        f"rolled back: {report.rows_restored:,} rows put back, {report.rows_reverted:,} rows "
        f"reverted, {report.profiles_mapped:,} rows written since given their profile"
    )
    return 0


_STEPS: dict[str, Callable[[argparse.Namespace], int]] = {
    "seed": _seed,
    "plan": _plan,
    "apply": _apply,
    "verify": _verify,
    "rollback": _rollback,
}
