"""Stored state the fake applies: unread counts, deactivated users, app settings, bans,
blocks and rate limits, through the official sync and async SDK, each in-process and over
HTTP."""

from __future__ import annotations

from typing import Any

from chatgate.fakes.stream.ratelimits import platform_of
from tests.conftest import error_body, stream_error
from tests.sdk_api import Api


def _send(api: Api, text: str, user_id: str = "sat", **message: Any) -> dict[str, Any]:
    message = {"text": text, **message}
    return api(lambda c: _c1(c).send_message(message, user_id))["message"]


def _unread(api: Api, user_id: str) -> int:
    return api(lambda c: c.unread_counts(user_id))["total_unread_count"]


def _c1(client: Any) -> Any:
    return client.channel("messaging", "c1")


# -- unread counts ----------------------------------------------------------------------


def test_messages_added_to_a_muted_channel_do_not_count_as_unread(chat: Api) -> None:
    _send(chat, "before the mute")
    chat(lambda c: _c1(c).mute("amr"))
    _send(chat, "while muted")
    assert _unread(chat, "amr") == 1
    assert _unread(chat, "lolo") == 2


def test_channel_state_reads_every_member_with_the_stored_unread_count(chat: Api) -> None:
    def reads() -> dict[str, tuple[int, str | None]]:
        state = chat(lambda c: c.channel("messaging", "c1", {"created_by_id": "sat"}).query())
        return {
            r["user"]["id"]: (r["unread_messages"], r.get("last_read_message_id"))
            for r in state["read"]
        }

    assert reads() == {"sat": (0, None), "amr": (0, None), "lolo": (0, None)}
    _send(chat, "before the mute")
    chat(lambda c: _c1(c).mute("amr"))
    last = _send(chat, "while muted")["id"]
    assert reads() == {"sat": (0, last), "amr": (1, None), "lolo": (2, None)}


def test_a_soft_deleted_message_no_longer_counts_as_unread(chat: Api) -> None:
    sent = _send(chat, "oops")
    _send(chat, "kept")
    chat(lambda c: c.delete_message(sent["id"]))
    assert _unread(chat, "amr") == 1


def test_messages_from_a_blocked_user_do_not_count_as_unread(chat: Api) -> None:
    _send(chat, "from lolo", "lolo")
    _send(chat, "from sat")
    chat(lambda c: c.block_user("lolo", "amr"))
    assert _unread(chat, "amr") == 1
    chat(lambda c: c.unblock_user("lolo", "amr"))
    assert _unread(chat, "amr") == 2


def test_replies_from_a_blocked_user_do_not_count_in_the_thread(chat: Api) -> None:
    parent = _send(chat, "question", "amr")
    _send(chat, "answer", "lolo", parent_id=parent["id"])
    assert chat(lambda c: c.unread_counts("amr"))["total_unread_threads_count"] == 1
    chat(lambda c: c.block_user("lolo", "amr"))
    assert chat(lambda c: c.unread_counts("amr"))["total_unread_threads_count"] == 0


def test_a_shadow_banned_users_messages_do_not_count_as_unread(chat: Api) -> None:
    chat(lambda c: c.shadow_ban("lolo", banned_by_id="sat"))
    _send(chat, "shadowed", "lolo")
    assert _unread(chat, "amr") == 0


def test_mark_read_at_a_message_leaves_the_later_ones_unread(chat: Api) -> None:
    first = _send(chat, "one")
    _send(chat, "two")
    _send(chat, "three")
    event = chat(lambda c: _c1(c).mark_read("amr", message_id=first["id"]))["event"]
    assert event["last_read_message_id"] == first["id"]
    counts = chat(lambda c: c.unread_counts("amr"))
    assert counts["total_unread_count"] == 2
    assert counts["channels"][0]["unread_count"] == 2


def test_mark_unread_does_not_count_the_readers_own_messages(chat: Api) -> None:
    first = _send(chat, "one")
    _send(chat, "mine", "amr")
    _send(chat, "three")
    chat(lambda c: _c1(c).mark_unread("amr", message_id=first["id"]))
    assert _unread(chat, "amr") == 2


def test_unread_counts_batch_agrees_with_the_filters(chat: Api) -> None:
    _send(chat, "from lolo", "lolo")
    chat(lambda c: c.block_user("lolo", "amr"))
    counts = chat(lambda c: c.unread_counts_batch(["amr", "sat"]))["counts_by_user"]
    assert (counts["amr"]["total_unread_count"], counts["sat"]["total_unread_count"]) == (0, 1)


# -- deactivated users ------------------------------------------------------------------


def test_a_deactivated_user_cannot_send_server_side(chat: Api) -> None:
    chat(lambda c: c.deactivate_user("amr"))
    error = chat.fails(lambda c: _c1(c).send_message({"text": "hi"}, "amr"))
    assert error.status_code == 403
    assert error_body(error) == stream_error("SendMessage", 17, 403, "user amr is deactivated")


