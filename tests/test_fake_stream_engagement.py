"""Segments, campaigns and team usage statistics through the official sync SDK, in-process
and over HTTP (the `sdk` fixture): the answers, the errors, and what other SDK calls then
show (a campaign's messages in channel queries, its stats, the usage counts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from stream_chat.base.exceptions import StreamAPIException
from stream_chat.types.base import SortOrder
from stream_chat.types.segment import SegmentType

from tests.conftest import SDK, error_body, stream_error

SENDER, AMR, LOLO = "shop", "amr", "lolo"


@pytest.fixture
def users(sdk: SDK) -> SDK:
    sdk.client.upsert_users(
        [
            {"id": SENDER, "teams": ["red"]},
            {"id": AMR, "teams": ["red"], "city": "Cairo"},
            {"id": LOLO, "teams": ["blue"], "city": "Lyon"},
        ]
    )
    return sdk


def fails(action: Any) -> dict[str, Any]:
    with pytest.raises(StreamAPIException) as caught:
        action()
    return error_body(caught.value)


def dm_channel(sdk: SDK, user_id: str) -> Any:
    """The SDK's distinct channel of the sender and `user_id`."""
    return sdk.client.channel("messaging", data={"members": [SENDER, user_id]})


def dm(sdk: SDK, user_id: str, *, create: bool = False) -> Any:
    """That channel's state (created first with `create`)."""
    channel = dm_channel(sdk, user_id)
    if create:
        return channel.create(SENDER)
    channel.custom_data["created_by_id"] = SENDER
    return channel.query()


def texts_in(sdk: SDK, user_id: str) -> list[str]:
    return [m["text"] for m in dm(sdk, user_id)["messages"]]


# -- segments ------------------------------------------------------------------------


def test_segment_crud_and_query(users: SDK) -> None:
    client = users.client
    created = client.create_segment(
        SegmentType.USER, data={"name": "vip", "description": "big spenders"}
    )["segment"]
    assert created["type"] == "user"
    assert (created["name"], created["size"], created["all_users"]) == ("vip", 0, False)
    assert client.get_segment(created["id"])["segment"] == created
    updated = client.update_segment(created["id"], {"name": "vips", "description": "d"})
    assert (updated["segment"]["name"], updated["segment"]["description"]) == ("vips", "d")
    client.create_segment(SegmentType.CHANNEL, segment_id="second")
    found = client.query_segments(filter_conditions={"id": {"$eq": created["id"]}})
    assert [s["id"] for s in found["segments"]] == [created["id"]]
    first = client.query_segments(
        sort=[{"field": "name", "direction": SortOrder.DESC}], options={"limit": 1}
    )
    assert [s["name"] for s in first["segments"]] == ["vips"]
    second = client.query_segments(options={"limit": 1, "next": first["next"]})
    assert [s["id"] for s in second["segments"]] == ["second"]
    assert second["next"] is None
    assert second["prev"] is not None
    assert client.delete_segment(created["id"]).is_ok()
    reason = f'segment "{created["id"]}" does not exist'
    assert fails(lambda: client.get_segment(created["id"])) == stream_error(
        "GetSegment", 16, 404, reason
    )


def test_segment_targets_are_added_queried_checked_and_removed(users: SDK) -> None:
    client = users.client
    segment_id = client.create_segment(SegmentType.USER)["segment"]["id"]
    targets = [f"user-{n}" for n in range(10)]
    assert client.add_segment_targets(segment_id, targets).is_ok()
    assert client.get_segment(segment_id)["segment"]["size"] == 10
    assert client.segment_target_exists(segment_id, "user-0").is_ok()
    assert fails(lambda: client.segment_target_exists(segment_id, AMR)) == stream_error(
        "SegmentTargetExists", 16, 404, f'target "{AMR}" is not in segment "{segment_id}"'
    )
    page1 = client.query_segment_targets(segment_id, options={"limit": 3})
    assert [t["target_id"] for t in page1["targets"]] == targets[:3]
    page2 = client.query_segment_targets(segment_id, options={"limit": 3, "next": page1["next"]})
    assert [t["target_id"] for t in page2["targets"]] == targets[3:6]
    lower = client.query_segment_targets(
        segment_id,
        filter_conditions={"target_id": {"$lte": "user-4"}},
        sort=[{"field": "target_id", "direction": SortOrder.DESC}],
    )
    assert [t["target_id"] for t in lower["targets"]] == targets[4::-1]
    assert client.remove_segment_targets(segment_id, [*targets[:8], "never-added"]).is_ok()
    assert client.get_segment(segment_id)["segment"]["size"] == 2
    with pytest.raises(StreamAPIException):
        client.segment_target_exists(segment_id, "user-0")


