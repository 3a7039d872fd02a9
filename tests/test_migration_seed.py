"""The legacy data generator: deterministic, loaded whole, and holding every hard case
the migration must handle (as the plan's own findings see them)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from chatgate.reference.migration.findings import find
from chatgate.reference.migration.generate import SeedOptions, seed_legacy
from chatgate.reference.migration.legacy import (
    CHAT_TABLES,
    LEGACY_TABLES,
    NotLegacySchema,
    apply_legacy_schema,
    require_legacy_schema,
)

USERS = 60


def _seeded(url: str, **options: Any) -> dict[str, int]:
    with psycopg.connect(url, autocommit=True) as conn:
        apply_legacy_schema(conn)
        return seed_legacy(conn, SeedOptions(users=USERS, **options))


def _content(url: str) -> dict[str, str]:
    """An md5 of every legacy table's rows in id order."""
    with psycopg.connect(url) as conn:
        return {
            table: conn.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM {table} t"
            ).fetchone()[0]
            for table in LEGACY_TABLES
        }


@pytest.fixture
def seeded(postgres_database: str) -> str:
    _seeded(postgres_database)
    return postgres_database


def test_the_same_seed_generates_the_same_database_and_another_seed_another(
    seeded: str, postgres_server: Any
) -> None:
    again = postgres_server.create_database()
    other = postgres_server.create_database()
    try:
        _seeded(postgres_server.url_for(again))
        _seeded(postgres_server.url_for(other), seed=7)
        assert _content(postgres_server.url_for(again)) == _content(seeded)
        differing = [
            t
            for t, digest in _content(postgres_server.url_for(other)).items()
            if digest != _content(seeded)[t]
        ]
        assert set(CHAT_TABLES) <= set(differing)
    finally:
        postgres_server.drop_database(again)
        postgres_server.drop_database(other)


def test_the_counts_returned_are_the_rows_in_the_database(postgres_database: str) -> None:
    counts = _seeded(postgres_database)
    with psycopg.connect(postgres_database) as conn:
        for table in LEGACY_TABLES:
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counts[table], (
                table
            )
    assert counts["chat_messages"] > counts["conversations"] > USERS


@pytest.mark.parametrize(
    "case",
    [
        "settings",
        "participants",
        "blocks",
        "reactions",
        "receipts",
        "direct_conversations",
        "self_conversations",
        "orphans",
    ],
)
def test_every_hard_case_is_in_the_generated_data(seeded: str, case: str) -> None:
    with psycopg.connect(seeded) as conn:
        found = find(conn).case(case)
    assert found.groups >= 1, found
    assert found.rows >= found.groups, found


def test_orphans_include_gone_profiles_and_advertisers_without_a_user(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        orphans = find(conn).orphans
        userless_advertisers = conn.execute(
            "SELECT count(*) FROM advertiser_profiles WHERE user_id IS NULL"
        ).fetchone()[0]
    assert userless_advertisers >= 2
    gone = sum(g for g, _ in orphans.values())
    userless = sum(u for _, u in orphans.values())
    assert gone > 0, orphans
    assert userless > 0, orphans


def test_profile_ids_overlap_across_profile_types(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        shared = conn.execute(
            "SELECT count(*) FROM student_profiles s JOIN tutor_profiles t ON t.id = s.id"
        ).fetchone()[0]
    assert shared > 0


def test_after_seeding_an_insert_gets_the_next_id(seeded: str) -> None:
    with psycopg.connect(seeded) as conn:
        top = conn.execute("SELECT max(id) FROM chat_messages").fetchone()[0]
        new = conn.execute(
            "INSERT INTO chat_messages (conversation_id, sender_profile_id, sender_profile_type, "
            "sender_user_id, content) "
            "SELECT conversation_id, profile_id, profile_type, user_id, 'hi' "
            "FROM conversation_participants ORDER BY id LIMIT 1 RETURNING id"
        ).fetchone()[0]
    assert new == top + 1


@pytest.mark.parametrize("users", [0, 9, 5_000_001])
def test_an_out_of_range_user_count_is_refused_with_its_bounds(users: int) -> None:
    with pytest.raises(ValueError, match=rf"between 10 and 5000000, got {users}"):
        SeedOptions(users=users)


def test_a_database_without_the_legacy_tables_is_named_as_such(postgres_database: str) -> None:
    with psycopg.connect(postgres_database) as conn:
        with pytest.raises(NotLegacySchema, match="none of the legacy chat tables"):
            require_legacy_schema(conn)
        conn.execute("CREATE TABLE users (id serial PRIMARY KEY)")
        with pytest.raises(NotLegacySchema, match="missing: student_profiles, tutor_profiles"):
            require_legacy_schema(conn)
