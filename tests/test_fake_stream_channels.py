"""Channels through the official sync SDK, in-process and over HTTP."""

from __future__ import annotations

import pytest
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream import distinct_channel_id
from tests.conftest import SDK, error_body, missing_users_error, stream_error

COMPANY = "onecrew_company_fe045b7c-b310-4295-87e1-d5ceca66e55d"
AMR = "onecrew_user_dda3aaa6-d123-4e57-aeef-f0661ec61352"


@pytest.fixture
def synced(sdk: SDK) -> SDK:
    sdk.client.upsert_users(
        [
            {"id": COMPANY, "name": "Sat Education", "role": "admin"},
            {"id": AMR, "name": "Amr"},
            {"id": "moderator"},
        ]
    )
    return sdk


def _member_ids(state: dict) -> list[str]:
    return [m["user_id"] for m in state["members"]]


def test_create_with_members_returns_channel_state(synced: SDK) -> None:
    state = synced.client.channel(
        "messaging", "sat-amr", {"members": [COMPANY, AMR], "name": "Applicants"}
    ).create(COMPANY)
    channel = state["channel"]
    assert channel["cid"] == "messaging:sat-amr"
    assert channel["name"] == "Applicants"
    assert channel["created_by"]["id"] == COMPANY
    assert channel["member_count"] == 2
    assert _member_ids(state) == [COMPANY, AMR]
    assert state["messages"] == []
    roles = {m["user_id"]: m["role"] for m in state["members"]}
    assert roles == {COMPANY: "owner", AMR: "member"}


def test_creator_is_not_made_a_member(synced: SDK) -> None:
    state = synced.client.channel("messaging", "c1", {"members": [AMR]}).create(COMPANY)
    assert _member_ids(state) == [AMR]


def test_create_is_get_or_create_and_ignores_data_for_existing_channel(synced: SDK) -> None:
    synced.client.channel("messaging", "c1", {"members": [AMR]}).create(COMPANY)
    again = synced.client.channel(
        "messaging", "c1", {"members": [AMR, "moderator"], "name": "changed"}
    ).create(COMPANY)
    assert _member_ids(again) == [AMR]
    assert "name" not in again["channel"]


def test_create_with_a_member_never_upserted_fails_with_streams_exact_text(synced: SDK) -> None:
    missing = "onecrew_user_7c1e2f4a-0b7d-4f5e-9a51-3f0c2d9e8b41"
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("messaging", "c1", {"members": [COMPANY, missing]}).create(COMPANY)
    assert caught.value.status_code == 400
    assert error_body(caught.value) == missing_users_error("create", missing)
    assert synced.state.channels == {}


