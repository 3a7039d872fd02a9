"""The reference migration on real PostgreSQL: each policy's effect on the generated
hard cases, idempotency, the exact rollback round trip, and the compatibility
triggers for writers old and new."""

from __future__ import annotations

import psycopg
import pytest

from chatgate.reference.migration.apply import MigrationError, apply, connect
from chatgate.reference.migration.rollback import RollbackRefused, rollback
from chatgate.reference.migration.verify import verify
from tests.migration_db import catalog, content, execute, one, rows


def _rollback(url: str) -> None:
    with connect(url) as conn:
        rollback(conn)


def _verification(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [f"{c.name}: {c.detail}" for c in verify(conn).breaches]


def test_after_apply_every_invariant_holds(legacy_database: str) -> None:
    apply(legacy_database)
    assert _verification(legacy_database) == []


def test_an_unmigrated_database_breaches_the_invariants_verify_checks(legacy_database: str) -> None:
    breaches = _verification(legacy_database)
    assert any("column conversations.created_by_user_id does not exist" in b for b in breaches)
    assert any(b.startswith("a unique index on chat_settings (user_id): missing") for b in breaches)
    assert any(b.startswith("one row per (user_id) in chat_settings: ") for b in breaches)
    assert any(b.startswith("one direct conversation per user pair: ") for b in breaches)


def test_a_second_apply_changes_nothing(legacy_database: str) -> None:
    apply(legacy_database)
    data, schema = content(legacy_database), catalog(legacy_database)
    again = apply(legacy_database)
    assert not again.changed_anything
    assert content(legacy_database) == data
    assert catalog(legacy_database) == schema


def test_rollback_restores_the_legacy_schema_and_data_exactly(legacy_database: str) -> None:
    data, schema = content(legacy_database), catalog(legacy_database)
    apply(legacy_database)
    assert content(legacy_database) != data
    _rollback(legacy_database)
    assert catalog(legacy_database) == schema
    assert content(legacy_database) == data


def test_rollback_of_a_database_chatgate_never_migrated_is_refused(legacy_database: str) -> None:
    with pytest.raises(MigrationError, match="has no chatgate_migration ledger"):
        _rollback(legacy_database)


def test_several_settings_rows_merge_into_one_with_the_most_restrictive_privacy(
    legacy_database: str,
) -> None:
    user = one(
        legacy_database,
        "SELECT user_id FROM chat_settings GROUP BY user_id "
        "HAVING count(DISTINCT who_can_message) > 1 "
        "OR bool_or(read_receipts) <> bool_and(read_receipts) "
        "ORDER BY user_id LIMIT 1",
    )
    before = rows(
        legacy_database,
        "SELECT who_can_message, read_receipts, disable_forwarding, font_size, updated_at "
        "FROM chat_settings WHERE user_id = %s ORDER BY updated_at DESC, id DESC",
        (user,),
    )
    apply(legacy_database)
    after = rows(
        legacy_database,
        "SELECT who_can_message, read_receipts, disable_forwarding, font_size FROM chat_settings "
        "WHERE user_id = %s",
        (user,),
    )
    ranks = ["everyone", "connections", "none"]
    assert after == [
        (
            max((r[0] for r in before), key=ranks.index),
            all(r[1] for r in before),
            any(r[2] for r in before),
            before[0][3],  # not a privacy field: the most recently updated row's
        )
    ]


def test_a_user_in_one_conversation_through_two_profiles_becomes_one_participant(
    legacy_database: str,
) -> None:
    conversation, user = one(
        legacy_database,
        "SELECT conversation_id, user_id FROM conversation_participants "
        "GROUP BY 1, 2 HAVING count(*) > 1 ORDER BY 1 LIMIT 1",
    )
    before = rows(
        legacy_database,
        "SELECT joined_at, is_muted, is_pinned FROM conversation_participants "
        "WHERE conversation_id = %s AND user_id = %s",
        (conversation, user),
    )
    apply(legacy_database)
    assert rows(
        legacy_database,
        "SELECT joined_at, is_muted, is_pinned FROM conversation_participants "
        "WHERE conversation_id = %s AND user_id = %s",
        (conversation, user),
    ) == [(min(r[0] for r in before), any(r[1] for r in before), any(r[2] for r in before))]


def test_two_direct_conversations_of_one_pair_merge_into_the_oldest_and_nothing_is_deleted(
    legacy_database: str,
) -> None:
    pairs = (
        "SELECT c.id, array_agg(DISTINCT p.user_id ORDER BY p.user_id) AS users "
        "FROM conversations c JOIN conversation_participants p ON p.conversation_id = c.id "
        "WHERE c.type = 'direct' GROUP BY c.id HAVING count(DISTINCT p.user_id) = 2"
    )
    ids = one(
        legacy_database,
        f"SELECT array_agg(id ORDER BY id) FROM ({pairs}) d GROUP BY users HAVING count(*) > 1 "
        "ORDER BY 1 LIMIT 1",
    )
    messages = one(
        legacy_database,
        "SELECT count(*) FROM chat_messages WHERE conversation_id = ANY(%s)",
        (ids,),
    )
    conversations = one(legacy_database, "SELECT count(*) FROM conversations")
    apply(legacy_database)
    kept, merged = ids[0], ids[1:]
    assert (
        one(
            legacy_database,
            "SELECT count(*) FROM chat_messages WHERE conversation_id = %s",
            (kept,),
        )
        == messages
    )
    assert rows(
        legacy_database,
        "SELECT id, merged_into_id FROM conversations WHERE id = ANY(%s) ORDER BY id",
        (ids,),
    ) == [(kept, None)] + [(m, kept) for m in merged]
    assert rows(
        legacy_database,
        "SELECT conversation_id, merged_into FROM chatgate_migration.merged_conversations "
        "WHERE merged_into = %s ORDER BY 1",
        (kept,),
    ) == [(m, kept) for m in merged]
    assert one(legacy_database, "SELECT count(*) FROM conversations") == conversations


def test_orphans_keep_the_user_id_they_were_written_with_and_are_all_reported(
    legacy_database: str,
) -> None:
    gone = rows(
        legacy_database,
        "SELECT m.id, m.sender_user_id FROM chat_messages m WHERE m.sender_profile_type = 'tutor' "
        "AND NOT EXISTS (SELECT 1 FROM tutor_profiles p WHERE p.id = m.sender_profile_id) "
        "ORDER BY m.id",
    )
    assert gone, "the generated data has messages by a deleted tutor profile"
    apply(legacy_database)
    reported = rows(
        legacy_database,
        "SELECT row_id, kept_user_id FROM chatgate_migration.orphans "
        "WHERE table_name = 'chat_messages' "
        "AND user_column = 'sender_user_id' AND reason = 'profile row is gone' "
        "AND profile_type = 'tutor' ORDER BY row_id",
    )
    assert reported == gone
    assert (
        rows(
            legacy_database,
            "SELECT id, sender_user_id FROM chat_messages WHERE id = ANY(%s) ORDER BY id",
            ([g[0] for g in gone],),
        )
        == gone
    )


def test_a_legacy_writer_that_names_only_profiles_gets_user_ids_after_the_migration(
    legacy_database: str,
) -> None:
    apply(legacy_database)
    conversation, kind, profile, user = one(
        legacy_database,
        "SELECT p.conversation_id, p.profile_type, p.profile_id, p.user_id "
        "FROM conversation_participants p "
        "JOIN conversations c ON c.id = p.conversation_id WHERE c.merged_into_id IS NULL "
        "AND p.profile_type = 'student' ORDER BY p.id LIMIT 1",
    )
    written = execute(
        legacy_database,
        "INSERT INTO chat_messages (conversation_id, sender_profile_id, sender_profile_type, "
        "content, "
        "is_pinned, pinned_by_profile_id, pinned_by_profile_type) "
        "VALUES (%s, %s, %s, 'written the old way', true, %s, %s) "
        "RETURNING sender_user_id, pinned_by_user_id",
        (conversation, profile, kind, profile, kind),
    )
    assert written == [(user, user)]
    assert _verification(legacy_database) == []


def test_a_legacy_write_into_a_merged_conversation_lands_in_the_kept_one_and_rollback_moves_it_back(
    legacy_database: str,
) -> None:
    apply(legacy_database)
    merged, kept = one(
        legacy_database,
        "SELECT conversation_id, merged_into FROM chatgate_migration.merged_conversations LIMIT 1",
    )
    kind, profile = one(
        legacy_database,
        "SELECT profile_type, profile_id FROM conversation_participants "
        "WHERE conversation_id = %s LIMIT 1",
        (merged,),
    )
    ((message, landed),) = execute(
        legacy_database,
        "INSERT INTO chat_messages "
        "(conversation_id, sender_profile_id, sender_profile_type, content) "
        "VALUES (%s, %s, %s, 'into the old conversation') RETURNING id, conversation_id",
        (merged, profile, kind),
    )
    assert landed == kept
    _rollback(legacy_database)
    assert (
        one(legacy_database, "SELECT conversation_id FROM chat_messages WHERE id = %s", (message,))
        == merged
    )


def test_rows_written_by_user_only_writers_get_their_profile_back_on_rollback(
    legacy_database: str,
) -> None:
    apply(legacy_database)
    conversation, kind, profile, user = one(
        legacy_database,
        "SELECT p.conversation_id, p.profile_type, p.profile_id, p.user_id "
        "FROM conversation_participants p "
        "JOIN conversations c ON c.id = p.conversation_id WHERE c.type = 'group' "
        "AND c.merged_into_id IS NULL ORDER BY p.id LIMIT 1",
    )
    ((message,),) = execute(
        legacy_database,
        "INSERT INTO chat_messages (conversation_id, sender_user_id, content) "
        "VALUES (%s, %s, 'written the new way') RETURNING id",
        (conversation, user),
    )
    _rollback(legacy_database)
    assert one(
        legacy_database,
        "SELECT sender_profile_type, sender_profile_id FROM chat_messages WHERE id = %s",
        (message,),
    ) == (kind, profile)


def test_rollback_refuses_and_changes_nothing_when_a_new_row_has_no_single_profile(
    legacy_database: str,
) -> None:
    apply(legacy_database)
    user = one(
        legacy_database,
        "SELECT user_id FROM (SELECT user_id FROM student_profiles "
        "UNION ALL SELECT user_id FROM tutor_profiles "
        "UNION ALL SELECT user_id FROM parent_profiles) p WHERE user_id IS NOT NULL "
        "GROUP BY user_id HAVING count(*) > 1 ORDER BY user_id LIMIT 1",
    )
    other = one(legacy_database, "SELECT min(id) FROM users WHERE id <> %s", (user,))
    ((block,),) = execute(
        legacy_database,
        "INSERT INTO blocked_chat_contacts (blocker_user_id, blocked_user_id) "
        "SELECT %s, %s WHERE NOT EXISTS (SELECT 1 FROM blocked_chat_contacts "
        "WHERE blocker_user_id = %s AND blocked_user_id = %s) RETURNING id",
        (user, other, user, other),
    )
    data, schema = content(legacy_database), catalog(legacy_database)
    with pytest.raises(
        RollbackRefused, match=rf"blocked_chat_contacts #{block} \(user {user}; profiles: "
    ):
        _rollback(legacy_database)
    assert content(legacy_database) == data
    assert catalog(legacy_database) == schema


def test_a_database_another_tool_began_migrating_is_refused(legacy_database: str) -> None:
    execute(legacy_database, "ALTER TABLE conversations ADD COLUMN created_by_user_id integer")
    schema = catalog(legacy_database)
    with pytest.raises(
        MigrationError, match=r"already has conversations\.created_by_user_id but no chatgate"
    ):
        apply(legacy_database)
    assert catalog(legacy_database) == schema
