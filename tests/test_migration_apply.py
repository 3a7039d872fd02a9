"""The reference migration's refusals and verify's words, on real PostgreSQL. What any
migration must do is in features/migration (run against the reference there, and
against each known-bad migration in tests/test_migration_mutants.py)."""

from __future__ import annotations

import psycopg
import pytest

from chatgate.fixtures.targets import migration_observe as observe
from chatgate.fixtures.targets.migration_driver import MigrationDriver, MigrationTarget
from chatgate.reference.migration.apply import ApplyOptions, MigrationError, apply, connect
from chatgate.reference.migration.rollback import rollback
from chatgate.reference.migration.verify import verify


@pytest.fixture
def legacy(legacy_database: str) -> MigrationDriver:
    return MigrationDriver(MigrationTarget("reference"), legacy_database)


def _breaches(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [f"{c.name}: {c.detail}" for c in verify(conn).breaches]


def test_verify_names_what_an_unmigrated_database_lacks(legacy: MigrationDriver) -> None:
    breaches = _breaches(legacy.url)
    assert (
        "conversations.created_by_user_id is the user behind created_by_profile_type/"
        "created_by_profile_id: column conversations.created_by_user_id does not exist" in breaches
    )
    assert "a unique index on chat_settings (user_id): missing" in breaches
    assert any(b.startswith("one row per (user_id) in chat_settings: ") for b in breaches)
    assert any(b.startswith("one direct conversation per user pair: ") for b in breaches)


def test_rollback_of_a_database_chatgate_never_migrated_is_refused(legacy: MigrationDriver) -> None:
    with (
        connect(legacy.url) as conn,
        pytest.raises(MigrationError, match="has no chatgate_migration ledger"),
    ):
        rollback(conn)


def test_a_database_another_tool_began_migrating_is_refused_unchanged(
    legacy: MigrationDriver,
) -> None:
    legacy.write("ALTER TABLE conversations ADD COLUMN created_by_user_id integer")
    before = observe.snapshot(legacy)
    with pytest.raises(
        MigrationError, match=r"already has conversations\.created_by_user_id but no chatgate"
    ):
        apply(legacy.url)
    assert observe.snapshot(legacy) == before


def test_a_lock_held_by_a_long_transaction_makes_apply_give_up_in_words_then_finish_later(
    legacy: MigrationDriver,
) -> None:
    waits: list[float] = []
    with psycopg.connect(legacy.url) as holder:
        holder.execute("LOCK TABLE chat_messages IN ACCESS SHARE MODE")
        with pytest.raises(MigrationError) as raised:
            apply(legacy.url, ApplyOptions(lock_timeout_ms=50, lock_attempts=3), sleep=waits.append)
        holder.rollback()
    assert str(raised.value).startswith(
        "add chat_messages.pinned_by_user_id: the lock was not granted within 50 ms in 3 attempts"
    )
    assert len(waits) == 2, "a pause between attempts, none after the last"
    apply(legacy.url)
    assert _breaches(legacy.url) == []
