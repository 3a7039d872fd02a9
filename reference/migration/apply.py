"""Running the migration online: brief DDL under `lock_timeout` with bounded retries,
committed batches recorded in the ledger (so a killed run resumes), the policies,
indexes built `CONCURRENTLY`, and foreign keys validated last.

Every step is recorded; a second run finds them done and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import errors

from . import changes, ddl, ledger
from .actors import ACTORS, Actor
from .legacy import CHAT_TABLES, require_legacy_schema

Connection = psycopg.Connection[Any]
# (step, done so far, total; 0 when unknown) after each batch.
Progress = Callable[[str, int, int], None]
COMPLETE = "complete"
INDEX_ATTEMPTS = 3


class MigrationError(Exception):
    """The migration cannot go on; the message says why and what to do."""


@dataclass(frozen=True)
class ApplyOptions:
    batch_rows: int = 5_000
    policy_groups: int = 200
    lock_timeout_ms: int = 1_000
    lock_attempts: int = 6
    statement_timeout_ms: int = 300_000

    def __post_init__(self) -> None:
        for name in ("batch_rows", "policy_groups", "lock_timeout_ms", "lock_attempts"):
            if getattr(self, name) < 1:
                raise ValueError(
                    f"{name.replace('_', ' ')} must be at least 1, got {getattr(self, name)}"
                )


@dataclass
class StepResult:
    step: str
    rows: int = 0
    seconds: float = 0.0
    skipped: bool = False  # done by an earlier run


@dataclass
class ApplyReport:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        return any(not s.skipped for s in self.steps)


def connect(database_url: str) -> Connection:
    """An autocommit connection for the migration (CONCURRENTLY needs one), marked so the
    baseline triggers tell its changes from the application's."""
    conn = psycopg.connect(database_url, autocommit=True, application_name="chatgate migrate")
    conn.execute("SET chatgate.migrating = 'on'")
    return conn


def refuse_foreign_state(conn: Connection) -> None:
    """MigrationError when the user-keyed columns exist without chatgate's ledger: another
    tool has begun (or half-done) a migration here, and mixing the two would be unsafe."""
    if ledger.has_ledger(conn):
        return
    found = conn.execute(
        "SELECT table_name || '.' || column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND (table_name, column_name) IN "
        "(('conversations', 'created_by_user_id'), ('chat_messages', 'pinned_by_user_id'), "
        "('conversations', 'merged_into_id')) ORDER BY 1"
    ).fetchall()
    if found:
        raise MigrationError(
            f"this database already has {', '.join(r[0] for r in found)} but no chatgate "
            "migration ledger: another tool has begun migrating it. Finish or undo that "
            "migration first; chatgate will not mix its steps with another tool's"
        )