def test_a_deactivated_user_cannot_send_with_their_token(chat: Api) -> None:
    chat(lambda c: c.deactivate_user("amr"))
    with chat.as_user("amr") as amr:
        error = amr.fails(lambda c: _c1(c).send_message({"text": "hi"}, "amr"))
    assert error_body(error) == stream_error("SendMessage", 17, 403, "user amr is deactivated")


def test_a_deactivated_user_cannot_mark_a_channel_read(chat: Api) -> None:
    chat(lambda c: c.deactivate_user("amr"))
    error = chat.fails(lambda c: _c1(c).mark_read("amr"))
    assert error_body(error) == stream_error("MarkRead", 17, 403, "user amr is deactivated")


def test_a_reactivated_user_can_send_again(chat: Api) -> None:
    chat(lambda c: c.deactivate_user("amr"))
    chat(lambda c: c.reactivate_user("amr"))
    assert _send(chat, "back", "amr")["text"] == "back"


# -- app settings -----------------------------------------------------------------------


def test_disable_permissions_checks_lets_a_non_member_read_a_channel(chat: Api) -> None:
    with chat.as_user("stranger") as stranger:
        assert stranger.fails(lambda c: _c1(c).query()).error_code == 17
    chat(lambda c: c.update_app_settings(disable_permissions_checks=True))
    assert chat(lambda c: c.get_app_settings())["app"]["disable_permissions_checks"] is True
    with chat.as_user("stranger") as stranger:
        assert stranger(lambda c: _c1(c).query())["channel"]["cid"] == "messaging:c1"


def test_disable_permissions_checks_lets_a_user_edit_another_users_message(chat: Api) -> None:
    mid = _send(chat, "by sat")["id"]
    edit = {"set": {"text": "by amr"}}
    with chat.as_user("amr") as amr:
        refused = amr.fails(lambda c: c.update_message_partial(mid, edit, "amr"))
    assert error_body(refused) == stream_error(
        "UpdateMessagePartial", 17, 403, "user amr cannot update a message of user sat"
    )
    chat(lambda c: c.update_app_settings(disable_permissions_checks=True))
    with chat.as_user("amr") as amr:
        edited = amr(lambda c: c.update_message_partial(mid, edit, "amr"))["message"]
    assert (edited["text"], edited["user"]["id"]) == ("by amr", "sat")


def test_unique_usernames_refuse_a_duplicate_name_on_upsert(chat: Api) -> None:
    chat(lambda c: c.update_app_settings(enforce_unique_usernames="app"))
    chat(lambda c: c.upsert_user({"id": "amr", "name": "Amr"}))
    error = chat.fails(lambda c: c.upsert_user({"id": "lolo", "name": "Amr"}))
    assert error.status_code == 400
    assert error_body(error) == stream_error(
        "UpdateUsers", 6, 400, 'username "Amr" is already taken'
    )


def test_unique_usernames_refuse_a_duplicate_name_on_partial_update(chat: Api) -> None:
    chat(lambda c: c.update_app_settings(enforce_unique_usernames="app"))
    chat(lambda c: c.upsert_user({"id": "amr", "name": "Amr"}))
    error = chat.fails(lambda c: c.update_user_partial({"id": "lolo", "set": {"name": "Amr"}}))
    assert error_body(error) == stream_error(
        "UpdateUsersPartial", 6, 400, 'username "Amr" is already taken'
    )


def test_unique_usernames_per_team_allow_the_name_in_another_team(chat: Api) -> None:
    chat(lambda c: c.update_app_settings(enforce_unique_usernames="team"))
    chat(lambda c: c.upsert_user({"id": "amr", "name": "Amr", "teams": ["red"]}))
    chat(lambda c: c.upsert_user({"id": "lolo", "name": "Amr", "teams": ["blue"]}))
    error = chat.fails(lambda c: c.upsert_user({"id": "sat", "name": "Amr", "teams": ["red"]}))
    assert error.error_code == 6


def test_duplicate_names_are_accepted_without_enforcement(chat: Api) -> None:
    chat(lambda c: c.upsert_users([{"id": "amr", "name": "Amr"}, {"id": "lolo", "name": "Amr"}]))
    assert chat(lambda c: c.get_app_settings())["app"]["enforce_unique_usernames"] == "no"


def test_an_app_setting_the_fake_does_not_apply_is_refused(chat: Api) -> None:
    error = chat.fails(lambda c: c.update_app_settings(disable_auth_checks=True))
    assert error_body(error) == stream_error(
        "UpdateApp",
        4,
        400,
        '"disable_auth_checks" is not an app setting chatgate\'s fake applies (it applies: '
        "webhook_url, webhook_events, event_hooks, revoke_tokens_issued_before, "
        "disable_permissions_checks, enforce_unique_usernames, multi_tenant_enabled)",
    )
    assert chat(lambda c: c.get_app_settings())["app"]["disable_auth_checks"] is False


