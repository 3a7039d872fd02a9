"""Settings and state the fake applies to messages, reactions and uploads (frozen channels,
channel-type and channel-level config, quotes, delete for me, shadowed messages, own
reactions, member flags, pins) and the webhook events they make, through the official
sync and async SDK, each in-process and over HTTP, as a backend would notice them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import error_body, stream_error
from tests.sdk_api import PNG, Api, Receiver

CID = "messaging:c1"
FROZEN_TEXT = "Message was not sent: the channel is frozen"


def _c1(client: Any) -> Any:
    return client.channel("messaging", "c1", {"created_by_id": "sat"})


def _state_as(api: Api, user_id: str) -> dict[str, Any]:
    """Channel c1's state as `user_id` opens it with their own token (so naming no
    creator: a user token may only create as itself)."""
    with api.as_user(user_id):
        return api(lambda c: c.channel("messaging", "c1").query())


def _send(api: Api, text: str, user_id: str = "amr", **message: Any) -> dict[str, Any]:
    body = {"text": text, **message}
    return api(lambda c: _c1(c).send_message(body, user_id))["message"]


def _freeze(api: Api) -> None:
    api(lambda c: _c1(c).update_partial({"frozen": True}))


def _override(api: Api, **config: Any) -> dict[str, Any]:
    """Set the channel's config_overrides; the answer's channel."""
    return api(lambda c: _c1(c).update_partial({"config_overrides": config}))["channel"]


def _stored_texts(api: Api) -> list[str]:
    state = api(lambda c: _c1(c).query(messages={"limit": 50}))
    return [m["text"] for m in state["messages"]]


def _get(api: Api, message_id: str, user_id: str | None = None) -> dict[str, Any]:
    if user_id is None:
        return api(lambda c: c.get_message(message_id))["message"]
    with api.as_user(user_id):
        return api(lambda c: c.get_message(message_id))["message"]


def _search(api: Api, text: str, user_id: str | None = None) -> list[str]:
    def search(c: Any) -> Any:
        return c.search({"cid": CID}, text)

    if user_id is None:
        found = api(search)
    else:
        with api.as_user(user_id):
            found = api(search)
    return [r["message"]["id"] for r in found["results"]]


# -- frozen channels ------------------------------------------------------------------------


def test_a_user_sending_to_a_frozen_channel_gets_an_error_message_and_nothing_is_stored(
    chat: Api,
) -> None:
    _freeze(chat)
    with chat.as_user("amr"):
        answer = chat(lambda c: _c1(c).send_message({"text": "hello"}, "amr"))["message"]
    assert (answer["type"], answer["text"]) == ("error", FROZEN_TEXT)
    assert _stored_texts(chat) == []


def test_an_admin_user_token_cannot_send_to_a_frozen_channel_by_default(chat: Api) -> None:
    _freeze(chat)
    with chat.as_user("sat"):
        answer = chat(lambda c: _c1(c).send_message({"text": "hello"}, "sat"))["message"]
    assert answer["type"] == "error"


def test_the_server_side_still_sends_to_a_frozen_channel(chat: Api) -> None:
    _freeze(chat)
    assert _send(chat, "from the backend")["type"] == "regular"
    assert _stored_texts(chat) == ["from the backend"]


def test_a_role_granted_use_frozen_channel_sends_to_a_frozen_channel(chat: Api) -> None:
    chat(lambda c: c.update_channel_type("messaging", grants={"user": ["use-frozen-channel"]}))
    _freeze(chat)
    with chat.as_user("amr"):
        answer = chat(lambda c: _c1(c).send_message({"text": "allowed"}, "amr"))["message"]
    assert answer["type"] == "regular"


def test_a_truncate_message_from_the_server_side_is_posted_to_a_frozen_channel(
    chat: Api,
) -> None:
    _freeze(chat)
    chat(lambda c: c.channel("messaging", "c1").truncate(message={"text": "t", "user_id": "amr"}))
    assert _stored_texts(chat) == ["t"]


def test_reacting_in_a_frozen_channel_is_refused_with_403(chat: Api) -> None:
    mid = _send(chat, "react to me")["id"]
    _freeze(chat)
    with chat.as_user("lolo"):
        error = chat.fails(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo"))
    assert error_body(error) == stream_error(
        "SendReaction",
        17,
        403,
        "User 'lolo' with role 'user' is not allowed to perform action CreateReaction "
        "in scope 'messaging'",
    )


def test_removing_a_reaction_in_a_frozen_channel_is_refused_with_403(chat: Api) -> None:
    mid = _send(chat, "react to me")["id"]
    chat(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo"))
    _freeze(chat)
    with chat.as_user("lolo"):
        error = chat.fails(lambda c: _c1(c).delete_reaction(mid, "like", "lolo"))
    assert error_body(error) == stream_error(
        "DeleteReaction",
        17,
        403,
        "User 'lolo' with role 'user' is not allowed to perform action DeleteReaction "
        "in scope 'messaging'",
    )


def test_sending_a_giphy_preview_in_a_frozen_channel_answers_the_error_message(
    chat: Api,
) -> None:
    preview = _send(chat, "/giphy wave")
    _freeze(chat)
    action = {"form_data": {"image_action": "send"}}
    with chat.as_user("amr"):
        answer = chat(lambda c: c.run_message_action(preview["id"], action))["message"]
    assert (answer["type"], answer["text"]) == ("error", FROZEN_TEXT)
    assert _stored_texts(chat) == []


# -- channel type and channel-level config --------------------------------------------------


def test_uploads_off_on_the_channel_type_refuse_an_image(chat: Api, tmp_path: Path) -> None:
    chat(lambda c: c.update_channel_type("messaging", uploads=False))
    picture = tmp_path / "dot.png"
    picture.write_bytes(PNG)
    error = chat.fails(
        lambda c: _c1(c).send_image(str(picture), "dot.png", {"id": "amr"}, "image/png")
    )
    assert error_body(error) == stream_error(
        "UploadImage", 19, 400, "uploads are disabled for channel type messaging"
    )


def test_uploads_off_by_channel_override_refuse_a_file(chat: Api, tmp_path: Path) -> None:
    _override(chat, uploads=False)
    document = tmp_path / "notes.txt"
    document.write_text("notes")
    error = chat.fails(
        lambda c: _c1(c).send_file(str(document), "notes.txt", {"id": "amr"}, "text/plain")
    )
    assert (error.status_code, error_body(error)["code"]) == (400, 19)


def test_an_overridden_max_message_length_refuses_a_longer_message(chat: Api) -> None:
    _override(chat, max_message_length=5)
    error = chat.fails(lambda c: _c1(c).send_message({"text": "x" * 20}, "amr"))
    assert error_body(error) == stream_error(
        "SendMessage", 20, 400, "message is too long: 20 characters, the maximum is 5"
    )


def test_reactions_off_by_channel_override_refuse_a_reaction(chat: Api) -> None:
    mid = _send(chat, "no reactions here")["id"]
    _override(chat, reactions=False)
    error = chat.fails(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo"))
    assert error_body(error) == stream_error(
        "SendReaction", 19, 400, "reactions are disabled for channel type messaging"
    )


def test_a_blocklist_set_by_channel_override_blocks_a_message_there_only(chat: Api) -> None:
    chat(lambda c: c.create_blocklist(name="Foo", words=["heck"]))
    _override(chat, blocklist="Foo", blocklist_behavior="block")
    blocked = _send(chat, "heck")
    assert (blocked["type"], blocked["text"]) == (
        "error",
        "Message was blocked by moderation policies",
    )
    chat(lambda c: c.channel("messaging", "c2", {"members": ["amr"]}).create("amr"))
    other = chat(lambda c: c.channel("messaging", "c2").send_message({"text": "heck"}, "amr"))
    assert other["message"]["type"] == "regular"


def test_the_channel_config_reports_its_overrides_over_the_type(chat: Api) -> None:
    channel = _override(chat, max_message_length=5, name="not overridable")
    assert channel["config"]["max_message_length"] == 5
    assert channel["config"]["name"] == "messaging"


# -- quotes ---------------------------------------------------------------------------------


def test_a_quoting_message_carries_the_quoted_message(chat: Api) -> None:
    first = _send(chat, "original", "lolo")
    quoting = _send(chat, "quoting", quoted_message_id=first["id"])
    assert quoting["quoted_message_id"] == first["id"]
    assert (quoting["quoted_message"]["id"], quoting["quoted_message"]["text"]) == (
        first["id"],
        "original",
    )
    assert _get(chat, quoting["id"])["quoted_message"]["text"] == "original"


def test_quoting_a_message_of_another_channel_is_refused(chat: Api) -> None:
    chat(lambda c: c.channel("messaging", "c2", {"members": ["amr"]}).create("amr"))
    elsewhere = chat(lambda c: c.channel("messaging", "c2").send_message({"text": "x"}, "amr"))
    quoted_id = elsewhere["message"]["id"]
    error = chat.fails(
        lambda c: _c1(c).send_message({"text": "q", "quoted_message_id": quoted_id}, "amr")
    )
    assert error_body(error) == stream_error(
        "SendMessage", 4, 400, f"quoted message {quoted_id} does not exist in channel {CID}"
    )


def test_quotes_off_by_channel_override_refuse_a_quote(chat: Api) -> None:
    first = _send(chat, "original")
    _override(chat, quotes=False)
    error = chat.fails(
        lambda c: _c1(c).send_message({"text": "q", "quoted_message_id": first["id"]}, "amr")
    )
    assert error_body(error) == stream_error(
        "SendMessage", 19, 400, "quotes are disabled for channel type messaging"
    )


# -- delete for me --------------------------------------------------------------------------


def _delete_for_me(api: Api, message_id: str, user_id: str) -> dict[str, Any]:
    return api(lambda c: c.delete_message(message_id, delete_for_me=True, deleted_by=user_id))


def test_delete_for_me_answers_the_message_unchanged(chat: Api) -> None:
    mid = _send(chat, "keep for others", "lolo")["id"]
    answer = _delete_for_me(chat, mid, "amr")["message"]
    assert (answer["type"], answer["text"]) == ("regular", "keep for others")


def test_a_message_deleted_for_me_reads_as_deleted_for_that_user_only(chat: Api) -> None:
    mid = _send(chat, "keep for others", "lolo")["id"]
    _delete_for_me(chat, mid, "amr")
    mine = _get(chat, mid, "amr")
    assert (mine["type"], mine["text"], mine["deleted_for_me"]) == ("deleted", "", True)
    theirs = _get(chat, mid, "lolo")
    assert (theirs["type"], theirs["text"]) == ("regular", "keep for others")
    assert "deleted_for_me" not in theirs
    assert _get(chat, mid)["type"] == "regular"


def test_search_leaves_out_a_message_deleted_for_me_for_that_user_only(chat: Api) -> None:
    mid = _send(chat, "findable words", "lolo")["id"]
    _delete_for_me(chat, mid, "amr")
    assert _search(chat, "findable", "amr") == []
    assert _search(chat, "findable", "lolo") == [mid]


def test_channel_state_shows_a_message_deleted_for_me_as_deleted_to_that_user(
    chat: Api,
) -> None:
    mid = _send(chat, "keep for others", "lolo")["id"]
    _delete_for_me(chat, mid, "amr")
    state = _state_as(chat, "amr")
    assert [m["type"] for m in state["messages"] if m["id"] == mid] == ["deleted"]


# -- shadowed messages ----------------------------------------------------------------------


def _shadowed_message(api: Api) -> str:
    api(lambda c: c.shadow_ban("amr", banned_by_id="sat"))
    sent = _send(api, "shadowed words")
    assert sent["shadowed"] is True
    return sent["id"]


def test_search_hides_a_shadowed_message_from_other_users(chat: Api) -> None:
    mid = _shadowed_message(chat)
    assert _search(chat, "shadowed", "lolo") == []
    assert _search(chat, "shadowed", "amr") == [mid]
    assert _search(chat, "shadowed") == [mid]


def test_get_message_of_another_users_shadowed_message_is_not_found(chat: Api) -> None:
    mid = _shadowed_message(chat)
    with chat.as_user("lolo"):
        error = chat.fails(lambda c: c.get_message(mid))
    assert error.status_code == 404
    assert _get(chat, mid, "amr")["shadowed"] is True


def test_channel_state_hides_a_shadowed_message_from_other_users(chat: Api) -> None:
    _shadowed_message(chat)
    assert _state_as(chat, "lolo")["messages"] == []
    assert [m["text"] for m in _state_as(chat, "amr")["messages"]] == ["shadowed words"]


# -- own reactions, deleted replies, member flags, pins -------------------------------------


def test_own_reactions_are_the_calling_users_and_empty_server_side(chat: Api) -> None:
    mid = _send(chat, "react")["id"]
    with chat.as_user("lolo"):
        answer = chat(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo"))
    assert [r["user_id"] for r in answer["message"]["own_reactions"]] == ["lolo"]
    assert _get(chat, mid, "amr")["own_reactions"] == []
    assert _get(chat, mid)["own_reactions"] == []


def test_deleted_reply_count_counts_the_deleted_replies(chat: Api) -> None:
    parent = _send(chat, "thread")["id"]
    reply = _send(chat, "reply", "lolo", parent_id=parent)["id"]
    _send(chat, "kept", "lolo", parent_id=parent)
    chat(lambda c: c.delete_message(reply))
    read = _get(chat, parent)
    assert (read["reply_count"], read["deleted_reply_count"]) == (1, 1)


def _member(api: Api, user_id: str) -> dict[str, Any]:
    state = api(lambda c: _c1(c).query())
    return next(m for m in state["members"] if m["user_id"] == user_id)


def test_channel_state_shows_a_channel_ban_on_the_member(chat: Api) -> None:
    chat(lambda c: _c1(c).ban_user("lolo", banned_by_id="sat"))
    member = _member(chat, "lolo")
    assert (member["banned"], member["shadow_banned"]) == (True, False)
    assert _member(chat, "amr")["banned"] is False


def test_channel_state_shows_a_shadow_ban_on_the_member(chat: Api) -> None:
    chat(lambda c: c.shadow_ban("lolo", banned_by_id="sat"))
    member = _member(chat, "lolo")
    assert (member["banned"], member["shadow_banned"]) == (False, True)


def test_channel_state_shows_a_members_channel_mute(chat: Api) -> None:
    chat(lambda c: _c1(c).mute("amr"))
    assert _member(chat, "amr")["notifications_muted"] is True
    assert _member(chat, "lolo")["notifications_muted"] is False


def test_a_non_member_cannot_pin_a_message_with_a_user_token(chat: Api) -> None:
    mid = _send(chat, "pin me")["id"]
    with chat.as_user("stranger"):
        error = chat.fails(lambda c: c.pin_message(mid, "stranger"))
    assert error_body(error) == stream_error(
        "UpdateMessagePartial",
        17,
        403,
        "User 'stranger' with role 'user' is not allowed to perform action PinMessage "
        "in scope 'messaging'",
    )


# -- webhook events -------------------------------------------------------------------------


@pytest.fixture
def frozen_clock(chat: Api) -> Iterator[None]:
    """The fake's clock stopped: every change of the test happens at one instant, so
    timestamps cannot tell a new reaction or membership from an earlier one."""
    chat.fake.clock.freeze()
    yield
    chat.fake.clock.unfreeze()


def _events(api: Api, receiver: Receiver, action: Any, *kinds: str) -> list[dict[str, Any]]:
    """The events of `kinds` that `action` makes (webhooks on for those kinds only)."""
    api(lambda c: c.update_app_settings(webhook_url=receiver.url, webhook_events=list(kinds)))
    action()
    assert api.fake.webhooks.idle(timeout=10)
    got = []
    while not receiver.events.empty():
        verified, event = receiver.events.get_nowait()
        assert verified
        got.append(event)
    return got


@pytest.mark.parametrize(("image_action", "fires"), [("send", True), ("shuffle", False)])
def test_only_sending_a_giphy_preview_fires_message_new(
    chat: Api, receiver: Receiver, image_action: str, fires: bool
) -> None:
    preview = _send(chat, "/giphy wave")
    action = {"user": {"id": "amr"}, "form_data": {"image_action": image_action}}
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: c.run_message_action(preview["id"], action)),
        "message.new",
    )
    expected = [("message.new", preview["id"])] if fires else []
    assert [(e["type"], e["message"]["id"]) for e in events] == expected


def test_a_channel_update_with_a_message_fires_message_new(chat: Api, receiver: Receiver) -> None:
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: _c1(c).update({"name": "n"}, {"text": "renamed", "user_id": "sat"})),
        "message.new",
    )
    assert [(e["type"], e["message"]["text"]) for e in events] == [("message.new", "renamed")]


def test_a_truncate_with_a_message_fires_message_new(chat: Api, receiver: Receiver) -> None:
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: _c1(c).truncate(message={"text": "cleared", "user_id": "sat"})),
        "message.new",
    )
    assert [(e["type"], e["message"]["text"]) for e in events] == [("message.new", "cleared")]


@pytest.mark.usefixtures("frozen_clock")
def test_re_sending_a_reaction_fires_reaction_updated(chat: Api, receiver: Receiver) -> None:
    mid = _send(chat, "react")["id"]
    chat(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo"))
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: _c1(c).send_reaction(mid, {"type": "like", "score": 3}, "lolo")),
        "reaction.new",
        "reaction.updated",
    )
    assert [(e["type"], e["reaction"]["score"]) for e in events] == [("reaction.updated", 3)]


@pytest.mark.usefixtures("frozen_clock")
def test_a_reaction_replacing_another_with_enforce_unique_fires_reaction_updated(
    chat: Api, receiver: Receiver
) -> None:
    mid = _send(chat, "react")["id"]
    chat(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo"))
    events = _events(
        chat,
        receiver,
        lambda: chat(
            lambda c: c.post(
                f"messages/{mid}/reaction",
                data={"reaction": {"type": "love", "user_id": "lolo"}, "enforce_unique": True},
            )
        ),
        "reaction.new",
        "reaction.updated",
    )
    assert [(e["type"], e["reaction"]["type"]) for e in events] == [("reaction.updated", "love")]


@pytest.mark.usefixtures("frozen_clock")
def test_a_first_reaction_fires_reaction_new(chat: Api, receiver: Receiver) -> None:
    mid = _send(chat, "react")["id"]
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo")),
        "reaction.new",
        "reaction.updated",
    )
    assert [e["type"] for e in events] == ["reaction.new"]


def test_removing_a_reaction_fires_reaction_deleted(chat: Api, receiver: Receiver) -> None:
    mid = _send(chat, "react")["id"]
    chat(lambda c: _c1(c).send_reaction(mid, {"type": "like"}, "lolo"))
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: _c1(c).delete_reaction(mid, "like", "lolo")),
        "reaction.deleted",
    )
    assert [(e["type"], e["reaction"]["user_id"]) for e in events] == [("reaction.deleted", "lolo")]


def test_adding_members_fires_member_added_for_new_members_only(
    chat: Api, receiver: Receiver
) -> None:
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: _c1(c).add_members(["amr", "stranger"])),
        "member.added",
    )
    assert [e["member"]["user_id"] for e in events] == ["stranger"]


@pytest.mark.usefixtures("frozen_clock")
def test_re_adding_a_member_added_at_the_same_instant_fires_no_member_added(
    chat: Api, receiver: Receiver
) -> None:
    chat(lambda c: _c1(c).add_members(["stranger"]))
    events = _events(
        chat,
        receiver,
        lambda: chat(lambda c: _c1(c).add_members(["stranger"])),
        "member.added",
    )
    assert events == []


def test_delete_for_me_fires_message_deleted_marked_deleted_for_me(
    chat: Api, receiver: Receiver
) -> None:
    mid = _send(chat, "keep for others", "lolo")["id"]
    events = _events(chat, receiver, lambda: _delete_for_me(chat, mid, "amr"), "message.deleted")
    ((event,),) = [events]
    assert (event["deleted_for_me"], event["hard_delete"], event["user"]["id"]) == (
        True,
        False,
        "amr",
    )
    assert (event["message"]["type"], event["message"]["text"]) == ("regular", "keep for others")
