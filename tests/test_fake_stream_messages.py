"""Messages through the official sync SDK, in-process and over HTTP."""

from __future__ import annotations

import pytest
from stream_chat.base.exceptions import StreamAPIException

from tests.conftest import SDK, error_body, stream_error


@pytest.fixture
def channel(sdk: SDK):
    sdk.client.upsert_users([{"id": "sat", "name": "Sat"}, {"id": "amr", "name": "Amr"}])
    channel = sdk.client.channel("messaging", "c1", {"members": ["sat", "amr"]})
    channel.create("sat")
    return channel


def test_send_message_returns_the_stored_message(sdk: SDK, channel) -> None:
    message = channel.send_message({"text": "hi", "priority": "high"}, "sat")["message"]
    assert message["text"] == "hi"
    assert message["user"]["id"] == "sat"
    assert message["type"] == "regular"
    assert message["cid"] == "messaging:c1"
    assert message["priority"] == "high"
    assert message["attachments"] == []
    assert message["latest_reactions"] == []
    assert sdk.state.messages[message["id"]].text == "hi"


def test_send_message_with_a_chosen_id_and_duplicate_id(channel) -> None:
    assert channel.send_message({"id": "m-1", "text": "a"}, "sat")["message"]["id"] == "m-1"
    with pytest.raises(StreamAPIException) as caught:
        channel.send_message({"id": "m-1", "text": "b"}, "sat")
    assert error_body(caught.value) == stream_error(
        "SendMessage", 4, 400, "a message with ID m-1 already exists"
    )


@pytest.mark.usefixtures("channel")
def test_send_message_without_user_is_refused_server_side(sdk: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.post("channels/messaging/c1/message", data={"message": {"text": "x"}})
    assert error_body(caught.value) == stream_error(
        "SendMessage",
        4,
        400,
        "either message.user or message.user_id must be provided when using server side auth.",
    )


def test_send_message_with_reserved_created_at_is_refused(channel) -> None:
    with pytest.raises(StreamAPIException) as caught:
        channel.send_message({"text": "x", "created_at": "2020-01-01T00:00:00Z"}, "sat")
    assert error_body(caught.value) == stream_error(
        "SendMessage",
        4,
        400,
        "message.created_at is a reserved field",
        exception_fields={"message.created_at": "message.created_at is a reserved field"},
    )


def test_send_message_from_unknown_user_is_refused(channel) -> None:
    with pytest.raises(StreamAPIException) as caught:
        channel.send_message({"text": "x"}, "ghost")
    assert error_body(caught.value) == stream_error(
        "SendMessage", 4, 400, "the user ghost does not exist"
    )


def test_get_message_includes_its_channel(sdk: SDK, channel) -> None:
    sent = channel.send_message({"text": "hello"}, "amr")["message"]
    got = sdk.client.get_message(sent["id"])["message"]
    assert got["text"] == "hello"
    assert got["channel"]["cid"] == "messaging:c1"


def test_get_unknown_message_is_not_found(sdk: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.get_message("nope")
    assert error_body(caught.value) == stream_error(
        "GetMessage", 16, 404, "message with id nope doesn't exist"
    )


def test_update_message_replaces_text_and_custom_fields(sdk: SDK, channel) -> None:
    sent = channel.send_message({"text": "draft", "tag": "a"}, "sat")["message"]
    updated = sdk.client.update_message({"id": sent["id"], "text": "final", "user_id": "sat"})
    assert updated["message"]["text"] == "final"
    assert "tag" not in updated["message"]


def test_soft_delete_keeps_text_only_for_show_deleted(sdk: SDK, channel) -> None:
    sent = channel.send_message({"text": "oops"}, "sat")["message"]
    deleted = sdk.client.delete_message(sent["id"])["message"]
    assert deleted["type"] == "deleted"
    assert sdk.client.get_message(sent["id"])["message"]["text"] == ""
    shown = sdk.client.get_message(sent["id"], show_deleted_message=True)["message"]
    assert shown["text"] == "oops"


def test_hard_delete_removes_the_message(sdk: SDK, channel) -> None:
    sent = channel.send_message({"text": "gone"}, "sat")["message"]
    sdk.client.delete_message(sent["id"], hard=True)
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.get_message(sent["id"])
    assert caught.value.status_code == 404


def test_replies_count_on_the_parent_and_stay_out_of_the_channel(channel) -> None:
    parent = channel.send_message({"text": "question"}, "amr")["message"]
    reply = channel.send_message({"text": "answer", "parent_id": parent["id"]}, "sat")["message"]
    assert reply["type"] == "reply"
    state = channel.query()
    assert [m["text"] for m in state["messages"]] == ["question"]
    assert state["messages"][0]["reply_count"] == 1