def test_an_unknown_unique_usernames_scope_is_refused(chat: Api) -> None:
    error = chat.fails(lambda c: c.update_app_settings(enforce_unique_usernames="org"))
    assert error_body(error) == stream_error(
        "UpdateApp", 4, 400, "enforce_unique_usernames must be one of [no app team]"
    )


# -- bans -------------------------------------------------------------------------------


def _banned(api: Api, **options: Any) -> list[tuple[str, bool]]:
    query = {"filter_conditions": {}, **options}
    bans = api(lambda c: c.query_banned_users(query))["bans"]
    return [(b["user"]["id"], b["shadow"]) for b in bans]


def test_remove_shadow_ban_leaves_a_regular_ban_in_place(chat: Api) -> None:
    chat(lambda c: c.ban_user("amr", banned_by_id="sat"))
    chat(lambda c: c.remove_shadow_ban("amr"))
    assert _banned(chat) == [("amr", False)]


def test_remove_shadow_ban_lifts_a_shadow_ban(chat: Api) -> None:
    chat(lambda c: c.shadow_ban("amr", banned_by_id="sat"))
    chat(lambda c: c.remove_shadow_ban("amr"))
    assert _banned(chat) == []


def test_query_banned_users_lists_expired_bans_unless_excluded(chat: Api) -> None:
    chat(lambda c: c.ban_user("amr", banned_by_id="sat", timeout=1))
    chat.fake.clock.advance(120)
    assert _banned(chat) == [("amr", False)]
    assert _banned(chat, exclude_expired_bans=True) == []


# -- blocks -----------------------------------------------------------------------------


def test_a_blocked_user_cannot_send_to_the_blocker_in_a_one_to_one_channel(chat: Api) -> None:
    dm = chat(lambda c: c.channel("messaging", None, {"members": ["amr", "lolo"]}).create("amr"))
    dm_id = dm["channel"]["id"]
    chat(lambda c: c.block_user("lolo", "amr"))
    refused = chat.fails(
        lambda c: c.channel("messaging", dm_id).send_message({"text": "hi"}, "lolo")
    )
    assert error_body(refused) == stream_error(
        "SendMessage", 17, 403, "user lolo cannot send messages to user amr, who blocked them"
    )
    dm_channel = {"created_by_id": "amr"}
    assert chat(lambda c: c.channel("messaging", dm_id, dm_channel).query())["messages"] == []
    # The blocker still may, and the blocked user may still write in group channels.
    chat(lambda c: c.channel("messaging", dm_id).send_message({"text": "yo"}, "amr"))
    _send(chat, "in the group", user_id="lolo")


def test_a_blocked_user_cannot_add_the_blocker_to_a_channel(chat: Api) -> None:
    chat(lambda c: c.channel("messaging", "c2", {"members": ["lolo"]}).create("lolo"))
    chat(lambda c: c.block_user("lolo", "amr"))
    refused = chat.fails(
        lambda c: c.channel("messaging", "c2").add_members(["sat", "amr"], user_id="lolo")
    )
    assert error_body(refused) == stream_error(
        "UpdateChannel", 17, 403, "user lolo cannot add user amr to a channel, who blocked them"
    )
    members = chat(lambda c: c.channel("messaging", "c2").query_members({}))
    assert [m["user_id"] for m in members] == ["lolo"]
    # The blocker still may add the user they blocked.
    chat(lambda c: _c1(c).remove_members(["lolo"]))
    chat(lambda c: _c1(c).add_members(["lolo"], user_id="amr"))


def test_a_blocked_user_cannot_create_a_channel_with_the_blocker(chat: Api) -> None:
    chat(lambda c: c.block_user("lolo", "amr"))
    refused = chat.fails(
        lambda c: c.channel("messaging", "c2", {"members": ["lolo", "amr"]}).create("lolo")
    )
    reason = "user lolo cannot add user amr to a channel, who blocked them"
    assert error_body(refused) == stream_error("GetOrCreateChannel", 17, 403, reason)
    assert "messaging:c2" not in chat.state.channels


# -- rate limits ------------------------------------------------------------------------


def test_rate_limits_report_each_platform_separately(chat: Api) -> None:
    chat(lambda c: c.get_app_settings())
    limits = chat(lambda c: c.get_rate_limits(endpoints=["GetApp"]))
    server, web = limits["server_side"]["GetApp"], limits["web"]["GetApp"]
    assert server["remaining"] < server["limit"]
    assert web["remaining"] == web["limit"]


def test_a_user_token_counts_under_its_clients_platform(chat: Api) -> None:
    server_token = chat.client.auth_token
    user_token = chat.client.create_token("amr")
    assert platform_of({"authorization": server_token}) == "server_side"
    assert platform_of({"authorization": user_token}) == "web"
    android = {"authorization": user_token, "x-stream-client": "stream-chat-android-6.0"}
    assert platform_of(android) == "android"
    assert platform_of({"authorization": "not a token"}) == "server_side"