class Migration:
    """One `apply` run against one database."""

    def __init__(
        self,
        conn: Connection,
        options: ApplyOptions | None = None,
        progress: Progress | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.conn = conn
        self.options = options or ApplyOptions()
        self.progress = progress
        self.sleep = sleep  # between lock attempts only: a retry backoff
        self.report = ApplyReport()

    def run(self) -> ApplyReport:
        require_legacy_schema(self.conn)
        refuse_foreign_state(self.conn)
        if ledger.done(self.conn, COMPLETE):
            self.report.steps.append(StepResult(COMPLETE, skipped=True))
            return self.report
        for statement in ddl.expand():
            self._ddl(statement)
        for table in CHAT_TABLES:
            self._batched(
                f"snapshot {table}",
                table,
                lambda low, high, t=table: changes.snapshot(self.conn, t, low, high),
            )
        for actor in ACTORS:
            self._batched(
                f"backfill {actor.label}",
                actor.table,
                lambda low, high, a=actor: self.backfill_batch(a, low, high),
            )
        self._policy(
            "merge direct conversations",
            lambda: changes.merge_direct_batch(self.conn, self.options.policy_groups),
        )
        for policy in changes.COLLAPSES:
            self._collapse(policy)
        for statement in ddl.indexes():
            self._index(statement)
        for statement in ddl.validate():
            self._ddl(statement)
        with self.conn.transaction():
            ledger.finish(self.conn, COMPLETE)
        return self.report

    def backfill_batch(self, actor: Actor, low: int, high: int) -> int:
        """One backfill batch of `actor`'s column over ids `low..high` (a seam: the
        known-bad migrations in fixtures/targets/migration_mutants.py override it)."""
        return changes.backfill(self.conn, actor, low, high)

    # -- steps -----------------------------------------------------------
    @contextmanager
    def _step(self, name: str) -> Iterator[StepResult | None]:
        """Yield a result to fill, or None when an earlier run finished the step."""
        if ledger.done(self.conn, name):
            self.report.steps.append(StepResult(name, skipped=True))
            yield None
            return
        result = StepResult(name)
        started = time.perf_counter()
        yield result
        result.seconds = time.perf_counter() - started
        self.report.steps.append(result)

    def _locked(self, statement: ddl.Ddl, run: Callable[[], None]) -> None:
        """Run a statement that takes a lock, retrying a bounded number of times when the
        lock is not granted within lock_timeout (so it never queues writers behind it)."""
        for attempt in range(1, self.options.lock_attempts + 1):
            try:
                run()
                return
            except errors.LockNotAvailable:
                if attempt == self.options.lock_attempts:
                    raise MigrationError(
                        f"{statement.name}: the lock was not granted within "
                        f"{self.options.lock_timeout_ms} ms in {attempt} attempts; a long "
                        "transaction holds the table. Run apply again once it has ended "
                        "(or raise --lock-timeout)"
                    ) from None
                self.sleep(min(0.05 * 2**attempt, 2.0))

    def _ddl(self, statement: ddl.Ddl) -> None:
        with self._step(f"ddl: {statement.name}") as result:
            if result is None:
                return
            if statement.skip_if and self.conn.execute(statement.skip_if).fetchone()[0]:
                with self.conn.transaction():
                    ledger.finish(self.conn, result.step)
                return

            def run() -> None:
                with self.conn.transaction():
                    self.conn.execute(f"SET LOCAL lock_timeout = {self.options.lock_timeout_ms}")
                    self.conn.execute(statement.sql)
                    ledger.finish(self.conn, result.step)

            self._locked(statement, run)

    def _batched(self, name: str, table: str, batch: Callable[[int, int], int]) -> None:
        """Walk `table` by id ranges, one committed batch (with its ledger entry) at a time,
        from where an earlier run stopped."""
        with self._step(name) as result:
            if result is None:
                return
            _, high = changes.id_bounds(self.conn, table)
            reached, result.rows = ledger.position(self.conn, name)
            size = self.options.batch_rows
            while reached < high:
                upper = min(reached + size, high)
                with self.conn.transaction():
                    self.conn.execute(
                        f"SET LOCAL statement_timeout = {self.options.statement_timeout_ms}"
                    )
                    rows = batch(reached + 1, upper)
                    ledger.advance(self.conn, name, upper, rows)
                reached, result.rows = upper, result.rows + rows
                if self.progress:
                    self.progress(name, reached, high)
            with self.conn.transaction():
                ledger.finish(self.conn, name)

    def _policy(self, name: str, batch: Callable[[], int]) -> None:
        """Repeat a policy batch until it finds nothing left to do."""
        with self._step(f"policy: {name}") as result:
            if result is None:
                return
            while True:
                with self.conn.transaction():
                    rows = batch()
                    ledger.advance(self.conn, result.step, 0, rows)
                result.rows += rows
                if self.progress:
                    self.progress(result.step, result.rows, 0)
                if rows == 0:
                    break
            with self.conn.transaction():
                ledger.finish(self.conn, result.step)

    def _collapse(self, policy: changes.Collapse) -> None:
        self._policy(
            f"collapse {policy.name}",
            lambda: changes.collapse_batch(self.conn, policy, self.options.policy_groups),
        )

    def _index(self, statement: ddl.Ddl) -> None:
        """CREATE INDEX CONCURRENTLY; an invalid index left by a killed or failed build is
        dropped first. A unique build that meets duplicates written meanwhile (a race the
        triggers cannot close) collapses them again and retries."""
        with self._step(f"ddl: {statement.name}") as result:
            if result is None:
                return
            name = statement.index
            assert name is not None
            key = next((k for k in ddl.UNIQUE_KEYS if k.index == name), None)
            policy = next((p for p in changes.COLLAPSES if key and p.table == key.table), None)
            for attempt in range(1, INDEX_ATTEMPTS + 1):
                self._drop_if_invalid(statement, name)
                try:
                    self._locked(statement, lambda: self._concurrently(statement.sql))
                    break
                except errors.UniqueViolation as error:
                    self._drop_if_invalid(statement, name)
                    if policy is None or attempt == INDEX_ATTEMPTS:
                        raise MigrationError(
                            f"{statement.name}: {error.diag.message_detail or error}"
                        ) from None
                    self._collapse_again(policy)
            with self.conn.transaction():
                ledger.finish(self.conn, result.step)

    def _concurrently(self, sql: str) -> None:
        self.conn.execute(f"SET lock_timeout = {self.options.lock_timeout_ms}")
        try:
            self.conn.execute(sql)
        finally:
            self.conn.execute("RESET lock_timeout")

    def _drop_if_invalid(self, statement: ddl.Ddl, name: str) -> None:
        invalid = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND NOT i.indisvalid)",
            (name,),
        ).fetchone()[0]
        if invalid:
            self._locked(
                statement, lambda: self._concurrently(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            )

    def _collapse_again(self, policy: changes.Collapse) -> None:
        while True:
            with self.conn.transaction():
                if changes.collapse_batch(self.conn, policy, self.options.policy_groups) == 0:
                    return


def apply(
    database_url: str,
    options: ApplyOptions | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ApplyReport:
    """Migrate the legacy database at `database_url` (or finish an interrupted run)."""
    with connect(database_url) as conn:
        return Migration(conn, options, progress, sleep).run()