def test_all_users_and_filter_segments_resolve_to_the_live_users(users: SDK) -> None:
    client = users.client
    everyone = client.create_segment(SegmentType.USER, data={"all_users": True})["segment"]
    assert everyone["size"] == 3
    cairo = client.create_segment(SegmentType.USER, data={"filter": {"city": "Cairo"}})
    assert cairo["segment"]["size"] == 1
    assert client.segment_target_exists(cairo["segment"]["id"], AMR).is_ok()
    client.delete_user(LOLO, mark_messages_deleted=False)
    assert client.get_segment(everyone["id"])["segment"]["size"] == 2


@pytest.mark.parametrize(
    ("path", "body", "operation", "reason"),
    [
        (
            "segments",
            {"type": "crowd"},
            "CreateSegment",
            'type "crowd" invalid, must be one of user, channel',
        ),
        ("segments", {}, "CreateSegment", "type is a required field"),
        (
            "segments",
            {"type": "channel", "all_users": True},
            "CreateSegment",
            "all_users is only allowed on segments of type user",
        ),
        (
            "segments",
            {"type": "user", "filter": {"a": {"$near": 1}}},
            "CreateSegment",
            'unknown filter operator "$near" for field "a"',
        ),
        (
            "segments",
            {"type": "user", "id": "fixed"},
            "CreateSegment",
            'segment "fixed" already exists',
        ),
        (
            "segments",
            {"type": "user", "id": "a b"},
            "CreateSegment",
            'id "a b" invalid: 1 to 64 characters of "^[\\w-]*$"',
        ),
        (
            "segments/fixed/addtargets",
            {"target_ids": []},
            "AddSegmentTargets",
            "target_ids must contain at least 1 item",
        ),
        (
            "segments/fixed/addtargets",
            {"target_ids": ["ok", "a b"]},
            "AddSegmentTargets",
            'target_ids[1] "a b" invalid ("^[@\\w-]*$" allowed)',
        ),
        (
            "segments/rooms/addtargets",
            {"target_ids": ["nocolon"]},
            "AddSegmentTargets",
            'target_ids[0] "nocolon" is not a channel cid (<type>:<id>)',
        ),
    ],
)
def test_bad_segment_requests_are_refused_and_change_nothing(
    users: SDK, path: str, body: dict[str, Any], operation: str, reason: str
) -> None:
    client = users.client
    client.create_segment(SegmentType.USER, segment_id="fixed", data={"name": "f"})
    client.create_segment(SegmentType.CHANNEL, segment_id="rooms")
    before = {s["id"]: s for s in client.query_segments()["segments"]}
    assert fails(lambda: client.post(path, data=body)) == stream_error(operation, 4, 400, reason)
    assert {s["id"]: s for s in client.query_segments()["segments"]} == before


def test_a_segment_keeps_its_type_and_flags_on_update(users: SDK) -> None:
    client = users.client
    client.create_segment(SegmentType.USER, segment_id="fixed", data={"name": "f"})
    assert fails(lambda: client.update_segment("fixed", {"all_users": True})) == stream_error(
        "UpdateSegment", 4, 400, "all_users cannot be updated"
    )
    assert client.get_segment("fixed")["segment"]["all_users"] is False


