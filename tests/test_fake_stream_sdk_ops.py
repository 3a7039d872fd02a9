"""The operations added for issue 14, through the official SDK: each test runs four ways,
the sync client (`StreamChat`) and the async client (`StreamChatAsync`), each in-process
(the `responses` / `aioresponses` transports) and over HTTP against the standalone fake,
and asserts what a backend would notice."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests

from chatgate.fakes.stream.clock import parse_stream_time
from tests.conftest import error_body, stream_error
from tests.sdk_api import PNG, Api, Receiver

CID = "messaging:c1"


def _c1(client: Any) -> Any:
    """The SDK's channel object for messaging:c1, with the creator a query needs."""
    return client.channel("messaging", "c1", {"created_by_id": "sat"})


def _send(api: Api, text: str, user_id: str = "amr", **options: Any) -> dict[str, Any]:
    message = {"text": text, **options.pop("message", {})}
    response = api(lambda c: c.channel("messaging", "c1").send_message(message, user_id, **options))
    return response["message"]


def _channel_messages(api: Api) -> list[str]:
    state = api(lambda c: _c1(c).query())
    return [m["text"] for m in state["messages"]]


def _unread(api: Api, user_id: str) -> int:
    return api(lambda c: c.unread_counts(user_id))["total_unread_count"]


def _commit(client: Any, message_id: str) -> Any:
    """CommitMessage: `StreamChatAsync` 4.33 has no `commit_message`, so its raw `post`."""
    if hasattr(client, "commit_message"):
        return client.commit_message(message_id)
    return client.post(f"messages/{message_id}/commit")


# -- pending messages and commit ------------------------------------------------


def test_a_pending_message_is_hidden_until_committed_and_commits_once(chat: Api) -> None:
    pending = _send(chat, "draft", pending=True, pending_message_metadata={"k": "v"})
    assert chat(lambda c: c.get_message(pending["id"]))["message"]["text"] == "draft"
    assert _channel_messages(chat) == []
    assert _unread(chat, "lolo") == 0
    committed = chat(lambda c: _commit(c, pending["id"]))["message"]
    assert committed["id"] == pending["id"]
    assert _channel_messages(chat) == ["draft"]
    assert _unread(chat, "lolo") == 1
    error = chat.fails(lambda c: _commit(c, pending["id"]))
    assert error_body(error) == stream_error(
        "CommitMessage", 4, 400, f"message {pending['id']} is not pending"
    )


def test_a_pending_message_cannot_be_updated_or_soft_deleted(chat: Api) -> None:
    pending = _send(chat, "draft", pending=True)
    error = chat.fails(lambda c: c.update_message_partial(pending["id"], {"set": {"a": 1}}, "amr"))
    assert error_body(error) == stream_error(
        "UpdateMessagePartial", 4, 400, "pending messages cannot be updated"
    )
    error = chat.fails(lambda c: c.delete_message(pending["id"]))
    assert error_body(error) == stream_error(
        "DeleteMessage", 4, 400, "pending messages must be hard deleted"
    )
    chat(lambda c: c.delete_message(pending["id"], hard=True))
    assert pending["id"] not in chat.state.messages


def test_commit_of_an_unknown_message_is_not_found(chat: Api) -> None:
    error = chat.fails(lambda c: _commit(c, "nope"))
    assert error.status_code == 404
    assert error_body(error) == stream_error(
        "CommitMessage", 16, 404, "message with id nope doesn't exist"
    )


# -- partial update, pins -------------------------------------------------------


def test_partial_update_sets_and_unsets_fields(chat: Api) -> None:
    sent = _send(chat, "hello world", message={"color": "red", "size": 1})
    updated = chat(
        lambda c: c.update_message_partial(
            sent["id"], {"set": {"text": "helloworld", "awesome": True}, "unset": ["color"]}, "amr"
        )
    )["message"]
    assert updated["text"] == "helloworld"
    assert updated["awesome"] is True
    assert "color" not in updated
    assert updated["size"] == 1
    assert chat(lambda c: c.get_message(sent["id"]))["message"]["awesome"] is True


def test_partial_update_of_a_reserved_field_is_refused(chat: Api) -> None:
    sent = _send(chat, "hi")
    error = chat.fails(
        lambda c: c.update_message_partial(sent["id"], {"set": {"created_at": "x"}}, "amr")
    )
    reason = "set.created_at is a reserved field"
    assert error_body(error) == stream_error(
        "UpdateMessagePartial", 4, 400, reason, exception_fields={"set.created_at": reason}
    )


def test_pin_with_expiry_shows_in_the_channel_until_it_expires(chat: Api) -> None:
    sent = _send(chat, "announcement")
    pinned = chat(lambda c: c.pin_message(sent["id"], "sat", 120))["message"]
    assert pinned["pinned"] is True
    assert pinned["pinned_by"]["id"] == "sat"
    assert parse_stream_time(pinned["pin_expires"]) - parse_stream_time(
        pinned["pinned_at"]
    ) == timedelta(seconds=120)
    state = chat(lambda c: _c1(c).query())
    assert [m["id"] for m in state["pinned_messages"]] == [sent["id"]]
    chat.state.clock.advance(121)
    expired = chat(lambda c: c.get_message(sent["id"]))["message"]
    assert (expired["pinned"], expired["pinned_at"], expired["pinned_by"]) == (False, None, None)


def test_unpin_clears_the_pin(chat: Api) -> None:
    sent = _send(chat, "announcement", message={"pinned": True})
    assert sent["pinned"] is True
    assert sent["pinned_by"]["id"] == "amr"
    unpinned = chat(lambda c: c.unpin_message(sent["id"], "amr"))["message"]
    assert (unpinned["pinned"], unpinned["pinned_at"], unpinned["pinned_by"]) == (False, None, None)


