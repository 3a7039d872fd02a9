"""The user-based chat's first slice on a database migrated from generated legacy data:
one identity per user whatever profile wrote before, messaging and history."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from chatgate.fixtures.targets.chat_driver import png, wav
from chatgate.fixtures.targets.migration_driver import MigrationDriver, MigrationTarget
from chatgate.reference.chat import seams
from chatgate.reference.chat.errors import ChatError
from chatgate.reference.chat.seams import ChatSteps, ReadMark
from chatgate.reference.chat.service import (
    ChatService,
    ConversationSummary,
    ConversationView,
    Started,
)
from chatgate.reference.migration.apply import apply
from chatgate.reference.sync.errors import Failure


@pytest.fixture
def migrated(legacy_database: str) -> MigrationDriver:
    apply(legacy_database)
    return MigrationDriver(MigrationTarget("reference"), legacy_database)


@pytest.fixture
def chat(migrated: MigrationDriver) -> ChatService:
    return ChatService(migrated.url)


def _two_strangers(migrated: MigrationDriver) -> tuple[int, int]:
    """Two users with no conversation together."""
    (pair,) = migrated.query(
        "SELECT a.id, b.id FROM users a, users b WHERE a.id < b.id AND NOT EXISTS ("
        "SELECT 1 FROM conversation_participants x JOIN conversation_participants y "
        "ON x.conversation_id = y.conversation_id WHERE x.user_id = a.id AND y.user_id = b.id) "
        "ORDER BY a.id, b.id LIMIT 1"
    )
    return pair[0], pair[1]


def _newcomers(migrated: MigrationDriver, count: int) -> list[int]:
    """`count` users who signed up after the migration: no history, blocks or settings."""
    rows = migrated.write(
        "INSERT INTO users (email, first_name, last_name) SELECT "
        "'newcomer-' || gen_random_uuid() || '@example.org', 'Newcomer', n::text "
        "FROM generate_series(1, %s) AS n RETURNING id",
        (count,),
    )
    return sorted(u for (u,) in rows)


def _direct(chat: ChatService, me: int, other: int) -> int:
    return chat.start_direct(me, other).conversation_id


def _ids(summaries: list[ConversationSummary]) -> list[int]:
    return [s.id for s in summaries]


def test_a_pair_whose_legacy_directs_were_merged_gets_the_kept_one_with_all_its_history(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    kept, users, messages = migrated.query(
        "SELECT c.id, array_agg(DISTINCT p.user_id ORDER BY p.user_id), "
        "(SELECT count(*) FROM chat_messages m WHERE m.conversation_id = c.id) "
        "FROM conversations c JOIN conversation_participants p ON p.conversation_id = c.id "
        "WHERE c.id IN (SELECT merged_into FROM chatgate_migration.merged_conversations) "
        "GROUP BY c.id ORDER BY c.id LIMIT 1"
    )[0]
    me, other = users
    assert chat.start_direct(me, other) == Started(kept, created=False)
    seen = chat.history(other, kept, limit=100).messages
    assert len(seen) == messages
    assert {m.sender_user_id for m in seen} <= {me, other}


def test_starting_a_conversation_twice_or_at_once_gives_one_conversation(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    with ThreadPoolExecutor(8) as pool:
        starts = list(pool.map(lambda _: chat.start_direct(me, other), range(16)))
    assert len({s.conversation_id for s in starts}) == 1
    assert [s.created for s in starts].count(True) == 1
    assert chat.start_direct(other, me) == Started(starts[0].conversation_id, created=False)


@pytest.mark.parametrize(
    ("call", "failure", "text"),
    [
        (
            lambda c: c.start_direct(1, 1),
            Failure.INVALID,
            "a direct conversation needs another user",
        ),
        (lambda c: c.start_direct(1, 99_999_999), Failure.NOT_FOUND, "there is no user 99999999"),
        (
            lambda c: c.start_direct(1, "2"),
            Failure.INVALID,
            "user_id must be a positive whole number",
        ),
        (
            lambda c: c.history(1, 1, limit=0),
            Failure.INVALID,
            "limit must be a whole number from 1",
        ),
        (lambda c: c.conversations(1, offset=-1), Failure.INVALID, "offset must be a whole number"),
    ],
)
def test_bad_requests_are_refused_in_words(
    chat: ChatService, call: object, failure: Failure, text: str
) -> None:
    with pytest.raises(ChatError) as raised:
        call(chat)  # type: ignore[operator]
    assert raised.value.failure is failure
    assert text in raised.value.message


def test_outsiders_cannot_tell_a_conversation_exists(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    outsider = next(
        u for (u,) in migrated.query("SELECT id FROM users ORDER BY id") if u not in (me, other)
    )
    for call in (
        lambda: chat.send_text(outsider, conversation, "hi"),
        lambda: chat.history(outsider, conversation),
    ):
        with pytest.raises(ChatError, match=r"^Conversation not found$"):
            call()
    with pytest.raises(ChatError, match=r"^Conversation not found$"):
        chat.history(me, 99_999_999)


@pytest.mark.parametrize("text", ["", "   ", None, 5, "x" * 4001])
def test_a_message_that_is_not_text_is_refused_and_nothing_is_sent(
    migrated: MigrationDriver, chat: ChatService, text: object
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    with pytest.raises(ChatError, match="text must be a non-blank string of at most 4000"):
        chat.send_text(me, conversation, text)
    assert chat.history(other, conversation).messages == []


def test_the_recipient_sees_messages_a_page_at_a_time_and_unread_counts_follow_reads(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    sent = [chat.send_text(me, conversation, f"message {n}") for n in range(5)]
    pages, before = [], None
    while True:
        page = chat.history(other, conversation, before=before, limit=2)
        pages.append([m.text for m in page.messages])
        if page.next_before is None:
            break
        before = page.next_before
    assert pages == [["message 4", "message 3"], ["message 2", "message 1"], ["message 0"]]
    (mine,) = [c for c in chat.conversations(other, limit=100) if c.id == conversation]
    assert (mine.unread, mine.last_message.text if mine.last_message else None) == (5, "message 4")
    chat.mark_read(other, conversation, sent[2].id)
    (mine,) = [c for c in chat.conversations(other, limit=100) if c.id == conversation]
    assert mine.unread == 2
    assert (mine.others, mine.participant_user_ids) == ([me], sorted((me, other)))


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-03-01 12:00:01.5", "2026-03-01 12:00:01.500000"),
        ("2026-03-01 12:00:01.12345", "2026-03-01 12:00:01.123450"),
        ("2026-03-01 12:00:01", "2026-03-01 12:00:01"),
    ],
)
def test_the_conversation_list_shows_a_last_message_whatever_digits_its_time_has(
    migrated: MigrationDriver, chat: ChatService, stored: str, shown: str
) -> None:
    # PostgreSQL's JSON drops a fraction's trailing zeros; Python 3.10 read only 3 or 6 digits.
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    sent = chat.send_text(me, conversation, "hello")
    migrated.write("UPDATE chat_messages SET created_at = %s WHERE id = %s", (stored, sent.id))
    (mine,) = [c for c in chat.conversations(other, limit=100) if c.id == conversation]
    assert mine.last_message is not None
    assert (mine.last_message.text, str(mine.last_message.sent_at)) == ("hello", shown)


def test_switching_role_keeps_one_history_for_the_user(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    # A user who chatted through two profiles before the migration.
    (user,) = migrated.query(
        "SELECT p.user_id FROM conversation_participants p "
        "JOIN conversations c ON c.id = p.conversation_id WHERE c.merged_into_id IS NULL "
        "GROUP BY p.user_id HAVING count(DISTINCT p.profile_type) > 1 ORDER BY 1 LIMIT 1"
    )[0]
    expected = {
        c
        for (c,) in migrated.query(
            "SELECT DISTINCT p.conversation_id FROM conversation_participants p "
            "JOIN conversations c ON c.id = p.conversation_id "
            "WHERE p.user_id = %s AND c.merged_into_id IS NULL AND coalesce(p.is_active, true)",
            (user,),
        )
    }
    listed = {c.id for c in chat.conversations(user, limit=100)}
    assert listed == expected


def test_the_chat_refuses_a_database_that_is_not_migrated(legacy_database: str) -> None:
    with pytest.raises(ChatError, match="not migrated to user identities"):
        ChatService(legacy_database).conversations(1)


def test_a_block_stops_messages_both_ways_until_it_is_lifted(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    chat.block(me, other)
    for sender in (me, other):
        with pytest.raises(ChatError, match="one of you has blocked the other") as raised:
            chat.send_text(sender, conversation, "hello?")
        assert raised.value.failure is Failure.FORBIDDEN
    assert other in chat.blocked(me)
    chat.unblock(me, other)
    assert other not in chat.blocked(me)
    assert chat.send_text(other, conversation, "hello again").text == "hello again"


def test_settings_are_created_by_the_first_write_and_changed_by_later_ones(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    (user,) = migrated.query(
        "SELECT id FROM users u WHERE NOT EXISTS "
        "(SELECT 1 FROM chat_settings s WHERE s.user_id = u.id) "
        "ORDER BY id LIMIT 1"
    )[0]
    assert chat.settings(user)["who_can_message"] == "everyone"
    assert chat.update_settings(user, {"read_receipts": False})["read_receipts"] is False
    after = chat.update_settings(user, {"who_can_message": "none"})
    assert (after["who_can_message"], after["read_receipts"]) == ("none", False)
    assert migrated.query("SELECT count(*) FROM chat_settings WHERE user_id = %s", (user,)) == [
        (1,)
    ]


@pytest.mark.parametrize(
    ("changes", "text"),
    [
        ({}, "settings must be an object with at least one setting"),
        (
            {"who_can_message": "friends"},
            "who_can_message must be one of everyone, connections, none",
        ),
        ({"read_receipts": "yes"}, "read_receipts must be true or false"),
        ({"read_receipts": 1}, "read_receipts must be true or false"),
        ({"theme": "dark"}, "unknown settings ['theme']"),
    ],
)
def test_a_bad_settings_change_is_refused_and_nothing_changes(
    chat: ChatService, changes: dict[str, object], text: str
) -> None:
    before = chat.settings(1)
    with pytest.raises(ChatError, match=re.escape(text)):
        chat.update_settings(1, changes)
    assert chat.settings(1) == before


def test_who_can_message_connections_refuses_strangers_and_lets_connections_in(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    (recipient, friend) = migrated.query(
        "SELECT recipient_id, requested_by FROM connections WHERE status = 'accepted' "
        "AND NOT EXISTS (SELECT 1 FROM blocked_chat_contacts b WHERE (b.blocker_user_id, "
        "b.blocked_user_id) IN ((recipient_id, requested_by), (requested_by, recipient_id))) "
        "ORDER BY id LIMIT 1"
    )[0]
    (stranger,) = migrated.query(
        "SELECT u.id FROM users u WHERE u.id NOT IN (%s, %s) AND NOT EXISTS (SELECT 1 FROM "
        "connections c WHERE c.status = 'accepted' AND %s IN (c.requested_by, c.recipient_id) "
        "AND u.id IN (c.requested_by, c.recipient_id)) ORDER BY u.id LIMIT 1",
        (recipient, friend, recipient),
    )[0]
    chat.update_settings(recipient, {"who_can_message": "connections"})
    with pytest.raises(ChatError, match="accepts messages from their connections only"):
        chat.start_direct(stranger, recipient)
    assert chat.start_direct(friend, recipient).conversation_id > 0
    chat.update_settings(recipient, {"who_can_message": "none"})
    with pytest.raises(ChatError, match="accepts messages from nobody"):
        chat.start_direct(friend, recipient)


def test_delete_for_me_hides_the_history_from_me_only(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    chat.send_text(other, conversation, "before")
    chat.delete_for_me(me, conversation)
    chat.send_text(other, conversation, "after")
    assert [m.text for m in chat.history(me, conversation).messages] == ["after"]
    assert [m.text for m in chat.history(other, conversation).messages] == ["after", "before"]


def test_search_finds_conversations_by_a_participants_name_or_a_message_i_see(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    ((first,),) = migrated.query("SELECT first_name FROM users WHERE id = %s", (other,))
    assert conversation in _ids(chat.search(me, first.upper(), limit=100))
    chat.send_text(other, conversation, "the quarterly 100% report_v2")
    (found,) = chat.search(me, "100% report_v2")
    assert (found.id, found.participant_user_ids, found.others) == (
        conversation,
        sorted((me, other)),
        [other],
    )
    assert found.last_message is not None
    assert found.last_message.text == "the quarterly 100% report_v2"
    assert chat.search(me, "quarterly 1_0") == []  # % and _ are taken literally
    chat.delete_for_me(me, conversation)
    assert conversation not in _ids(chat.search(me, "quarterly"))
    with pytest.raises(ChatError, match="a search needs 1 to 100 characters"):
        chat.search(me, "  ")


PNG = png()


def test_an_image_and_a_voice_note_are_stored_and_served_back_byte_for_byte(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    image = chat.upload(me, "image", PNG, "image/png")
    voice = chat.upload(me, "voice", wav(1.5))
    assert (image["mime"], image["size"]) == ("image/png", len(PNG))
    assert voice["mime"] == "audio/x-wav"
    assert voice["duration_seconds"] == pytest.approx(1.5, abs=0.01)
    sent = [chat.send_media(me, conversation, m["id"]) for m in (image, voice)]
    assert [(m.type, m.media_url) for m in sent] == [
        ("image", image["url"]),
        ("audio", voice["url"]),
    ]
    assert chat.media(other, image["id"]) == ("image/png", PNG)
    outsider = next(
        u for (u,) in migrated.query("SELECT id FROM users ORDER BY id") if u not in (me, other)
    )
    with pytest.raises(ChatError, match=r"^Media not found$"):
        chat.media(outsider, image["id"])


@pytest.mark.parametrize(
    ("kind", "content", "claimed", "text"),
    [
        ("image", b"just text", None, "an image must be one of image/png"),
        (
            "image",
            PNG,
            "image/jpeg",
            "the upload says it is image/jpeg, but its bytes are image/png",
        ),
        ("voice", PNG, None, "a voice note must be audio"),
        ("file", b"", None, "the upload is empty"),
        ("video", PNG, None, "kind must be one of image, file, voice"),
    ],
)
def test_an_upload_is_judged_by_its_bytes_and_a_refused_one_is_not_stored(
    migrated: MigrationDriver,
    chat: ChatService,
    kind: str,
    content: bytes,
    claimed: str | None,
    text: str,
) -> None:
    before = migrated.query("SELECT to_regclass('chat_media') IS NOT NULL")
    with pytest.raises(ChatError, match=re.escape(text)):
        chat.upload(1, kind, content, claimed)
    if before[0][0]:
        assert migrated.query("SELECT count(*) FROM chat_media") == [(0,)]


def test_a_voice_note_longer_than_ten_minutes_is_refused_with_its_length(chat: ChatService) -> None:
    with pytest.raises(ChatError, match=r"at most 600 s; this one lasts 601\.0 s"):
        chat.upload(1, "voice", wav(601, rate=1000))


@pytest.mark.parametrize(
    "url",
    [
        "blob:https://app.example.org/5f1c",
        "data:image/png;base64,iVBO",
        "file:///tmp/x.png",
        "http://x.org/a.png",
    ],
)
def test_a_media_url_that_is_not_durable_is_refused(
    migrated: MigrationDriver, chat: ChatService, url: str
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    with pytest.raises(ChatError, match="must be a durable https URL"):
        chat.send_media_url(me, conversation, "image", url)
    assert chat.history(other, conversation).messages == []
    sent = chat.send_media_url(me, conversation, "image", "https://cdn.example.org/a.png")
    assert sent.media_url == "https://cdn.example.org/a.png"


def test_a_call_rings_is_answered_and_ends_with_its_log(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    call = chat.start_call(me, conversation, "video")
    assert (call["status"], call["call_type"], call["caller_user_id"]) == ("initiated", "video", me)
    assert chat.call_event(other, call["id"], "ring")["status"] == "ringing"
    assert chat.call_event(other, call["id"], "answer")["answered_at"] is not None
    ended = chat.call_event(me, call["id"], "end")
    assert (ended["status"], ended["duration_seconds"] >= 0) == ("ended", True)
    with pytest.raises(ChatError, match="a call that is ended cannot become ended"):
        chat.call_event(other, call["id"], "end")


@pytest.mark.parametrize(
    ("by_caller", "event", "status"),
    [(True, "cancel", "cancelled"), (False, "decline", "declined"), (False, "miss", "missed")],
)
def test_a_call_that_is_not_answered_ends_cancelled_declined_or_missed(
    migrated: MigrationDriver, chat: ChatService, by_caller: bool, event: str, status: str
) -> None:
    me, other = _two_strangers(migrated)
    call = chat.start_call(me, _direct(chat, me, other), "voice")
    assert chat.call_event(me if by_caller else other, call["id"], event)["status"] == status


def test_only_the_callee_answers_and_only_the_caller_cancels(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    call = chat.start_call(me, _direct(chat, me, other), "voice")
    with pytest.raises(ChatError, match="only the callee may answer this call"):
        chat.call_event(me, call["id"], "answer")
    with pytest.raises(ChatError, match="only the caller may cancel this call"):
        chat.call_event(other, call["id"], "cancel")


def test_a_call_type_the_schema_does_not_allow_and_a_blocked_callee_are_refused(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    conversation = _direct(chat, me, other)
    with pytest.raises(ChatError, match="call_type must be one of voice, video"):
        chat.start_call(me, conversation, "audio")
    chat.block(other, me)
    with pytest.raises(ChatError, match="one of you has blocked the other"):
        chat.start_call(me, conversation, "voice")
    assert migrated.query(
        "SELECT count(*) FROM call_logs WHERE conversation_id = %s", (conversation,)
    ) == [(0,)]


def test_rollback_refuses_while_a_call_has_a_status_the_legacy_schema_lacks(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other = _two_strangers(migrated)
    call = chat.start_call(me, _direct(chat, me, other), "voice")
    chat.call_event(me, call["id"], "cancel")
    outcome = migrated.rollback()
    assert not outcome.ok
    assert f"call_logs #{call['id']} (cancelled)" in outcome.error


# -- groups ----------------------------------------------------------------------------
def test_a_group_is_made_with_its_members_and_every_member_sees_it(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, *members = _newcomers(migrated, 3)
    group = chat.create_group(me, "Study group", list(reversed(members)))
    assert group == ConversationView(group.id, "group", "Study group", [me, *members])
    for user in (me, *members):
        assert chat.conversation(user, group.id) == group
        assert group.id in _ids(chat.conversations(user, limit=100))
    assert migrated.query(
        "SELECT created_by_user_id FROM conversations WHERE id = %s", (group.id,)
    ) == [(me,)]
    assert chat.send_text(members[0], group.id, "hello all").text == "hello all"


@pytest.mark.parametrize("blocker", ["the member", "the creator"])
def test_a_group_with_a_blocked_or_unknown_member_is_refused_and_nothing_is_made(
    migrated: MigrationDriver, chat: ChatService, blocker: str
) -> None:
    me, fine, blocked = _newcomers(migrated, 3)
    if blocker == "the member":
        chat.block(blocked, me)
    else:
        chat.block(me, blocked)
    groups = migrated.query("SELECT count(*) FROM conversations")
    with pytest.raises(ChatError, match=f"you cannot add user {blocked} to a group") as raised:
        chat.create_group(me, "No way", [fine, blocked])
    assert raised.value.failure is Failure.FORBIDDEN
    with pytest.raises(ChatError, match="there is no user 99999999") as raised:
        chat.create_group(me, "No way", [fine, 99_999_999])
    assert raised.value.failure is Failure.NOT_FOUND
    assert migrated.query("SELECT count(*) FROM conversations") == groups
    assert chat.conversations(fine) == []


@pytest.mark.parametrize(
    ("name", "members", "text"),
    [
        ("", [2], "a group's name must be a non-blank string of 1 to 100 characters"),
        ("   ", [2], "a group's name must be a non-blank string"),
        ("x" * 101, [2], "a group's name must be a non-blank string of 1 to 100"),
        (None, [2], "a group's name must be a non-blank string"),
        ("Team", [], "participant_user_ids must be a list of 1 to 100 user ids"),
        ("Team", "2", "participant_user_ids must be a list of 1 to 100 user ids"),
        ("Team", list(range(2, 103)), "participant_user_ids must be a list of 1 to 100"),
        ("Team", [2, "3"], "each of participant_user_ids must be a positive whole number"),
        ("Team", [2, 3, 2], "participant_user_ids names users [2] more than once"),
        ("Team", [2, 1], "you are in the group you make already"),
    ],
)
def test_a_bad_group_is_refused_in_words(
    chat: ChatService, name: object, members: object, text: str
) -> None:
    with pytest.raises(ChatError, match=re.escape(text)) as raised:
        chat.create_group(1, name, members)
    assert raised.value.failure is Failure.INVALID


def test_a_member_adds_someone_to_a_group_once_and_only_to_a_group(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, member, newcomer, outsider = _newcomers(migrated, 4)
    group = chat.create_group(me, "Readers", [member])
    added = chat.add_participant(member, group.id, newcomer)
    assert added.participant_user_ids == sorted((me, member, newcomer))
    assert chat.add_participant(me, group.id, newcomer) == added
    assert migrated.query(
        "SELECT count(*) FROM conversation_participants WHERE conversation_id = %s",
        (group.id,),
    ) == [(3,)]
    assert chat.history(newcomer, group.id).messages == []
    with pytest.raises(ChatError, match=r"^Conversation not found$"):
        chat.add_participant(outsider, group.id, outsider)
    direct = _direct(chat, me, member)
    with pytest.raises(ChatError, match="only a group takes new participants") as raised:
        chat.add_participant(me, direct, newcomer)
    assert raised.value.failure is Failure.INVALID
    with pytest.raises(ChatError, match="there is no user 99999999"):
        chat.add_participant(me, group.id, 99_999_999)


@pytest.mark.parametrize("blocker", ["the added", "the adder"])
def test_a_block_either_way_keeps_the_added_out_of_the_group(
    migrated: MigrationDriver, chat: ChatService, blocker: str
) -> None:
    me, member, blocked = _newcomers(migrated, 3)
    group = chat.create_group(me, "Closed", [member])
    chat.block(*((blocked, me) if blocker == "the added" else (me, blocked)))
    with pytest.raises(ChatError, match=f"you cannot add user {blocked} to a group") as raised:
        chat.add_participant(me, group.id, blocked)
    assert raised.value.failure is Failure.FORBIDDEN
    assert chat.conversation(member, group.id).participant_user_ids == sorted((me, member))
    # Only the adder and the added count (chat-contract.md, section 5).
    assert blocked in chat.add_participant(member, group.id, blocked).participant_user_ids


# -- read marks ------------------------------------------------------------------------
def test_read_status_shows_how_far_the_others_read_unless_they_keep_receipts_off(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, reader, quiet = _newcomers(migrated, 3)
    group = chat.create_group(me, "Receipts", [reader, quiet])
    sent = [chat.send_text(me, group.id, f"note {n}") for n in range(3)]
    assert chat.read_status(me, group.id) == [ReadMark(reader, None), ReadMark(quiet, None)]
    assert chat.mark_read(reader, group.id, sent[2].id) == sent[2].id
    assert chat.mark_read(reader, group.id, sent[0].id) == sent[2].id  # never backwards
    chat.mark_read(quiet, group.id, sent[1].id)
    chat.update_settings(quiet, {"read_receipts": False})
    assert chat.read_status(me, group.id) == [
        ReadMark(reader, sent[2].id),
        ReadMark(quiet, None),
    ]
    # Turning your own receipts off does not hide the others' from you.
    assert chat.read_status(quiet, group.id) == [
        ReadMark(me, None),
        ReadMark(reader, sent[2].id),
    ]


def test_a_read_mark_must_be_a_message_of_the_conversation(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other, third = _newcomers(migrated, 3)
    conversation, elsewhere = _direct(chat, me, other), _direct(chat, me, third)
    foreign = chat.send_text(third, elsewhere, "not here")
    with pytest.raises(ChatError, match=r"^Message not found$") as raised:
        chat.mark_read(me, conversation, foreign.id)
    assert raised.value.failure is Failure.NOT_FOUND
    with pytest.raises(ChatError, match=r"^Conversation not found$"):
        chat.read_status(third, conversation)


# -- the call log ----------------------------------------------------------------------
CALL_KEYS = {
    "id",
    "conversation_id",
    "caller_user_id",
    "call_type",
    "status",
    "started_at",
    "answered_at",
    "ended_at",
    "duration_seconds",
}


def test_the_call_log_lists_my_calls_newest_first_with_every_field(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    me, other, third = _newcomers(migrated, 3)
    first = chat.start_call(me, _direct(chat, me, other), "voice")
    declined = chat.call_event(other, first["id"], "decline")
    second = chat.start_call(third, _direct(chat, third, me), "video")
    assert set(first) == set(declined) == set(second) == CALL_KEYS
    log = chat.calls(me)
    assert [c["id"] for c in log] == [second["id"], first["id"]]
    assert all(set(c) == CALL_KEYS for c in log)
    assert (log[1]["status"], log[1]["caller_user_id"]) == ("declined", me)
    assert [c["id"] for c in chat.calls(other)] == [first["id"]]
    assert [c["id"] for c in chat.calls(me, limit=1)] == [second["id"]]


# -- the pool and the seams ------------------------------------------------------------
def test_a_pooled_service_reuses_its_connections_and_closing_it_closes_them(
    chat: ChatService,
) -> None:
    chat.database.open(1)
    try:
        with chat.database.connection() as first:
            pid = first.info.backend_pid
        before = chat.settings(1)
        with chat.database.connection() as again:
            assert again.info.backend_pid == pid
    finally:
        chat.database.close()
    assert first.closed
    assert chat.settings(1) == before  # still answering, on a fresh connection per call


SEAMS = (
    "blocked_between",
    "may_message",
    "store_settings",
    "record_call",
    "clear_history",
    "remove_block",
    "blocked_list",
    "media_link",
    "visible_read_marks",
)


def test_every_decision_a_mutant_may_override_goes_through_its_seam(
    migrated: MigrationDriver,
) -> None:
    assert {n for n in vars(ChatSteps) if not n.startswith("_")} == {*SEAMS, "call_types"}
    assert all(name in (seams.__doc__ or "") for name in (*SEAMS, "call_types"))
    called: set[str] = set()

    def recorded(name: str) -> object:
        def step(self: ChatService, *args: object) -> object:
            called.add(name)
            return getattr(ChatSteps, name)(self, *args)

        return step

    recording = type("Recording", (ChatService,), {n: recorded(n) for n in SEAMS})
    chat = recording(migrated.url)
    me, other, third = _newcomers(migrated, 3)
    conversation = _direct(chat, me, other)
    chat.create_group(me, "Seams", [third])
    chat.send_media_url(me, conversation, "image", "https://cdn.example.org/a.png")
    chat.update_settings(me, {"read_receipts": False})
    chat.start_call(me, conversation, "voice")
    chat.read_status(me, conversation)
    chat.delete_for_me(me, conversation)
    chat.block(me, third)
    chat.unblock(me, third)
    chat.blocked(me)
    assert called == set(SEAMS)


def test_the_service_decides_through_its_seams_so_an_override_changes_the_answer(
    migrated: MigrationDriver, chat: ChatService
) -> None:
    class FailsOpen(ChatService):
        def blocked_between(self, conn: object, a: int, b: int) -> bool:  # noqa: ARG002
            return False

    class AudioCalls(ChatService):
        call_types = ("audio", "video")

    me, other = _newcomers(migrated, 2)
    conversation = _direct(chat, me, other)
    chat.block(other, me)
    with pytest.raises(ChatError, match="one of you has blocked the other"):
        chat.send_text(me, conversation, "let me in")
    assert FailsOpen(migrated.url).send_text(me, conversation, "let me in").text == "let me in"
    with pytest.raises(ChatError, match="call_type must be one of voice, video"):
        chat.start_call(other, conversation, "audio")
    with pytest.raises(ChatError, match="call_type must be one of audio, video"):
        AudioCalls(migrated.url).start_call(other, conversation, "voice")


def test_the_chats_connections_plan_each_query_for_its_values_keeping_the_urls_options(
    migrated: MigrationDriver,
) -> None:
    """A prepared history query must not fall back to PostgreSQL's generic plan (it walks
    the whole message table backwards); options the URL carries still apply."""
    sep = "&" if "?" in migrated.url else "?"
    chat = ChatService(f"{migrated.url}{sep}options=-c%20statement_timeout%3D4321")
    for pooled in (False, True):
        if pooled:
            chat.database.open(1)
        try:
            with chat.database.connection() as conn:
                shown = {
                    name: conn.execute(f"SHOW {name}").fetchone()[name]
                    for name in ("plan_cache_mode", "statement_timeout")
                }
        finally:
            chat.database.close()
        assert shown == {"plan_cache_mode": "force_custom_plan", "statement_timeout": "4321ms"}