# -- campaigns -----------------------------------------------------------------------


def campaign_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_template": {"text": "Sale today", "custom": {"promo": "x1"}},
        "sender_id": SENDER,
        "user_ids": [AMR, LOLO],
        "name": "sale",
    }
    return {**data, **overrides}


def test_campaign_crud_and_query(users: SDK) -> None:
    client = users.client
    segment_id = client.create_segment(SegmentType.USER)["segment"]["id"]
    data = campaign_data(user_ids=None, segment_ids=[segment_id])
    created = client.create_campaign(data=data)["campaign"]
    assert (created["status"], created["name"], created["sender_id"]) == ("draft", "sale", SENDER)
    assert [s["id"] for s in created["segments"]] == [segment_id]
    assert created["stats"]["stats_messages_sent"] == 0
    assert client.get_campaign(created["id"])["campaign"] == created
    updated = client.update_campaign(created["id"], {"name": "renamed"})["campaign"]
    assert (updated["name"], updated["segment_ids"]) == ("renamed", [segment_id])
    client.create_campaign("other", data=campaign_data())
    query = client.query_campaigns(
        filter_conditions={"id": {"$eq": created["id"]}},
        sort=[{"field": "created_at", "direction": SortOrder.DESC}],
        options={"limit": 10},
    )
    assert [c["id"] for c in query["campaigns"]] == [created["id"]]
    assert len(client.query_campaigns(filter_conditions={"status": "draft"})["campaigns"]) == 2
    assert client.delete_campaign(created["id"]).is_ok()
    assert fails(lambda: client.get_campaign(created["id"])) == stream_error(
        "GetCampaign", 16, 404, f'campaign "{created["id"]}" does not exist'
    )


def test_starting_a_campaign_sends_to_each_target_and_counts_it(users: SDK) -> None:
    client = users.client
    data = campaign_data(create_channels=True, channel_template={"type": "messaging"})
    campaign_id = client.create_campaign(data=data)["campaign"]["id"]
    started = client.start_campaign(campaign_id)["campaign"]
    assert started["status"] == "completed"
    stats = started["stats"]
    assert (stats["stats_messages_sent"], stats["stats_users_sent"]) == (2, 2)
    assert (stats["stats_channels_created"], stats["stats_users_read"]) == (2, 0)
    assert stats["stats_started_at"] is not None
    assert stats["progress"] == 1.0
    message = dm(users, AMR)["messages"][-1]
    assert (message["text"], message["user"]["id"], message["promo"]) == (
        "Sale today",
        SENDER,
        "x1",
    )
    assert texts_in(users, LOLO) == ["Sale today"]
    channel = dm_channel(users, AMR)
    channel.create(SENDER)  # an existing channel: the SDK learns its distinct id
    channel.mark_read(AMR)
    assert client.get_campaign(campaign_id)["campaign"]["stats"]["stats_users_read"] == 1
    assert fails(lambda: client.start_campaign(campaign_id)) == stream_error(
        "StartCampaign", 4, 400, f'campaign "{campaign_id}" cannot be started while it is completed'
    )


def test_without_create_channels_only_existing_channels_get_the_message(users: SDK) -> None:
    client = users.client
    dm(users, AMR, create=True)
    campaign_id = client.create_campaign(data=campaign_data())["campaign"]["id"]
    stats = client.start_campaign(campaign_id)["campaign"]["stats"]
    assert (stats["stats_messages_sent"], stats["stats_channels_created"]) == (1, 0)
    assert texts_in(users, AMR) == ["Sale today"]
    assert client.query_channels({"members": {"$in": [LOLO]}})["channels"] == []