def test_create_with_an_unknown_creator_is_refused_like_a_missing_member(synced: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("messaging", "c1", {"members": [AMR]}).create("ghost")
    assert "don't exist: [ghost]" in error_body(caught.value)["message"]


def test_server_side_create_without_creator_is_refused(synced: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("messaging", "c1", {"members": [AMR]}).query()
    assert error_body(caught.value) == stream_error(
        "GetOrCreateChannel",
        4,
        400,
        "either data.created_by or data.created_by_id must be provided when using server "
        "side auth.",
    )


def test_create_with_both_creator_fields_is_refused(synced: SDK) -> None:
    channel = synced.client.channel("messaging", "c1", {"created_by_id": COMPANY})
    with pytest.raises(StreamAPIException) as caught:
        channel.create(COMPANY)
    assert error_body(caught.value) == stream_error(
        "GetOrCreateChannel", 4, 400, "cannot set both data.created_by and data.created_by_id."
    )


@pytest.mark.parametrize(
    ("channel_id", "reason"),
    [
        ("x" * 65, "max channelID length exceeded (64)"),
        ("bad id", 'channel.id "bad id" invalid ("^[\\w-]*$" allowed)'),
        (
            "bang!",
            "Cannot create a channel with a '!' in the ID, this is a reserved character.",
        ),
    ],
)
def test_invalid_channel_ids_are_refused(synced: SDK, channel_id: str, reason: str) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("messaging", channel_id, {"members": [AMR]}).create(COMPANY)
    assert error_body(caught.value) == stream_error("GetOrCreateChannel", 4, 400, reason)


def test_channel_id_of_exactly_64_characters_is_accepted(synced: SDK) -> None:
    channel_id = "c" * 64
    state = synced.client.channel("messaging", channel_id, {"members": [AMR]}).create(COMPANY)
    assert state["channel"]["id"] == channel_id


def test_unknown_channel_type_is_refused(synced: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("nonsense", "c1", {"members": [AMR]}).create(COMPANY)
    assert error_body(caught.value) == stream_error(
        "GetOrCreateChannel", 16, 404, 'channel type "nonsense" doesn\'t exist'
    )


def test_wrong_json_types_are_input_errors(synced: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("messaging", "c1", {"members": "amr"}).create(COMPANY)
    assert error_body(caught.value) == stream_error(
        "GetOrCreateChannel", 4, 400, "invalid field data.members: expected array, got string"
    )


def test_distinct_channel_gets_streams_member_hash_id(synced: SDK) -> None:
    channel = synced.client.channel("messaging", data={"members": [AMR, COMPANY]})
    state = channel.create(COMPANY)
    expected = distinct_channel_id([COMPANY, AMR])
    assert state["channel"]["id"] == expected
    assert channel.id == expected
    assert len(expected) == 52
    again = synced.client.channel("messaging", data={"members": [COMPANY, AMR]}).create(AMR)
    assert again["channel"]["id"] == expected


def test_distinct_id_matches_a_real_captured_stream_response() -> None:
    assert distinct_channel_id(["zitaszuperagetstreamio", "sara-angular-test"]) == (
        "!members-VTb-DIRK8V2pHHguhdYktHnmOGCfRzphbD2BDcXjItE"
    )


def test_distinct_channel_needs_two_members(synced: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("messaging", data={"members": [AMR]}).create(COMPANY)
    assert error_body(caught.value) == stream_error(
        "GetOrCreateDistinctChannel",
        4,
        400,
        "When using member based IDs specify at least 2 members",
    )


def test_add_members_to_distinct_channel_is_not_allowed(synced: SDK) -> None:
    channel = synced.client.channel("messaging", data={"members": [AMR, COMPANY]})
    channel.create(COMPANY)
    with pytest.raises(StreamAPIException) as caught:
        channel.add_members(["moderator"])
    assert error_body(caught.value) == stream_error(
        "UpdateChannel",
        17,
        403,
        "cannot add members to the distinct channel they don't belong to, please create a new "
        "distinct channel with the desired members",
    )


@pytest.fixture
def channel(synced: SDK):
    channel = synced.client.channel("messaging", "sat-amr", {"members": [COMPANY]})
    channel.create(COMPANY)
    return channel


def test_add_members_then_remove_members(synced: SDK, channel) -> None:
    added = channel.add_members([AMR])
    assert _member_ids(added) == [COMPANY, AMR]
    removed = channel.remove_members([COMPANY])
    assert _member_ids(removed) == [AMR]
    assert list(synced.state.channels["messaging:sat-amr"].members) == [AMR]


def test_add_members_with_a_missing_user_fails_and_adds_nobody(synced: SDK, channel) -> None:
    with pytest.raises(StreamAPIException) as caught:
        channel.add_members([AMR, "ghost"])
    assert error_body(caught.value) == missing_users_error("update", "ghost")
    assert list(synced.state.channels["messaging:sat-amr"].members) == [COMPANY]


def test_add_members_accepts_member_objects_with_channel_roles(channel) -> None:
    added = channel.add_members([{"user_id": AMR, "channel_role": "channel_moderator"}])
    amr = next(m for m in added["members"] if m["user_id"] == AMR)
    assert amr["channel_role"] == "channel_moderator"
    assert amr["is_moderator"] is True


def test_add_and_demote_moderators(channel) -> None:
    promoted = channel.add_moderators(["moderator"])
    mod = next(m for m in promoted["members"] if m["user_id"] == "moderator")
    assert mod["is_moderator"] is True
    demoted = channel.demote_moderators(["moderator"])
    mod = next(m for m in demoted["members"] if m["user_id"] == "moderator")
    assert mod["is_moderator"] is False
    assert mod["channel_role"] == "channel_member"


def test_update_replaces_custom_data_and_can_post_a_message(channel) -> None:
    channel.update({"name": "First"})
    response = channel.update({"topic": "jobs"}, {"text": "renamed", "user_id": COMPANY})
    assert response["channel"]["topic"] == "jobs"
    assert "name" not in response["channel"]
    assert response["message"]["text"] == "renamed"


def test_update_with_reserved_field_is_refused(channel) -> None:
    with pytest.raises(StreamAPIException) as caught:
        channel.update({"member_count": 7})
    assert error_body(caught.value) == stream_error(
        "UpdateChannel",
        4,
        400,
        "data.member_count is a reserved field",
        exception_fields={"data.member_count": "data.member_count is a reserved field"},
    )


def test_update_of_unknown_channel_is_not_found(synced: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.channel("messaging", "nope").update({"name": "x"})
    assert error_body(caught.value) == stream_error(
        "UpdateChannel", 16, 404, 'Can\'t find channel with id "messaging:nope"'
    )


def test_query_channels_filters_by_members_type_id_and_custom_fields(synced: SDK) -> None:
    c = synced.client
    c.channel("messaging", "a", {"members": [COMPANY, AMR], "topic": "jobs"}).create(COMPANY)
    c.channel("messaging", "b", {"members": [COMPANY]}).create(COMPANY)
    c.channel("team", "c", {"members": [AMR]}).create(COMPANY)

    def cids(filters: dict, sort: list | None = None, **options) -> list[str]:
        return [s["channel"]["cid"] for s in c.query_channels(filters, sort, **options)["channels"]]

    assert sorted(cids({"members": {"$in": [AMR]}})) == ["messaging:a", "team:c"]
    assert cids({"type": "messaging", "members": {"$in": [AMR]}}) == ["messaging:a"]
    assert cids({"cid": "team:c"}) == ["team:c"]
    assert sorted(cids({"id": {"$in": ["a", "b"]}})) == ["messaging:a", "messaging:b"]
    assert cids({"topic": "jobs"}) == ["messaging:a"]
    assert cids({}, [{"field": "created_at", "direction": 1}], limit=2, offset=1) == [
        "messaging:b",
        "team:c",
    ]


def test_query_channels_member_limit_is_validated(synced: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        synced.client.query_channels({}, member_limit=101)
    assert error_body(caught.value) == stream_error(
        "QueryChannels", 4, 400, "member_limit must be 100 or less"
    )


def test_channel_query_returns_members_messages_and_read_state(channel) -> None:
    channel.add_members([AMR])
    channel.send_message({"text": "one"}, COMPANY)
    channel.send_message({"text": "two"}, COMPANY)
    state = channel.query(messages={"limit": 1})
    assert [m["text"] for m in state["messages"]] == ["two"]
    assert _member_ids(state) == [COMPANY, AMR]
    reads = {r["user"]["id"]: r["unread_messages"] for r in state["read"]}
    assert reads == {COMPANY: 0, AMR: 2}


def test_soft_delete_channel_hides_it_and_allows_recreation(synced: SDK, channel) -> None:
    deleted = channel.delete()
    assert "deleted_at" in deleted["channel"]
    assert synced.client.query_channels({"cid": "messaging:sat-amr"})["channels"] == []
    fresh = synced.client.channel("messaging", "sat-amr", {"members": [AMR]}).create(COMPANY)
    assert _member_ids(fresh) == [AMR]


def test_hard_delete_channel_removes_it_and_its_messages(synced: SDK, channel) -> None:
    message_id = channel.send_message({"text": "bye"}, COMPANY)["message"]["id"]
    channel.delete(hard=True)
    assert "messaging:sat-amr" not in synced.state.channels
    assert message_id not in synced.state.messages