def test_a_pin_expiry_in_the_past_is_refused(chat: Api) -> None:
    sent = _send(chat, "x")
    past = (datetime.now(timezone.utc) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    error = chat.fails(
        lambda c: c.update_message_partial(
            sent["id"], {"set": {"pinned": True, "pin_expires": past}}, "amr"
        )
    )
    assert error_body(error) == stream_error(
        "UpdateMessagePartial",
        4,
        400,
        "set.pin_expires must be a number of seconds above 0 or a future RFC 3339 timestamp",
    )


# -- deleted states and undelete ---------------------------------------------------


def test_get_message_shows_each_deleted_state_and_undelete_restores(chat: Api) -> None:
    sent = _send(chat, "helloworld")
    chat(lambda c: c.delete_message(sent["id"]))
    deleted = chat(lambda c: c.get_message(sent["id"]))["message"]
    assert (deleted["type"], deleted["text"]) == ("deleted", "")
    assert deleted["deleted_at"]
    shown = chat(lambda c: c.get_message(sent["id"], show_deleted_message=True))["message"]
    assert shown["text"] == "helloworld"
    restored = chat(lambda c: c.undelete_message(sent["id"], "sat"))["message"]
    assert (restored["type"], restored["text"]) == ("regular", "helloworld")
    assert "deleted_at" not in restored
    error = chat.fails(lambda c: c.undelete_message(sent["id"], "sat"))
    assert error_body(error) == stream_error(
        "UndeleteMessage", 4, 400, f"message {sent['id']} is not deleted"
    )
    chat(lambda c: c.delete_message(sent["id"], hard=True))
    assert chat.fails(lambda c: c.get_message(sent["id"])).status_code == 404
    assert chat.fails(lambda c: c.undelete_message(sent["id"], "sat")).status_code == 404


def test_undelete_by_an_unknown_user_is_refused(chat: Api) -> None:
    sent = _send(chat, "x")
    chat(lambda c: c.delete_message(sent["id"]))
    error = chat.fails(lambda c: c.undelete_message(sent["id"], "ghost"))
    assert error_body(error) == stream_error(
        "UndeleteMessage", 4, 400, "the user ghost does not exist"
    )


# -- translation and history ---------------------------------------------------------


def test_translate_is_deterministic_and_follows_edits(chat: Api) -> None:
    sent = _send(chat, "hello world")
    translated = chat(lambda c: c.translate_message(sent["id"], "hu"))["message"]
    assert translated["i18n"] == {"language": "en", "hu_text": "[hu] hello world"}
    chat(lambda c: c.update_message({"id": sent["id"], "text": "bye", "user_id": "amr"}))
    assert chat(lambda c: c.get_message(sent["id"]))["message"]["i18n"]["hu_text"] == "[hu] bye"
    error = chat.fails(lambda c: c.translate_message(sent["id"], "xx"))
    assert error_body(error) == stream_error(
        "TranslateMessage", 4, 400, 'language "xx" is not supported'
    )


def test_message_history_lists_earlier_versions_newest_first_with_a_cursor(chat: Api) -> None:
    sent = _send(chat, "helloworld")
    for n in range(1, 5):
        chat(
            lambda c, n=n: c.update_message(
                {"id": sent["id"], "text": f"helloworld-{n}", "user_id": "amr"}
            )
        )
    query = {"message_id": {"$eq": sent["id"]}}
    first = chat(
        lambda c: c.query_message_history(query, sort=[{"message_updated_at": -1}], limit=1)
    )
    assert [v["text"] for v in first["message_history"]] == ["helloworld-3"]
    second = chat(lambda c: c.query_message_history(query, limit=1, next=first["next"]))
    assert [v["text"] for v in second["message_history"]] == ["helloworld-2"]
    assert second["prev"] is not None
    everything = chat(lambda c: c.query_message_history(query, limit=10))
    assert [v["text"] for v in everything["message_history"]] == [
        "helloworld-3",
        "helloworld-2",
        "helloworld-1",
        "helloworld",
    ]
    assert everything["next"] is None
    assert {v["message_updated_by_id"] for v in everything["message_history"]} == {"amr"}


def test_a_forged_history_cursor_is_refused(chat: Api) -> None:
    error = chat.fails(
        lambda c: c.query_message_history({"message_id": "x"}, limit=1, next="not-a-cursor")
    )
    assert error_body(error) == stream_error(
        "QueryMessageHistory", 4, 400, "next is not a valid pagination cursor"
    )


# -- events ---------------------------------------------------------------------------


def test_send_event_answers_the_event_with_its_channel_and_user(chat: Api) -> None:
    event = chat(
        lambda c: c.channel("messaging", "c1").send_event(
            {"type": "friendship_request", "text": "hi"}, "amr"
        )
    )["event"]
    assert event["type"] == "friendship_request"
    assert event["text"] == "hi"
    assert (event["cid"], event["channel_type"], event["channel_id"]) == (CID, "messaging", "c1")
    assert event["user"]["id"] == "amr"
    typing = chat(
        lambda c: c.channel("messaging", "c1").send_event({"type": "typing.start"}, "amr")
    )
    assert typing["event"]["type"] == "typing.start"


def test_an_event_type_stream_sends_itself_is_refused(chat: Api) -> None:
    error = chat.fails(
        lambda c: c.channel("messaging", "c1").send_event({"type": "message.new"}, "amr")
    )
    assert error_body(error) == stream_error(
        "SendEvent", 18, 400, 'event type "message.new" is reserved for events Stream sends'
    )


def test_send_user_custom_event_needs_an_existing_user(chat: Api) -> None:
    chat(lambda c: c.send_user_custom_event("amr", {"type": "friendship_request"}))
    error = chat.fails(lambda c: c.send_user_custom_event("ghost", {"type": "x"}))
    assert error_body(error) == stream_error(
        "SendUserCustomEvent", 16, 404, "user ghost does not exist"
    )


# -- reads and unread counts ------------------------------------------------------------


def test_unread_counts_follow_messages_reads_and_threads(chat: Api) -> None:
    parent = _send(chat, "helloworld", "lolo")
    counts = chat(lambda c: c.unread_counts("amr"))
    assert counts["total_unread_count"] == 1
    assert [c["channel_id"] for c in counts["channels"]] == [CID]
    assert counts["channel_type"] == [
        {"channel_type": "messaging", "channel_count": 1, "unread_count": 1}
    ]
    _send(chat, "reply", "amr", message={"parent_id": parent["id"]})
    _send(chat, "reply", "lolo", message={"parent_id": parent["id"]})
    counts = chat(lambda c: c.unread_counts("amr"))
    assert counts["total_unread_threads_count"] == 1
    assert [t["parent_message_id"] for t in counts["threads"]] == [parent["id"]]
    assert counts["total_unread_count"] == 1  # replies not shown in the channel do not count
    chat(lambda c: _c1(c).mark_read("amr", thread_id=parent["id"]))
    assert chat(lambda c: c.unread_counts("amr"))["total_unread_threads_count"] == 0


def test_mark_all_read_reads_every_channel_of_the_user(chat: Api) -> None:
    chat(lambda c: c.channel("messaging", "c2", {"members": ["sat", "amr"]}).create("sat"))
    _send(chat, "one", "sat")
    chat(lambda c: c.channel("messaging", "c2").send_message({"text": "two"}, "sat"))
    assert _unread(chat, "amr") == 2
    chat(lambda c: c.mark_all_read("amr"))
    assert _unread(chat, "amr") == 0
    assert _unread(chat, "lolo") == 1


def test_mark_unread_counts_from_the_message_on(chat: Api) -> None:
    first = _send(chat, "one", "sat")
    second = _send(chat, "two", "sat")
    _send(chat, "three", "sat")
    chat(lambda c: _c1(c).mark_read("amr"))
    chat(lambda c: _c1(c).mark_unread("amr", message_id=second["id"]))
    assert _unread(chat, "amr") == 2
    read = next(r for r in chat(lambda c: _c1(c).query())["read"] if r["user"]["id"] == "amr")
    assert read["last_read_message_id"] == first["id"]
    error = chat.fails(lambda c: _c1(c).mark_unread("amr"))
    assert error_body(error) == stream_error(
        "MarkUnread", 4, 400, "either message_id or thread_id must be provided"
    )


def test_unread_counts_batch_answers_per_known_user(chat: Api) -> None:
    _send(chat, "hello", "sat")
    counts = chat(lambda c: c.unread_counts_batch(["amr", "lolo", "ghost"]))["counts_by_user"]
    assert set(counts) == {"amr", "lolo"}  # an unknown user is left out (docs)
    assert counts["amr"]["total_unread_count"] == 1
    single = dict(chat(lambda c: c.unread_counts("amr")))
    assert single.pop("duration")
    assert counts["amr"] == single


def test_mark_delivered_shows_in_the_read_state(chat: Api) -> None:
    sent = _send(chat, "hello", "sat")
    chat(lambda c: c.mark_delivered_simple("amr", sent["id"], CID))
    chat(lambda c: c.mark_delivered_simple("amr", "made-up-id", CID))  # ignored, as live
    read = next(r for r in chat(lambda c: _c1(c).query())["read"] if r["user"]["id"] == "amr")
    assert read["last_delivered_message_id"] == sent["id"]
    assert read["last_delivered_at"]


# -- search ---------------------------------------------------------------------------

WORD = "supercalifragilisticexpialidocious"


def test_search_matches_whole_words_of_a_query(chat: Api) -> None:
    long = _send(chat, f"How many syllables are there in {WORD}?")
    short = _send(chat, "Does 'cious' count as one or two?")
    found = chat(lambda c: c.search({"type": "messaging"}, WORD, limit=2, offset=0))["results"]
    assert [r["message"]["id"] for r in found] == [long["id"]]
    assert found[0]["message"]["channel"]["cid"] == CID
    found = chat(lambda c: c.search({"type": "messaging"}, "cious", limit=12, offset=0))
    assert [r["message"]["id"] for r in found["results"]] == [short["id"]]


def test_search_with_message_filters_and_channel_filters(chat: Api) -> None:
    chat(lambda c: c.channel("team", "t1", {"members": ["amr"]}).create("sat"))
    chat(lambda c: c.channel("team", "t1").send_message({"text": f"{WORD} in a team"}, "amr"))
    hit = _send(chat, f"{WORD} with a flag", message={"priority": 2})
    _send(chat, f"{WORD} without", message={"priority": 1})
    found = chat(
        lambda c: c.search(
            {"type": "messaging"}, {"text": {"$q": WORD}, "priority": {"$gt": 1}}, limit=5
        )
    )["results"]
    assert [r["message"]["id"] for r in found] == [hit["id"]]
    everywhere = chat(lambda c: c.search({"members": {"$in": ["amr"]}}, WORD))["results"]
    assert len(everywhere) == 3


def test_search_sorts_and_pages_with_next_and_previous_cursors(chat: Api) -> None:
    ids = [_send(chat, f"{WORD} {n}", message={"id": f"{n}-{WORD}"})["id"] for n in range(3)]
    first = chat(
        lambda c: c.search({"type": "messaging"}, WORD, sort=[{"created_at": -1}], limit=2)
    )
    assert [r["message"]["id"] for r in first["results"]] == [ids[2], ids[1]]
    assert first["previous"] is None
    second = chat(lambda c: c.search({"type": "messaging"}, WORD, limit=2, next=first["next"]))
    assert [r["message"]["id"] for r in second["results"]] == [ids[0]]
    assert second["next"] is None
    back = chat(lambda c: c.search({"type": "messaging"}, WORD, limit=2, next=second["previous"]))
    assert [r["message"]["id"] for r in back["results"]] == [ids[2], ids[1]]


def test_search_leaves_out_deleted_pending_and_unreadable_messages(chat: Api) -> None:
    gone = _send(chat, f"{WORD} gone")
    chat(lambda c: c.delete_message(gone["id"]))
    _send(chat, f"{WORD} pending", pending=True)
    kept = _send(chat, f"{WORD} kept")
    found = chat(lambda c: c.search({"cid": CID}, WORD))["results"]
    assert [r["message"]["id"] for r in found] == [kept["id"]]


def test_search_needs_a_channel_filter_and_one_of_query_or_message_filters(chat: Api) -> None:
    error = chat.fails(lambda c: c.search({}, WORD))
    assert error_body(error) == stream_error(
        "Search", 4, 400, "filter_conditions is a required field"
    )
    error = chat.fails(lambda c: c.get("search", {"payload": '{"filter_conditions": {"a": 1}}'}))
    assert error_body(error) == stream_error(
        "Search",
        4,
        400,
        "either query or message_filter_conditions must be provided, not both",
    )


# -- moderation -----------------------------------------------------------------------


def test_a_banned_user_cannot_send_with_a_user_token_until_unbanned(chat: Api) -> None:
    chat(lambda c: c.ban_user("amr", banned_by_id="sat"))
    with chat.as_user("amr") as amr:
        error = amr.fails(lambda c: c.channel("messaging", "c1").send_message({"text": "x"}, "amr"))
    assert error.status_code == 403
    assert error_body(error) == stream_error(
        "SendMessage",
        17,
        403,
        "Sorry, you do not have access to this feature. Your account is currently suspended "
        "from chat.",
    )
    chat(lambda c: c.unban_user("amr"))
    with chat.as_user("amr") as amr:
        assert _send(amr, "back")["text"] == "back"


def test_a_channel_ban_refuses_that_channel_only_and_a_shadow_ban_none(chat: Api) -> None:
    chat(lambda c: c.channel("messaging", "c2", {"members": ["amr"]}).create("sat"))
    chat(lambda c: _c1(c).ban_user("amr", banned_by_id="sat"))
    chat(lambda c: c.shadow_ban("lolo", banned_by_id="sat"))
    with chat.as_user("amr") as amr:
        assert amr.fails(lambda c: _c1(c).send_message({"text": "x"}, "amr")).status_code == 403
        amr(lambda c: c.channel("messaging", "c2").send_message({"text": "ok"}, "amr"))
    with chat.as_user("lolo") as lolo:
        assert _send(lolo, "shadowed", "lolo")["shadowed"] is True


def test_a_muted_channel_is_found_with_the_muted_filter_until_unmuted(chat: Api) -> None:
    mute = chat(lambda c: _c1(c).mute("amr", expiration=60_000))["channel_mute"]
    assert mute["channel"]["cid"] == CID
    assert mute["user"]["id"] == "amr"
    assert parse_stream_time(mute["expires"]) - parse_stream_time(mute["created_at"]) == timedelta(
        minutes=1
    )

    def muted(flag: bool) -> list[str]:
        found = chat(lambda c: c.query_channels({"muted": flag}, user_id="amr"))["channels"]
        return [s["channel"]["cid"] for s in found]

    assert muted(True) == [CID]
    chat(lambda c: _c1(c).unmute("amr"))
    assert muted(True) == []
    error = chat.fails(lambda c: c.channel("messaging", "nope").unmute("amr"))
    assert error_body(error) == stream_error(
        "UnmuteChannel", 4, 400, "some channels do not exist or were deleted: (messaging:nope)"
    )


def test_message_flags_are_queried_by_channel_and_by_the_author(chat: Api) -> None:
    sent = _send(chat, "spam", "lolo")
    chat(lambda c: c.flag_message(sent["id"], user_id="sat"))
    by_channel = chat(lambda c: c.query_message_flags({"channel_cid": CID}))["flags"]
    assert [f["message"]["id"] for f in by_channel] == [sent["id"]]
    assert by_channel[0]["user"]["id"] == "sat"
    by_author = chat(lambda c: c.query_message_flags({"user_id": {"$in": ["lolo"]}}))["flags"]
    assert len(by_author) == 1
    assert chat(lambda c: c.query_message_flags({"user_id": "amr"}))["flags"] == []


# -- app configuration ------------------------------------------------------------------


def test_channel_types_are_created_updated_honoured_and_deleted(chat: Api) -> None:
    created = chat(lambda c: c.create_channel_type({"name": "support", "replies": False}))
    assert created["name"] == "support"
    assert created["replies"] is False
    assert set(created["commands"]) == {"giphy", "imgur", "flag", "ban", "unban", "mute", "unmute"}
    assert "support" in chat(lambda c: c.list_channel_types())["channel_types"]
    updated = chat(lambda c: c.update_channel_type("support", commands=["ban", "unban"]))
    assert updated["commands"] == ["ban", "unban"]
    assert chat(lambda c: c.get_channel_type("support"))["commands"] == ["ban", "unban"]
    chat(lambda c: c.channel("support", "s1", {"members": ["amr"]}).create("sat"))
    parent = chat(lambda c: c.channel("support", "s1").send_message({"text": "q"}, "amr"))
    error = chat.fails(
        lambda c: c.channel("support", "s1").send_message(
            {"text": "a", "parent_id": parent["message"]["id"]}, "sat"
        )
    )
    assert error_body(error) == stream_error(
        "SendMessage", 19, 400, "replies are disabled for channel type support"
    )
    error = chat.fails(lambda c: c.delete_channel_type("support"))
    assert error_body(error) == stream_error(
        "DeleteChannelType", 4, 400, 'channel type "support" still has channels'
    )
    chat(lambda c: c.channel("support", "s1").delete(hard=True))
    chat(lambda c: c.delete_channel_type("support"))
    assert chat.fails(lambda c: c.get_channel_type("support")).status_code == 404


def test_a_channel_type_update_is_checked(chat: Api) -> None:
    error = chat.fails(lambda c: c.update_channel_type("messaging", commands=["nope"]))
    assert error_body(error) == stream_error(
        "UpdateChannelType", 4, 400, 'command "nope" doesn\'t exist'
    )
    error = chat.fails(lambda c: c.update_channel_type("messaging", colour="red"))
    assert error_body(error) == stream_error(
        "UpdateChannelType", 4, 400, '"colour" is not a channel type setting'
    )
    chat(lambda c: c.update_channel_type("messaging", max_message_length=5))
    error = chat.fails(lambda c: _c1(c).send_message({"text": "too long"}, "amr"))
    assert error_body(error)["code"] == 20


def test_commands_crud_keeps_the_built_in_ones(chat: Api) -> None:
    created = chat(lambda c: c.create_command({"name": "ticket", "description": "My command"}))
    assert created["command"]["name"] == "ticket"
    assert chat(lambda c: c.get_command("ticket"))["name"] == "ticket"
    updated = chat(lambda c: c.update_command("ticket", description="My new command"))
    assert updated["command"]["description"] == "My new command"
    names = [cmd["name"] for cmd in chat(lambda c: c.list_commands())["commands"]]
    assert names == ["giphy", "imgur", "flag", "ban", "unban", "mute", "unmute", "ticket"]
    chat(lambda c: c.delete_command("ticket"))
    error = chat.fails(lambda c: c.delete_command("giphy"))
    assert error_body(error) == stream_error(
        "DeleteCommand", 4, 400, 'command "giphy" is a built-in command and cannot be changed'
    )
    assert chat.fails(lambda c: c.get_command("ticket")).status_code == 404


def test_blocklists_crud_and_a_blocking_list_applied_on_send(chat: Api) -> None:
    chat(lambda c: c.create_blocklist(name="Foo", words=["fudge", "heck"], type="word"))
    assert chat(lambda c: c.get_blocklist("Foo"))["blocklist"]["words"] == ["fudge", "heck"]
    chat(lambda c: c.update_blocklist("Foo", words=["dang"]))
    assert chat(lambda c: c.get_blocklist("Foo"))["blocklist"]["words"] == ["dang"]
    assert [b["name"] for b in chat(lambda c: c.list_blocklists())["blocklists"]] == ["Foo"]
    chat(lambda c: c.update_channel_type("messaging", blocklist="Foo", blocklist_behavior="block"))
    blocked = _send(chat, "Dang it")
    assert (blocked["type"], blocked["text"]) == (
        "error",
        "Message was blocked by moderation policies",
    )
    assert blocked["id"] not in chat.state.messages
    assert _send(chat, "dangerous is fine")["type"] == "regular"  # whole words only
    chat(lambda c: c.delete_blocklist("Foo"))
    assert chat.fails(lambda c: c.get_blocklist("Foo")).status_code == 404
    assert _send(chat, "dang")["type"] == "regular"


def test_a_flagging_blocklist_stores_the_message_and_flags_it(chat: Api) -> None:
    chat(lambda c: c.create_blocklist(name="Bar", words=["heck"]))
    chat(lambda c: c.update_channel_type("messaging", blocklist="Bar", blocklist_behavior="flag"))
    sent = _send(chat, "what the heck")
    assert sent["type"] == "regular"
    flags = chat(lambda c: c.query_message_flags({"message_id": sent["id"]}))["flags"]
    assert [f["created_by_automod"] for f in flags] == [True]


def test_mark_messages_pending_on_the_channel_type_makes_sends_pending(chat: Api) -> None:
    chat(lambda c: c.update_channel_type("messaging", mark_messages_pending=True))
    sent = _send(chat, "held")
    assert _channel_messages(chat) == []
    chat(lambda c: _commit(c, sent["id"]))
    assert _channel_messages(chat) == ["held"]


def test_custom_permissions_crud(chat: Api) -> None:
    chat(
        lambda c: c.create_permission({"id": "my-perm", "name": "Mine", "action": "DeleteChannel"})
    )
    assert chat(lambda c: c.get_permission("my-perm"))["permission"]["name"] == "Mine"
    chat(lambda c: c.update_permission("my-perm", {"name": "Renamed", "action": "DeleteChannel"}))
    listed = chat(lambda c: c.list_permissions())["permissions"]
    assert [p["name"] for p in listed] == ["Renamed"]
    chat(lambda c: c.delete_permission("my-perm"))
    error = chat.fails(lambda c: c.get_permission("my-perm"))
    assert error_body(error) == stream_error(
        "GetCustomPermission", 16, 404, 'custom permission "my-perm" not found'
    )


# -- channels: invites, members, tags, many messages -------------------------------------


def test_invites_are_accepted_or_rejected_by_the_invited_only(chat: Api) -> None:
    chat(lambda c: _c1(c).invite_members(["stranger"]))
    member = next(
        m for m in chat(lambda c: _c1(c).query())["members"] if m["user_id"] == "stranger"
    )
    assert member["invited"] is True
    accepted = chat(lambda c: _c1(c).accept_invite("stranger"))
    by_id = {m["user_id"]: m for m in accepted["members"]}
    assert by_id["stranger"]["invite_accepted_at"]
    error = chat.fails(lambda c: _c1(c).accept_invite("amr"))
    assert error_body(error) == stream_error(
        "UpdateChannel", 4, 400, f"user amr is not invited to channel {CID}"
    )
    chat(lambda c: c.upsert_user({"id": "late"}))
    chat(lambda c: _c1(c).invite_members(["late"]))
    rejected = chat(lambda c: _c1(c).reject_invite("late"))
    assert {m["user_id"]: m for m in rejected["members"]}["late"]["invite_rejected_at"]


def test_inviting_to_a_distinct_channel_is_refused(chat: Api) -> None:
    distinct = chat(
        lambda c: c.channel("messaging", data={"members": ["amr", "lolo"]}).create("amr")
    )
    cid = distinct["channel"]["id"]
    error = chat.fails(lambda c: c.channel("messaging", cid).invite_members(["sat"]))
    assert error.status_code == 403
    assert error_body(error)["code"] == 17


def test_members_pin_archive_and_custom_fields_per_member(chat: Api) -> None:
    pinned = chat(lambda c: _c1(c).pin("amr"))["channel_member"]
    assert pinned["pinned_at"]
    chat(lambda c: _c1(c).archive("amr"))
    member = chat(lambda c: _c1(c).update_member_partial("amr", {"hat": "blue"}, []))
    assert member["channel_member"]["hat"] == "blue"

    def found(filters: dict[str, Any]) -> list[str]:
        states = chat(lambda c: c.query_channels(filters, user_id="amr"))["channels"]
        return [s["channel"]["cid"] for s in states]

    assert found({"pinned": True}) == [CID]
    assert found({"archived": True}) == [CID]
    chat(lambda c: _c1(c).unpin("amr"))
    chat(lambda c: _c1(c).unarchive("amr"))
    assert found({"pinned": True}) == []
    assert found({"archived": False}) == [CID]
    unset = chat(lambda c: _c1(c).update_member_partial("amr", to_unset=["hat"]))
    assert "hat" not in unset["channel_member"]
    error = chat.fails(lambda c: _c1(c).pin("stranger"))
    assert error_body(error) == stream_error(
        "UpdateMemberPartial", 16, 404, f"user stranger is not a member of channel {CID}"
    )


def test_query_members_filters_and_sorts_one_channels_members(chat: Api) -> None:
    chat(lambda c: c.upsert_users([{"id": "amr", "name": "Amr"}, {"id": "lolo", "name": "Lolo"}]))
    members = chat(lambda c: _c1(c).query_members({"name": {"$autocomplete": "am"}}))
    assert [m["user_id"] for m in members] == ["amr"]
    everyone = chat(lambda c: _c1(c).query_members({}, sort=[{"user_id": -1}], limit=2))
    assert [m["user_id"] for m in everyone] == ["sat", "lolo"]
    ids = chat(lambda c: _c1(c).query_members({"id": {"$in": ["sat", "ghost"]}}))
    assert [m["user_id"] for m in ids] == ["sat"]


def test_filter_tags_are_added_removed_and_queryable(chat: Api) -> None:
    chat(lambda c: _c1(c).add_filter_tags(["vip", "sales"]))
    tagged = chat(lambda c: c.query_channels({"filter_tags": {"$in": ["vip"]}}))["channels"]
    assert [s["channel"]["filter_tags"] for s in tagged] == [["vip", "sales"]]
    chat(lambda c: _c1(c).remove_filter_tags(["vip"]))
    assert chat(lambda c: c.query_channels({"filter_tags": {"$in": ["vip"]}}))["channels"] == []


def test_get_messages_by_id_answers_the_channels_messages_asked_for(chat: Api) -> None:
    one = _send(chat, "one")
    two = _send(chat, "two")
    _send(chat, "hidden", pending=True)
    found = chat(lambda c: _c1(c).get_messages([two["id"], "nope", one["id"]]))["messages"]
    assert [m["text"] for m in found] == ["two", "one"]
    error = chat.fails(lambda c: _c1(c).get_messages([]))
    assert error_body(error) == stream_error("GetManyMessages", 4, 400, "ids is a required field")


# -- push -----------------------------------------------------------------------------


def test_devices_are_added_listed_and_deleted_per_user(chat: Api) -> None:
    chat(lambda c: c.add_device("dev-1", "firebase", "amr"))
    chat(lambda c: c.add_device("dev-2", "apn", "amr", "prod"))
    devices = chat(lambda c: c.get_devices("amr"))["devices"]
    assert [(d["id"], d["push_provider"]) for d in devices] == [
        ("dev-1", "firebase"),
        ("dev-2", "apn"),
    ]
    assert devices[1]["push_provider_name"] == "prod"
    assert chat(lambda c: c.get_devices("lolo"))["devices"] == []
    chat(lambda c: c.delete_device("dev-1", "amr"))
    assert [d["id"] for d in chat(lambda c: c.get_devices("amr"))["devices"]] == ["dev-2"]
    error = chat.fails(lambda c: c.add_device("dev-3", "pigeon", "amr"))
    assert error_body(error) == stream_error(
        "CreateDevice", 4, 400, "push_provider must be one of apn, firebase, huawei, xiaomi"
    )


def test_push_providers_are_upserted_listed_and_deleted(chat: Api) -> None:
    provider = {"type": "firebase", "name": "main", "firebase_credentials": "{}"}
    assert chat(lambda c: c.upsert_push_provider(provider))["push_provider"]["name"] == "main"
    listed = chat(lambda c: c.list_push_providers())["push_providers"]
    assert [(p["type"], p["name"]) for p in listed] == [("firebase", "main")]
    chat(lambda c: c.delete_push_provider("firebase", "main"))
    assert chat(lambda c: c.list_push_providers())["push_providers"] == []
    assert chat.fails(lambda c: c.delete_push_provider("firebase", "main")).status_code == 404


def test_check_push_renders_the_message_and_the_aws_checks_answer_like_stream(chat: Api) -> None:
    sent = _send(chat, "/giphy wave")
    pushed = chat(
        lambda c: c.check_push({"message_id": sent["id"], "skip_devices": True, "user_id": "lolo"})
    )
    assert pushed["rendered_message"]["body"] == "/giphy wave"
    sqs = chat(lambda c: c.check_sqs("key", "secret", "https://foo.com/bar"))
    assert (sqs["status"], sqs["error"]) == ("error", "invalid SQS url")
    sns = chat(
        lambda c: c.check_sns("key", "secret", "arn:aws:sns:us-east-1:123456789012:sns-topic")
    )
    assert sns["status"] == "error"
    assert "publishing the message failed." in sns["error"]


# -- users: exports, guests, future channel bans -------------------------------------------


def test_export_user_has_the_users_messages_and_reactions(chat: Api) -> None:
    sent = _send(chat, "mine")
    chat(lambda c: _c1(c).send_reaction(sent["id"], {"type": "like"}, "amr"))
    exported = chat(lambda c: c.export_user("amr"))
    assert exported["user"]["id"] == "amr"
    assert [m["text"] for m in exported["messages"]] == ["mine"]
    assert [r["type"] for r in exported["reactions"]] == ["like"]
    assert chat.fails(lambda c: c.export_user("ghost")).status_code == 404


def test_export_users_and_channels_are_completed_tasks_with_a_url(chat: Api) -> None:
    task_id = chat(lambda c: c.export_users(["amr"]))["task_id"]
    assert len(task_id) == 36
    task = chat(lambda c: c.get_task(task_id))
    assert task["status"] == "completed"
    assert "/exports/users/" in task["result"]["url"]
    export = chat(lambda c: c.export_channel("messaging", "c1", include_truncated_messages=False))
    status = chat(lambda c: c.get_export_channel_status(export["task_id"]))
    assert status["status"] == "completed"
    assert status["result"]["url"]
    assert "error" not in status
    error = chat.fails(lambda c: c.export_channel("messaging", "nope"))
    assert "Can't find channel" in error_body(error)["message"]
    error = chat.fails(lambda c: c.get_export_channel_status("nope"))
    assert "Can't find task" in error_body(error)["message"]


def test_a_guest_gets_a_user_token_that_works(chat: Api) -> None:
    guest = chat(lambda c: c.set_guest_user({"id": "visitor", "name": "V"}))
    assert guest["user"]["role"] == "guest"
    assert guest["access_token"]
    chat.client.auth_token, server = guest["access_token"], chat.client.auth_token
    try:
        assert chat(lambda c: c.unread_counts("visitor"))["total_unread_count"] == 0
    finally:
        chat.client.auth_token = server
    error = chat.fails(lambda c: c.set_guest_user({"id": "visitor"}))
    assert error_body(error) == stream_error("CreateGuest", 4, 400, "user visitor already exists")


def test_future_channel_bans_are_queried_by_their_author(chat: Api) -> None:
    chat(lambda c: _c1(c).ban_user("lolo", banned_by_id="sat", ban_from_future_channels=True))
    chat(lambda c: _c1(c).ban_user("amr", banned_by_id="sat"))
    bans = chat(lambda c: c.query_future_channel_bans(user_id="sat"))["bans"]
    assert [b["user"]["id"] for b in bans] == ["lolo"]
    assert chat(lambda c: c.query_future_channel_bans(user_id="amr"))["bans"] == []


# -- drafts, reminders, threads ------------------------------------------------------------


def test_drafts_per_channel_and_thread_are_created_read_queried_and_deleted(chat: Api) -> None:
    draft = chat(lambda c: _c1(c).create_draft({"text": "draft"}, "amr"))["draft"]
    assert (draft["message"]["text"], draft["channel_cid"]) == ("draft", CID)
    parent = _send(chat, "parent")
    reply = chat(lambda c: _c1(c).create_draft({"text": "reply", "parent_id": parent["id"]}, "amr"))
    assert reply["draft"]["parent_id"] == parent["id"]
    assert chat(lambda c: _c1(c).get_draft("amr"))["draft"]["message"]["text"] == "draft"
    got = chat(lambda c: _c1(c).get_draft("amr", parent_id=parent["id"]))["draft"]
    assert got["message"]["text"] == "reply"
    first = chat(lambda c: c.query_drafts("amr", options={"limit": 1}))
    assert [d["message"]["text"] for d in first["drafts"]] == ["reply"]
    second = chat(lambda c: c.query_drafts("amr", options={"limit": 1, "next": first["next"]}))
    assert [d["message"]["text"] for d in second["drafts"]] == ["draft"]
    assert chat(lambda c: c.query_drafts("lolo"))["drafts"] == []
    chat(lambda c: _c1(c).delete_draft("amr"))
    error = chat.fails(lambda c: _c1(c).get_draft("amr"))
    assert error_body(error) == stream_error(
        "GetDraft", 16, 404, f"draft of user amr in channel {CID} does not exist"
    )


def test_reminders_need_the_channel_setting_and_are_queried_by_time(chat: Api) -> None:
    sent = _send(chat, "remind me")
    error = chat.fails(lambda c: c.create_reminder(sent["id"], "amr"))
    assert error_body(error) == stream_error(
        "CreateReminder", 4, 400, f"reminders are not enabled for channel {CID}"
    )
    chat(lambda c: _c1(c).update_partial({"config_overrides": {"user_message_reminders": True}}))
    later = _send(chat, "later")
    soon = datetime(2030, 1, 1, tzinfo=timezone.utc)
    created = chat(lambda c: c.create_reminder(sent["id"], "amr", soon + timedelta(days=1)))
    assert created["reminder"]["message_id"] == sent["id"]
    chat(lambda c: c.create_reminder(later["id"], "amr", soon))
    reminders = chat(lambda c: c.query_reminders("amr"))["reminders"]
    assert [r["message_id"] for r in reminders] == [later["id"], sent["id"]]
    updated = chat(lambda c: c.update_reminder(sent["id"], "amr", soon - timedelta(days=1)))
    assert updated["reminder"]["remind_at"].startswith("2029-12-31")
    only = chat(lambda c: c.query_reminders("amr", {"message_id": later["id"]}))["reminders"]
    assert [r["message_id"] for r in only] == [later["id"]]
    chat(lambda c: c.delete_reminder(sent["id"], "amr"))
    assert chat.fails(lambda c: c.delete_reminder(sent["id"], "amr")).status_code == 404


def test_query_threads_lists_the_users_threads_with_latest_replies(chat: Api) -> None:
    parent = _send(chat, "Parent message", "amr")
    _send(chat, "Thread message", "amr", message={"parent_id": parent["id"]})
    other = _send(chat, "Other parent", "lolo")
    _send(chat, "Other reply", "sat", message={"parent_id": other["id"]})
    threads = chat(
        lambda c: c.query_threads(
            filter={"parent_message_id": parent["id"]},
            sort=[{"field": "created_at", "direction": -1}],
            user_id="amr",
        )
    )["threads"]
    assert [t["latest_replies"][0]["text"] for t in threads] == ["Thread message"]
    mine = chat(lambda c: c.query_threads(filter={"channel_cid": CID}, user_id="amr"))["threads"]
    assert [t["parent_message_id"] for t in mine] == [parent["id"]]
    paged = chat(lambda c: c.query_threads(filter={"channel_cid": CID}, user_id="sat", limit=1))
    assert len(paged["threads"]) == 1
    assert "next" in paged


# -- batch updates, live locations, message actions ----------------------------------------


def test_update_channels_batch_applies_one_operation_to_the_filtered_channels(chat: Api) -> None:
    chat(lambda c: c.channel("messaging", "c2", {"members": ["sat"]}).create("sat"))
    chat(lambda c: c.channel("team", "t1", {"members": ["sat"]}).create("sat"))
    cids = {"$in": [CID, "messaging:c2"]}
    task = chat(
        lambda c: c.update_channels_batch(
            {
                "operation": "addMembers",
                "filter": {"cids": cids},
                "members": [{"user_id": "stranger"}],
            }
        )
    )
    result = chat(lambda c: c.get_task(task["task_id"]))["result"]
    assert result == {CID: {"status": "ok"}, "messaging:c2": {"status": "ok"}}
    assert "stranger" in chat.state.channels["messaging:c2"].members
    assert "stranger" not in chat.state.channels["team:t1"].members
    chat(
        lambda c: c.update_channels_batch(
            {"operation": "updateData", "filter": {"types": ["team"]}, "data": {"frozen": True}}
        )
    )
    assert chat(lambda c: c.channel("team", "t1", {"created_by_id": "sat"}).query())["channel"][
        "frozen"
    ]
    error = chat.fails(
        lambda c: c.update_channels_batch({"operation": "explode", "filter": {"types": ["team"]}})
    )
    assert error_body(error)["code"] == 4


def test_live_locations_follow_the_shared_location_of_a_message(chat: Api) -> None:
    ends = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
    shared = {
        "created_by_device_id": "d1",
        "latitude": 37.7749,
        "longitude": -122.4194,
        "end_at": ends,
    }
    sent = _send(chat, "here", message={"shared_location": shared})
    _send(chat, "static", message={"shared_location": {"latitude": 1, "longitude": 2}})
    live = chat(lambda c: c.get_user_locations("amr"))["active_live_locations"]
    assert [loc["message_id"] for loc in live] == [sent["id"]]
    moved = chat(
        lambda c: c.update_user_location("amr", sent["id"], {"latitude": 40.0, "longitude": -74.0})
    )
    assert (moved["latitude"], moved["longitude"]) == (40.0, -74.0)
    assert (
        chat(lambda c: c.get_user_locations("amr"))["active_live_locations"][0]["latitude"] == 40.0
    )
    assert (
        chat.fails(
            lambda c: c.update_user_location("lolo", sent["id"], {"latitude": 1})
        ).status_code
        == 404
    )


def test_a_giphy_preview_is_shuffled_then_sent_or_cancelled(chat: Api) -> None:
    preview = _send(chat, "/giphy wave")
    assert (preview["type"], preview["command"]) == ("ephemeral", "giphy")
    assert _channel_messages(chat) == []
    shuffled = chat(
        lambda c: c.run_message_action(
            preview["id"], {"user": {"id": "amr"}, "form_data": {"image_action": "shuffle"}}
        )
    )["message"]
    assert shuffled["attachments"][0]["thumb_url"] != preview["attachments"][0]["thumb_url"]
    sent = chat(
        lambda c: c.run_message_action(
            preview["id"], {"user": {"id": "amr"}, "form_data": {"image_action": "send"}}
        )
    )["message"]
    assert sent["type"] == "regular"
    assert _channel_messages(chat) == ["/giphy wave"]
    assert _unread(chat, "lolo") == 1
    other = _send(chat, "/giphy cat")
    chat(
        lambda c: c.run_message_action(
            other["id"], {"user": {"id": "amr"}, "form_data": {"image_action": "cancel"}}
        )
    )
    assert chat.fails(lambda c: c.get_message(other["id"])).status_code == 404
    error = chat.fails(
        lambda c: c.run_message_action(
            sent["id"], {"user": {"id": "amr"}, "form_data": {"image_action": "send"}}
        )
    )
    assert error_body(error) == stream_error(
        "RunMessageAction", 4, 400, f"message {sent['id']} has no actions"
    )


# -- files and imports -----------------------------------------------------------------------


def test_uploaded_files_and_images_are_served_back_and_deleted(chat: Api, tmp_path: Path) -> None:
    document = tmp_path / "notes.txt"
    document.write_bytes(b"chatgate notes")
    picture = tmp_path / "dot.png"
    picture.write_bytes(PNG)
    sent = chat(lambda c: _c1(c).send_file(str(document), "notes.txt", {"id": "amr"}, "text/plain"))
    fetched = requests.get(sent["file"], timeout=5)
    assert (fetched.status_code, fetched.content) == (200, b"chatgate notes")
    assert fetched.headers["content-type"] == "text/plain"
    image = chat(lambda c: _c1(c).send_image(str(picture), "dot.png", {"id": "amr"}, "image/png"))
    assert requests.get(image["thumb_url"], timeout=5).content == PNG
    error = chat.fails(
        lambda c: _c1(c).send_image(str(document), "notes.txt", {"id": "amr"}, "text/plain")
    )
    assert error_body(error) == stream_error(
        "UploadImage", 4, 400, "file notes.txt is not an image (text/plain)"
    )
    chat(lambda c: _c1(c).delete_file(sent["file"]))
    assert requests.get(sent["file"], timeout=5).status_code == 404
    assert chat.fails(lambda c: _c1(c).delete_image(sent["file"])).status_code == 404


def test_an_import_is_uploaded_to_the_fake_created_and_listed(chat: Api) -> None:
    target = chat(lambda c: c.create_import_url("import.json"))
    assert target["path"].endswith("/import.json")
    put = requests.put(
        target["upload_url"],
        data=b'[{"type": "user", "item": {"id": "x"}}]',
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert put.status_code == 200
    created = chat(lambda c: c.create_import(target["path"], "upsert"))["import_task"]
    assert (created["path"], created["mode"], created["state"]) == (
        target["path"],
        "upsert",
        "completed",
    )
    assert chat(lambda c: c.get_import(created["id"]))["import_task"]["id"] == created["id"]
    listed = chat(lambda c: c.list_imports({"limit": 1}))["import_tasks"]
    assert [t["id"] for t in listed] == [created["id"]]
    never_uploaded = chat(lambda c: c.create_import_url("empty.json"))["path"]
    error = chat.fails(lambda c: c.create_import(never_uploaded, "insert"))
    assert error_body(error) == stream_error(
        "CreateImport", 4, 400, f"path {never_uploaded} was not created by create_import_url"
    )


# -- webhooks ---------------------------------------------------------------------------------


def _hooked(api: Api, url: str, **settings: Any) -> None:
    api(lambda c: c.update_app_settings(webhook_url=url, **settings))


def test_webhooks_deliver_signed_events_that_verify_webhook_accepts(
    chat: Api, receiver: Receiver
) -> None:
    _hooked(chat, receiver.url)
    chat(lambda c: c.upsert_user({"id": "amr", "name": "Amr"}))
    chat(lambda c: c.channel("messaging", "c9", {"members": ["sat"]}).create("sat"))
    chat(lambda c: c.channel("messaging", "c9").add_members(["amr"]))
    sent = chat(lambda c: c.channel("messaging", "c9").send_message({"text": "hi"}, "amr"))
    mid = sent["message"]["id"]
    chat(lambda c: c.channel("messaging", "c9").send_reaction(mid, {"type": "like"}, "sat"))
    chat(lambda c: c.update_message_partial(mid, {"set": {"text": "hello"}}, "amr"))
    chat(lambda c: c.delete_message(mid))
    chat(lambda c: c.channel("messaging", "c9").delete())
    assert chat.fake.webhooks.idle(timeout=10)
    got = receiver.received(9)
    assert all(verified for verified, _ in got)
    assert [event["type"] for _, event in got] == [
        "user.updated",
        "channel.created",
        "channel.updated",
        "member.added",
        "message.new",
        "reaction.new",
        "message.updated",
        "message.deleted",
        "channel.deleted",
    ]
    events = {event["type"]: event for _, event in got}
    assert events["message.new"]["message"]["text"] == "hi"
    assert events["message.new"]["cid"] == "messaging:c9"
    assert events["member.added"]["member"]["user_id"] == "amr"
    assert events["reaction.new"]["reaction"]["type"] == "like"
    assert events["user.updated"]["user"]["name"] == "Amr"
    assert receiver.events.empty()


def test_webhook_events_choose_which_events_are_sent(chat: Api, receiver: Receiver) -> None:
    _hooked(chat, receiver.url, webhook_events=["message.new"])
    chat(lambda c: c.upsert_user({"id": "amr"}))
    _send(chat, "only this")
    assert chat.fake.webhooks.idle(timeout=10)
    ((verified, event),) = receiver.received(1)
    assert verified
    assert (event["type"], event["message"]["text"]) == ("message.new", "only this")
    assert receiver.events.empty()


def test_a_failed_delivery_is_retried_and_each_attempt_is_journaled(
    chat: Api, receiver: Receiver
) -> None:
    receiver.fail_first = 1
    _hooked(chat, receiver.url, webhook_events=["message.new"])
    chat.fake.faults.add("error", operation="WebhookDelivery", status=503, times=1)
    _send(chat, "eventually")
    assert chat.fake.webhooks.idle(timeout=10)
    ((verified, event),) = receiver.received(1)
    assert verified
    assert event["message"]["text"] == "eventually"
    attempts = chat.fake.journal.entries(["WebhookDelivery"])
    assert [(e.status, e.query["attempt"]) for e in attempts] == [
        (503, "1"),
        (500, "2"),
        (200, "3"),
    ]


def test_a_webhook_url_off_this_machine_is_refused(chat: Api) -> None:
    error = chat.fails(lambda c: c.update_app_settings(webhook_url="https://example.com/hook"))
    assert error_body(error) == stream_error(
        "UpdateApp",
        4,
        400,
        "webhook_url https://example.com/hook is not a loopback URL: chatgate's fake only "
        "calls this machine",
    )