def test_a_channel_segment_campaign_posts_in_its_channels(users: SDK) -> None:
    client = users.client
    room = client.channel("messaging", "room", data={"members": [SENDER, AMR, LOLO]})
    room.create(SENDER)
    segment_id = client.create_segment(SegmentType.CHANNEL)["segment"]["id"]
    client.add_segment_targets(segment_id, ["messaging:room", "messaging:gone"])
    data = campaign_data(user_ids=None, segment_ids=[segment_id])
    campaign_id = client.create_campaign(data=data)["campaign"]["id"]
    stats = client.start_campaign(campaign_id)["campaign"]["stats"]
    assert (stats["stats_messages_sent"], stats["stats_users_sent"]) == (1, 2)
    assert [m["text"] for m in room.query()["messages"]] == ["Sale today"]


def test_a_scheduled_campaign_sends_once_the_fakes_clock_reaches_it(users: SDK) -> None:
    client = users.client
    dm(users, AMR, create=True)
    campaign_id = client.create_campaign(data=campaign_data())["campaign"]["id"]
    at = users.state.clock.now() + timedelta(seconds=60)
    started = client.start_campaign(campaign_id, scheduled_for=at, stop_at=at + timedelta(hours=1))
    assert started["campaign"]["status"] == "scheduled"
    assert texts_in(users, AMR) == []
    users.state.clock.advance(61)
    assert texts_in(users, AMR) == ["Sale today"]
    assert client.get_campaign(campaign_id)["campaign"]["status"] == "completed"


def test_a_stopped_campaign_sends_nothing_until_started_again(users: SDK) -> None:
    client = users.client
    dm(users, AMR, create=True)
    campaign_id = client.create_campaign(data=campaign_data())["campaign"]["id"]
    client.start_campaign(
        campaign_id, scheduled_for=users.state.clock.now() + timedelta(seconds=60)
    )
    assert client.stop_campaign(campaign_id)["campaign"]["status"] == "stopped"
    users.state.clock.advance(61)
    assert texts_in(users, AMR) == []
    assert client.get_campaign(campaign_id)["campaign"]["status"] == "stopped"
    assert client.start_campaign(campaign_id)["campaign"]["status"] == "completed"
    assert texts_in(users, AMR) == ["Sale today"]


def test_a_test_send_reaches_only_the_given_users_and_counts_nothing(users: SDK) -> None:
    client = users.client
    dm(users, AMR, create=True)
    dm(users, LOLO, create=True)
    campaign_id = client.create_campaign(data=campaign_data())["campaign"]["id"]
    answer = client.test_campaign(campaign_id, [LOLO])["campaign"]
    assert (answer["status"], answer["stats"]["stats_messages_sent"]) == ("draft", 0)
    assert (texts_in(users, LOLO), texts_in(users, AMR)) == (["Sale today"], [])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (
            campaign_data(segment_ids=["seg"]),
            "either segment_ids or user_ids must be provided, not both",
        ),
        (campaign_data(user_ids=[]), "either segment_ids or user_ids must be provided, not both"),
        (campaign_data(sender_id="nobody"), "the user nobody does not exist"),
        (campaign_data(user_ids=[AMR, "nobody"]), "the user nobody does not exist"),
        (campaign_data(user_ids=None, segment_ids=["missing"]), 'segment "missing" does not exist'),
        (campaign_data(message_template=None), "message_template is a required field"),
        (campaign_data(message_template={"text": ""}), "message_template.text is a required field"),
        (
            campaign_data(create_channels=True),
            "channel_template is required when create_channels is true",
        ),
        (campaign_data(channel_template={"type": "nope"}), 'channel type "nope" doesn\'t exist'),
        (campaign_data(id="first"), 'campaign "first" already exists'),
    ],
)
def test_bad_campaigns_are_refused_and_change_nothing(
    users: SDK, body: dict[str, Any], reason: str
) -> None:
    client = users.client
    client.create_segment(SegmentType.USER, segment_id="seg")
    client.create_campaign("first", data=campaign_data())
    assert fails(lambda: client.post("campaigns", data=body)) == stream_error(
        "CreateCampaign", 4, 400, reason
    )
    assert [c["id"] for c in client.query_campaigns()["campaigns"]] == ["first"]


