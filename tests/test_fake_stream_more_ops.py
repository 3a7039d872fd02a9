"""Reactions, replies, read state, moderation, channel extras and app settings,
through the official sync SDK, in-process and over HTTP."""

from __future__ import annotations

import pytest
from stream_chat.base.exceptions import StreamAPIException

from tests.conftest import SDK, error_body, stream_error


@pytest.fixture
def chat(sdk: SDK):
    sdk.client.upsert_users(
        [{"id": "sat", "role": "admin"}, {"id": "amr"}, {"id": "lolo"}, {"id": "stranger"}]
    )
    channel = sdk.client.channel("messaging", "c1", {"members": ["sat", "amr", "lolo"]})
    channel.create("sat")
    return sdk, channel


def test_reactions_are_counted_listed_newest_first_and_deleted(chat) -> None:
    _, channel = chat
    message_id = channel.send_message({"text": "hi"}, "amr")["message"]["id"]
    channel.send_reaction(message_id, {"type": "like"}, "sat")
    response = channel.send_reaction(message_id, {"type": "like", "score": 3, "count": 42}, "lolo")
    assert response["reaction"]["score"] == 3
    assert response["message"]["reaction_counts"] == {"like": 2}
    assert response["message"]["reaction_scores"] == {"like": 4}
    listed = channel.get_reactions(message_id)["reactions"]
    assert [r["user_id"] for r in listed] == ["lolo", "sat"]
    assert listed[0]["count"] == 42
    assert [r["user_id"] for r in channel.get_reactions(message_id, offset=1)["reactions"]] == [
        "sat"
    ]
    after = channel.delete_reaction(message_id, "like", "sat")
    assert after["message"]["reaction_counts"] == {"like": 1}


def test_reaction_type_longer_than_30_is_refused(chat) -> None:
    _, channel = chat
    message_id = channel.send_message({"text": "hi"}, "amr")["message"]["id"]
    with pytest.raises(StreamAPIException) as caught:
        channel.send_reaction(message_id, {"type": "x" * 31}, "sat")
    assert error_body(caught.value) == stream_error(
        "SendReaction", 4, 400, "reaction.type max length exceeded (30)"
    )


def test_get_replies_returns_the_latest_replies_oldest_first(chat) -> None:
    _, channel = chat
    parent = channel.send_message({"text": "q"}, "amr")["message"]["id"]
    for index in range(10):
        channel.send_message({"text": f"r{index}", "parent_id": parent, "index": index}, "sat")
    replies = channel.get_replies(parent, limit=3, offset=3)["messages"]
    assert [m["index"] for m in replies] == [7, 8, 9]  # what the SDK's own test expects


def test_mark_read_resets_unread_counts(chat) -> None:
    sdk, channel = chat
    channel.send_message({"text": "one"}, "sat")
    channel.send_message({"text": "two"}, "sat")
    assert sdk.client.unread_counts("amr")["total_unread_count"] == 2
    event = channel.mark_read("amr")["event"]
    assert event["type"] == "message.read"
    assert event["user"]["id"] == "amr"
    assert sdk.client.unread_counts("amr")["total_unread_count"] == 0


def test_mark_read_without_user_is_refused_server_side(chat) -> None:
    sdk, _ = chat
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.post("channels/messaging/c1/read", data={})
    assert error_body(caught.value) == stream_error(
        "MarkRead",
        4,
        400,
        "either user or user_id must be provided when using server side auth.",
    )


def test_ban_shows_on_the_user_and_in_queries_until_unbanned(chat) -> None:
    sdk, _ = chat
    sdk.client.ban_user("lolo", banned_by_id="sat", reason="spam")
    assert sdk.client.query_users({"id": "lolo"})["users"][0]["banned"] is True
    bans = sdk.client.query_banned_users({"filter_conditions": {"user_id": "lolo"}})["bans"]
    assert [b["user"]["id"] for b in bans] == ["lolo"]
    assert bans[0]["reason"] == "spam"
    sdk.client.unban_user("lolo")
    assert sdk.client.query_users({"id": "lolo"})["users"][0]["banned"] is False


def test_mute_without_timeout_has_no_expiry(chat) -> None:
    sdk, _ = chat
    mute = sdk.client.mute_user("lolo", "amr")["mute"]
    assert mute["target"]["id"] == "lolo"
    assert "expires" not in mute
    assert "expires" in sdk.client.mute_user("lolo", "amr", timeout=10)["mute"]
    sdk.client.unmute_user("lolo", "amr")


def test_block_list_and_unblock(chat) -> None:
    sdk, _ = chat
    blocked = sdk.client.block_user("lolo", "amr")
    assert blocked["blocked_by_user_id"] == "amr"
    assert blocked["blocked_user_id"] == "lolo"
    listed = sdk.client.get_blocked_users("amr")["blocks"]
    assert [b["blocked_user_id"] for b in listed] == ["lolo"]
    assert sdk.client.query_users({"id": "amr"})["users"][0]["blocked_user_ids"] == ["lolo"]
    sdk.client.unblock_user("lolo", "amr")
    assert sdk.client.get_blocked_users("amr")["blocks"] == []


