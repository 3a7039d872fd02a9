"""The migration while the application runs: a run killed with SIGKILL resumes, a
concurrent writer loses nothing, and a lock held by a long transaction makes apply give
up cleanly (never queueing writers behind it) and finish later."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest

from chatgate.fixtures.migration import legacy_initialiser
from chatgate.postgres import PostgresServer
from chatgate.reference.migration.apply import ApplyOptions, MigrationError, apply
from chatgate.reference.migration.verify import verify
from tests.migration_db import content, one, rows

DEADLINE_S = 60.0
BACKFILL = "backfill chat_messages.pinned_by_user_id"


def _poll(what: str, check: object) -> None:
    """Wait until `check()` is true, failing with `what` at the deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up after {DEADLINE_S} s waiting for {what}")
        time.sleep(0.02)


def _breaches(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [f"{c.name}: {c.detail}" for c in verify(conn).breaches]


@contextmanager
def _row_locked(url: str, query: str) -> Iterator[int]:
    """Hold a row lock on the row `query` selects (FOR UPDATE) until the block ends."""
    with psycopg.connect(url) as conn:
        row_id = conn.execute(query + " FOR UPDATE").fetchone()[0]
        yield row_id
        conn.rollback()


def _backend_waiting_on_a_lock(url: str, application: str) -> bool:
    return bool(
        one(
            url,
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND wait_event_type = 'Lock'",
            (application,),
        )
    )


def test_apply_killed_in_the_middle_of_the_backfill_resumes_and_ends_as_an_uninterrupted_run(
    legacy_database: str, postgres_server: PostgresServer, legacy_users: int
) -> None:
    # The same generated data, for an uninterrupted run to compare with.
    clean = postgres_server.create_database(
        template=postgres_server.template(legacy_initialiser(legacy_users))
    )
    clean_url = postgres_server.url_for(clean)
    try:
        child = _kill_inside_the_pinned_by_backfill(legacy_database)
        assert child.returncode == -signal.SIGKILL
        assert (
            one(
                legacy_database,
                "SELECT state FROM chatgate_migration.ledger WHERE step = %s",
                (BACKFILL,),
            )
            == "running"
        )
        resumed = apply(legacy_database, ApplyOptions(batch_rows=40))
        skipped = {s.step for s in resumed.steps if s.skipped}
        done_before = {"ddl: compatibility triggers", "snapshot chat_messages"}
        assert done_before <= skipped, f"redone after the kill: {done_before - skipped}"
        assert BACKFILL not in skipped
        apply(clean_url, ApplyOptions(batch_rows=40))
        assert _breaches(legacy_database) == []
        assert content(legacy_database) == content(clean_url)
    finally:
        postgres_server.drop_database(clean)


def _ledger(url: str, step: str) -> tuple[str, int] | None:
    """(state, last id) of a step; None before the ledger or the step exists."""
    if not one(url, "SELECT to_regclass('chatgate_migration.ledger') IS NOT NULL"):
        return None
    found = rows(
        url, "SELECT state, last_id FROM chatgate_migration.ledger WHERE step = %s", (step,)
    )
    return (found[0][0], found[0][1]) if found else None


def _kill_inside_the_pinned_by_backfill(url: str) -> subprocess.Popen[bytes]:
    """Start apply in a child and SIGKILL it while it waits inside the pinned-by backfill,
    after some of its batches have committed.

    Deterministic, without timing: once the child's DDL is done, holding the baseline
    table stops it at its next snapshot batch; meanwhile a late pinned message is locked;
    released, the child runs on and blocks on that message in the backfill."""
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from chatgate.reference.migration.apply import ApplyOptions, apply; "
            "apply(sys.argv[1], ApplyOptions(batch_rows=40))",
            url,
        ],
        stdin=subprocess.DEVNULL,
    )
    try:
        _poll("the child's DDL", lambda: _ledger(url, "ddl: compatibility triggers") is not None)
        with psycopg.connect(url) as baseline:
            baseline.execute("LOCK TABLE chatgate_migration.checksums IN EXCLUSIVE MODE")
            with _row_locked(
                url, "SELECT id FROM chat_messages WHERE is_pinned ORDER BY id DESC LIMIT 1"
            ):
                baseline.rollback()  # the child goes on, to the locked message
                _poll(
                    "the child to block inside the pinned-by backfill",
                    lambda: (
                        (_ledger(url, BACKFILL) or ("", 0))[1] > 0
                        and _backend_waiting_on_a_lock(url, "chatgate migrate")
                    ),
                )
                os.kill(child.pid, signal.SIGKILL)
                child.wait(timeout=DEADLINE_S)
        # The server has not noticed the client's death yet; this is what it does then.
        rows(
            url,
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'chatgate migrate'",
        )
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=DEADLINE_S)
    return child


def test_a_writer_inserting_messages_during_apply_loses_none_and_each_gets_its_user(
    legacy_database: str,
) -> None:
    senders = rows(
        legacy_database,
        "SELECT p.conversation_id, p.profile_id, p.profile_type, p.user_id "
        "FROM conversation_participants p WHERE p.profile_type = 'parent' ORDER BY p.id LIMIT 20",
    )
    written: list[int] = []
    failures: list[str] = []
    stop = threading.Event()

    def write() -> None:
        with psycopg.connect(legacy_database, autocommit=True) as conn:
            for n in range(50_000):  # bounded; stopped as soon as apply returns
                if stop.is_set():
                    return
                conversation, profile, kind, user = senders[n % len(senders)]
                try:
                    (message,) = conn.execute(
                        "INSERT INTO chat_messages (conversation_id, sender_profile_id, "
                        "sender_profile_type, sender_user_id, content) VALUES (%s, %s, %s, %s, %s) "
                        "RETURNING id",
                        (conversation, profile, kind, user, f"live {n}"),
                    ).fetchone()
                    written.append(message)
                except psycopg.Error as error:
                    failures.append(str(error))

    writer = threading.Thread(target=write)
    writer.start()
    try:
        _poll("the writer to start", lambda: len(written) >= 5)
        apply(legacy_database, ApplyOptions(batch_rows=50))
    finally:
        stop.set()
        writer.join(timeout=DEADLINE_S)
    assert failures == []
    assert len(written) > 5
    found = rows(
        legacy_database,
        "SELECT m.sender_user_id = p.user_id FROM chat_messages m JOIN parent_profiles p "
        "ON p.id = m.sender_profile_id WHERE m.id = ANY(%s)",
        (written,),
    )
    assert len(found) == len(written)
    assert all(ok for (ok,) in found)
    assert _breaches(legacy_database) == []


def test_a_lock_held_by_a_long_transaction_makes_apply_give_up_in_words_then_finish_later(
    legacy_database: str,
) -> None:
    waits: list[float] = []
    with psycopg.connect(legacy_database) as holder:
        holder.execute("LOCK TABLE chat_messages IN ACCESS SHARE MODE")
        with pytest.raises(MigrationError) as raised:
            apply(
                legacy_database,
                ApplyOptions(lock_timeout_ms=50, lock_attempts=3),
                sleep=waits.append,
            )
        holder.rollback()
    assert str(raised.value).startswith(
        "add chat_messages.pinned_by_user_id: the lock was not granted within 50 ms in 3 attempts"
    )
    assert len(waits) == 2
    apply(legacy_database)
    assert _breaches(legacy_database) == []