@pytest.mark.parametrize(
    ("action", "operation", "reason"),
    [
        (
            lambda c: c.start_campaign("first", scheduled_for="soon"),
            "StartCampaign",
            "scheduled_for is not an RFC 3339 timestamp",
        ),
        (
            lambda c: c.start_campaign("first", stop_at="2001-01-01T00:00:00Z"),
            "StartCampaign",
            "stop_at must be in the future and after scheduled_for",
        ),
        (
            lambda c: c.stop_campaign("first"),
            "StopCampaign",
            'campaign "first" cannot be stopped while it is draft',
        ),
        (
            lambda c: c.test_campaign("first", ["nobody"]),
            "TestCampaign",
            "the user nobody does not exist",
        ),
        (
            lambda c: c.update_campaign("first", {"user_ids": [AMR], "segment_ids": ["seg"]}),
            "UpdateCampaign",
            "either segment_ids or user_ids must be provided, not both",
        ),
    ],
)
def test_bad_campaign_actions_are_refused_and_change_nothing(
    users: SDK, action: Any, operation: str, reason: str
) -> None:
    client = users.client
    dm(users, AMR, create=True)
    client.create_segment(SegmentType.USER, segment_id="seg")
    before = client.create_campaign("first", data=campaign_data())["campaign"]
    assert fails(lambda: action(client)) == stream_error(operation, 4, 400, reason)
    assert client.get_campaign("first")["campaign"] == before
    assert texts_in(users, AMR) == []


# -- team usage statistics -----------------------------------------------------------


def test_team_usage_stats_count_the_stored_users_and_messages(users: SDK) -> None:
    client = users.client
    assert client.query_team_usage_stats()["teams"] == []  # not a multi-tenant app
    client.update_app_settings(multi_tenant_enabled=True)
    room = client.channel("messaging", "red-room", data={"team": "red", "members": [SENDER, AMR]})
    room.create(SENDER)
    for text in ("one", "two", "three"):
        room.send_message({"text": text}, AMR)
    answer = client.query_team_usage_stats()
    assert [t["team"] for t in answer["teams"]] == ["blue", "red"]
    red = answer["teams"][1]
    assert red["messages_daily"] == {"total": 3}
    assert red["messages_total"] == {"total": 3}
    assert red["users_total"] == {"total": 2}
    assert red["users_engaged_month_to_date"] == {"total": 1}
    assert red["concurrent_users"] == {"total": 0}
    today = users.state.clock.now().date()
    start = (today - timedelta(days=1)).isoformat()
    daily = client.query_team_usage_stats(start_date=start, end_date=today.isoformat(), limit=1)
    assert [t["team"] for t in daily["teams"]] == ["blue"]
    following = client.query_team_usage_stats(
        start_date=start, end_date=today.isoformat(), next=daily["next"]
    )
    messages = following["teams"][0]["messages_daily"]
    assert messages == {
        "total": 3,
        "daily": [{"date": start, "value": 0}, {"date": today.isoformat(), "value": 3}],
    }
    assert "next" not in following


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"month": "2026"}, "month must be a date in YYYY-MM format"),
        (
            {"start_date": "bad", "end_date": "2026-02-01"},
            "start_date must be a date in YYYY-MM-DD format",
        ),
        (
            {"start_date": "2026-02-20", "end_date": "2026-02-10"},
            "end_date must not be before start_date",
        ),
        ({"start_date": "2026-02-20"}, "end_date is a required field"),
        (
            {"month": "2026-02", "start_date": "2026-02-01"},
            "month cannot be combined with start_date or end_date",
        ),
        (
            {"start_date": "2024-01-01", "end_date": "2026-01-01"},
            "the date range must be at most 366 days",
        ),
        ({"limit": 31}, "limit must be 30 or less"),
    ],
)
def test_bad_team_usage_requests_are_input_errors(
    users: SDK, options: dict[str, Any], reason: str
) -> None:
    assert fails(lambda: users.client.query_team_usage_stats(**options)) == stream_error(
        "QueryTeamUsageStats", 4, 400, reason
    )