def test_flag_and_unflag_a_message(chat) -> None:
    sdk, channel = chat
    message_id = channel.send_message({"text": "rude"}, "lolo")["message"]["id"]
    flagged = sdk.client.flag_message(message_id, user_id="amr")["flag"]
    assert flagged["target_message_id"] == message_id
    assert sdk.client.unflag_message(message_id, user_id="amr")["flag"]["user"]["id"] == "amr"


def test_partial_update_sets_and_unsets_channel_fields(chat) -> None:
    _, channel = chat
    channel.update_partial({"color": "blue", "motd": "hi"})
    response = channel.update_partial(to_unset=["motd"])
    assert response["channel"]["color"] == "blue"
    assert "motd" not in response["channel"]


def test_truncate_hides_the_history(chat) -> None:
    _, channel = chat
    channel.send_message({"text": "old"}, "sat")
    response = channel.truncate()
    assert "truncated_at" in response["channel"]
    assert channel.query()["messages"] == []


def test_hidden_channel_leaves_the_users_list_until_a_new_message(chat) -> None:
    sdk, channel = chat

    def listed() -> list[str]:
        states = sdk.client.query_channels({"members": {"$in": ["amr"]}}, user_id="amr")
        return [s["channel"]["id"] for s in states["channels"]]

    channel.hide("amr")
    assert listed() == []
    hidden = sdk.client.query_channels({"hidden": True}, user_id="amr")["channels"]
    assert [s["channel"]["id"] for s in hidden] == ["c1"]
    channel.send_message({"text": "ping"}, "sat")
    assert listed() == ["c1"]
    channel.hide("amr")
    channel.show("amr")
    assert listed() == ["c1"]


def test_app_settings_round_trip_event_hooks(sdk: SDK) -> None:
    hooks = [{"hook_type": "webhook", "webhook_url": "http://127.0.0.1:9/hook", "enabled": True}]
    sdk.client.update_app_settings(event_hooks=hooks)
    assert sdk.client.get_app_settings()["app"]["event_hooks"] == hooks


def test_delete_channels_returns_a_task_with_per_channel_results(chat) -> None:
    sdk, _ = chat
    task_id = sdk.client.delete_channels(["messaging:c1", "messaging:nope"])["task_id"]
    result = sdk.client.get_task(task_id)["result"]
    assert result["messaging:c1"] == {"status": "ok"}
    assert result["messaging:nope"]["status"] == "error"
    assert sdk.client.query_channels({"cid": "messaging:c1"})["channels"] == []


def test_rate_limits_lists_requested_platforms_and_endpoints(sdk: SDK) -> None:
    sdk.client.get_app_settings()
    limits = sdk.client.get_rate_limits(server_side=True, endpoints=["GetApp", "QueryChannels"])
    assert set(limits) - {"duration"} == {"server_side"}
    assert set(limits["server_side"]) == {"GetApp", "QueryChannels"}
    assert limits["server_side"]["GetApp"]["remaining"] < limits["server_side"]["GetApp"]["limit"]


# -- client-side (user token) permissions ------------------------------------


def _as_user(sdk: SDK, user_id: str):
    client = sdk.make_client()
    client.auth_token = client.create_token(user_id)
    return client


def test_a_member_reads_and_writes_the_channel_with_a_user_token(chat) -> None:
    sdk, _ = chat
    amr = _as_user(sdk, "amr")
    state = amr.channel("messaging", "c1").query()
    assert state["membership"]["user_id"] == "amr"
    sent = amr.channel("messaging", "c1").send_message({"text": "from the app"}, "amr")
    assert sent["message"]["user"]["id"] == "amr"
    amr.channel("messaging", "c1").mark_read("amr")


def test_a_non_member_is_refused_with_read_channel_permission_error(chat) -> None:
    sdk, _ = chat
    stranger = _as_user(sdk, "stranger")
    with pytest.raises(StreamAPIException) as caught:
        stranger.channel("messaging", "c1").query()
    assert error_body(caught.value) == stream_error(
        "GetOrCreateChannel",
        17,
        403,
        "User 'stranger' with role 'user' is not allowed to perform action ReadChannel in "
        "scope 'messaging'",
    )
    with pytest.raises(StreamAPIException) as caught:
        stranger.channel("messaging", "c1").send_message({"text": "hi"}, "stranger")
    assert error_body(caught.value)["code"] == 17
    assert sdk.state.channels["messaging:c1"].message_ids == []


def test_an_admin_reads_any_channel(chat) -> None:
    sdk, _ = chat
    sdk.client.upsert_user({"id": "ops", "role": "admin"})
    state = _as_user(sdk, "ops").channel("messaging", "c1").query()
    assert state["channel"]["cid"] == "messaging:c1"


def test_query_channels_with_a_user_token_lists_only_the_users_channels(chat) -> None:
    sdk, _ = chat
    sdk.client.channel("messaging", "private", {"members": ["sat"]}).create("sat")
    amr = _as_user(sdk, "amr")
    ids = [s["channel"]["id"] for s in amr.query_channels({"type": "messaging"})["channels"]]
    assert ids == ["c1"]


def test_a_user_token_cannot_act_for_another_user(chat) -> None:
    sdk, channel = chat
    amr = _as_user(sdk, "amr")
    with pytest.raises(StreamAPIException) as caught:
        amr.channel("messaging", "c1").send_message({"text": "spoof"}, "lolo")
    assert error_body(caught.value)["code"] == 17
    assert channel.query()["messages"] == []
