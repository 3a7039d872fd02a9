"""Segments, campaigns and team usage statistics through the official SDK, sync and async,
each in-process and over HTTP (the four-way `api` fixture): the answers, the errors, and
what other SDK calls then show (a campaign's messages in channel queries, its stats, the
usage counts)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from stream_chat.types.base import SortOrder
from stream_chat.types.segment import SegmentType

from tests.conftest import error_body, stream_error
from tests.sdk_api import Api

SENDER, AMR, LOLO = "shop", "amr", "lolo"


@pytest.fixture
def users(api: Api) -> Api:
    api(
        lambda c: c.upsert_users(
            [
                {"id": SENDER, "teams": ["red"]},
                {"id": AMR, "teams": ["red"], "city": "Cairo"},
                {"id": LOLO, "teams": ["blue"], "city": "Lyon"},
            ]
        )
    )
    return api


def fails(sdk: Api, action: Any) -> dict[str, Any]:
    """The error body of an action (`lambda c: ...`) the fake refuses."""
    return error_body(sdk.fails(action))


def dm_channel(client: Any, user_id: str) -> Any:
    """The SDK's distinct channel of the sender and `user_id`."""
    return client.channel("messaging", data={"members": [SENDER, user_id]})


def dm(sdk: Api, user_id: str, *, create: bool = False) -> Any:
    """That channel's state (created first with `create`)."""
    channel = sdk(lambda c: dm_channel(c, user_id))
    if create:
        return sdk(lambda _: channel.create(SENDER))
    channel.custom_data["created_by_id"] = SENDER
    return sdk(lambda _: channel.query())


def texts_in(sdk: Api, user_id: str) -> list[str]:
    return [m["text"] for m in dm(sdk, user_id)["messages"]]


# -- segments ------------------------------------------------------------------------


def test_segment_crud_and_query(users: Api) -> None:
    created = users(
        lambda c: c.create_segment(
            SegmentType.USER, data={"name": "vip", "description": "big spenders"}
        )
    )["segment"]
    assert created["type"] == "user"
    assert (created["name"], created["size"], created["all_users"]) == ("vip", 0, False)
    assert users(lambda c: c.get_segment(created["id"]))["segment"] == created
    updated = users(lambda c: c.update_segment(created["id"], {"name": "vips", "description": "d"}))
    assert (updated["segment"]["name"], updated["segment"]["description"]) == ("vips", "d")
    users(lambda c: c.create_segment(SegmentType.CHANNEL, segment_id="second"))
    found = users(lambda c: c.query_segments(filter_conditions={"id": {"$eq": created["id"]}}))
    assert [s["id"] for s in found["segments"]] == [created["id"]]
    first = users(
        lambda c: c.query_segments(
            sort=[{"field": "name", "direction": SortOrder.DESC}], options={"limit": 1}
        )
    )
    assert [s["name"] for s in first["segments"]] == ["vips"]
    second = users(lambda c: c.query_segments(options={"limit": 1, "next": first["next"]}))
    assert [s["id"] for s in second["segments"]] == ["second"]
    assert second["next"] is None
    assert second["prev"] is not None
    assert users(lambda c: c.delete_segment(created["id"])).is_ok()
    reason = f'segment "{created["id"]}" does not exist'
    assert fails(users, lambda c: c.get_segment(created["id"])) == stream_error(
        "GetSegment", 16, 404, reason
    )


def test_segment_targets_are_added_queried_checked_and_removed(users: Api) -> None:
    segment_id = users(lambda c: c.create_segment(SegmentType.USER))["segment"]["id"]
    targets = [f"user-{n}" for n in range(10)]
    assert users(lambda c: c.add_segment_targets(segment_id, targets)).is_ok()
    assert users(lambda c: c.get_segment(segment_id))["segment"]["size"] == 10
    assert users(lambda c: c.segment_target_exists(segment_id, "user-0")).is_ok()
    assert fails(users, lambda c: c.segment_target_exists(segment_id, AMR)) == stream_error(
        "SegmentTargetExists", 16, 404, f'target "{AMR}" is not in segment "{segment_id}"'
    )
    page1 = users(lambda c: c.query_segment_targets(segment_id, options={"limit": 3}))
    assert [t["target_id"] for t in page1["targets"]] == targets[:3]
    page2 = users(
        lambda c: c.query_segment_targets(segment_id, options={"limit": 3, "next": page1["next"]})
    )
    assert [t["target_id"] for t in page2["targets"]] == targets[3:6]
    lower = users(
        lambda c: c.query_segment_targets(
            segment_id,
            filter_conditions={"target_id": {"$lte": "user-4"}},
            sort=[{"field": "target_id", "direction": SortOrder.DESC}],
        )
    )
    assert [t["target_id"] for t in lower["targets"]] == targets[4::-1]
    removed = users(lambda c: c.remove_segment_targets(segment_id, [*targets[:8], "never-added"]))
    assert removed.is_ok()
    assert users(lambda c: c.get_segment(segment_id))["segment"]["size"] == 2
    users.fails(lambda c: c.segment_target_exists(segment_id, "user-0"))


def test_all_users_and_filter_segments_resolve_to_the_live_users(users: Api) -> None:
    everyone = users(lambda c: c.create_segment(SegmentType.USER, data={"all_users": True}))
    assert everyone["segment"]["size"] == 3
    cairo = users(lambda c: c.create_segment(SegmentType.USER, data={"filter": {"city": "Cairo"}}))
    assert cairo["segment"]["size"] == 1
    assert users(lambda c: c.segment_target_exists(cairo["segment"]["id"], AMR)).is_ok()
    users(lambda c: c.delete_user(LOLO, mark_messages_deleted=False))
    assert users(lambda c: c.get_segment(everyone["segment"]["id"]))["segment"]["size"] == 2


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
    users: Api, path: str, body: dict[str, Any], operation: str, reason: str
) -> None:
    users(lambda c: c.create_segment(SegmentType.USER, segment_id="fixed", data={"name": "f"}))
    users(lambda c: c.create_segment(SegmentType.CHANNEL, segment_id="rooms"))
    before = {s["id"]: s for s in users(lambda c: c.query_segments())["segments"]}
    assert fails(users, lambda c: c.post(path, data=body)) == stream_error(
        operation, 4, 400, reason
    )
    assert {s["id"]: s for s in users(lambda c: c.query_segments())["segments"]} == before


def test_a_segment_keeps_its_type_and_flags_on_update(users: Api) -> None:
    users(lambda c: c.create_segment(SegmentType.USER, segment_id="fixed", data={"name": "f"}))
    assert fails(users, lambda c: c.update_segment("fixed", {"all_users": True})) == stream_error(
        "UpdateSegment", 4, 400, "all_users cannot be updated"
    )
    assert users(lambda c: c.get_segment("fixed"))["segment"]["all_users"] is False


# -- campaigns -----------------------------------------------------------------------


def campaign_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "message_template": {"text": "Sale today", "custom": {"promo": "x1"}},
        "sender_id": SENDER,
        "user_ids": [AMR, LOLO],
        "name": "sale",
    }
    return {**data, **overrides}


def test_campaign_crud_and_query(users: Api) -> None:
    segment_id = users(lambda c: c.create_segment(SegmentType.USER))["segment"]["id"]
    data = campaign_data(user_ids=None, segment_ids=[segment_id])
    created = users(lambda c: c.create_campaign(data=data))["campaign"]
    assert (created["status"], created["name"], created["sender_id"]) == ("draft", "sale", SENDER)
    assert [s["id"] for s in created["segments"]] == [segment_id]
    assert created["stats"]["stats_messages_sent"] == 0
    assert users(lambda c: c.get_campaign(created["id"]))["campaign"] == created
    updated = users(lambda c: c.update_campaign(created["id"], {"name": "renamed"}))["campaign"]
    assert (updated["name"], updated["segment_ids"]) == ("renamed", [segment_id])
    users(lambda c: c.create_campaign("other", data=campaign_data()))
    query = users(
        lambda c: c.query_campaigns(
            filter_conditions={"id": {"$eq": created["id"]}},
            sort=[{"field": "created_at", "direction": SortOrder.DESC}],
            options={"limit": 10},
        )
    )
    assert [c["id"] for c in query["campaigns"]] == [created["id"]]
    drafts = users(lambda c: c.query_campaigns(filter_conditions={"status": "draft"}))
    assert len(drafts["campaigns"]) == 2
    assert users(lambda c: c.delete_campaign(created["id"])).is_ok()
    assert fails(users, lambda c: c.get_campaign(created["id"])) == stream_error(
        "GetCampaign", 16, 404, f'campaign "{created["id"]}" does not exist'
    )


def test_starting_a_campaign_sends_to_each_target_and_counts_it(users: Api) -> None:
    data = campaign_data(create_channels=True, channel_template={"type": "messaging"})
    campaign_id = users(lambda c: c.create_campaign(data=data))["campaign"]["id"]
    started = users(lambda c: c.start_campaign(campaign_id))["campaign"]
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
    channel = users(lambda c: dm_channel(c, AMR))
    users(lambda _: channel.create(SENDER))  # an existing channel: the SDK learns its id
    users(lambda _: channel.mark_read(AMR))
    stats = users(lambda c: c.get_campaign(campaign_id))["campaign"]["stats"]
    assert stats["stats_users_read"] == 1
    assert fails(users, lambda c: c.start_campaign(campaign_id)) == stream_error(
        "StartCampaign", 4, 400, f'campaign "{campaign_id}" cannot be started while it is completed'
    )


def test_without_create_channels_only_existing_channels_get_the_message(users: Api) -> None:
    dm(users, AMR, create=True)
    campaign_id = users(lambda c: c.create_campaign(data=campaign_data()))["campaign"]["id"]
    stats = users(lambda c: c.start_campaign(campaign_id))["campaign"]["stats"]
    assert (stats["stats_messages_sent"], stats["stats_channels_created"]) == (1, 0)
    assert texts_in(users, AMR) == ["Sale today"]
    assert users(lambda c: c.query_channels({"members": {"$in": [LOLO]}}))["channels"] == []


def test_a_channel_segment_campaign_posts_in_its_channels(users: Api) -> None:
    room = users(lambda c: c.channel("messaging", "room", data={"members": [SENDER, AMR, LOLO]}))
    users(lambda _: room.create(SENDER))
    segment_id = users(lambda c: c.create_segment(SegmentType.CHANNEL))["segment"]["id"]
    users(lambda c: c.add_segment_targets(segment_id, ["messaging:room", "messaging:gone"]))
    data = campaign_data(user_ids=None, segment_ids=[segment_id])
    campaign_id = users(lambda c: c.create_campaign(data=data))["campaign"]["id"]
    stats = users(lambda c: c.start_campaign(campaign_id))["campaign"]["stats"]
    assert (stats["stats_messages_sent"], stats["stats_users_sent"]) == (1, 2)
    assert [m["text"] for m in users(lambda _: room.query())["messages"]] == ["Sale today"]


def test_a_scheduled_campaign_sends_once_the_fakes_clock_reaches_it(users: Api) -> None:
    dm(users, AMR, create=True)
    campaign_id = users(lambda c: c.create_campaign(data=campaign_data()))["campaign"]["id"]
    at = users.state.clock.now() + timedelta(seconds=60)
    started = users(
        lambda c: c.start_campaign(campaign_id, scheduled_for=at, stop_at=at + timedelta(hours=1))
    )
    assert started["campaign"]["status"] == "scheduled"
    assert texts_in(users, AMR) == []
    users.state.clock.advance(61)
    assert texts_in(users, AMR) == ["Sale today"]
    assert users(lambda c: c.get_campaign(campaign_id))["campaign"]["status"] == "completed"


def test_a_stopped_campaign_sends_nothing_until_started_again(users: Api) -> None:
    dm(users, AMR, create=True)
    campaign_id = users(lambda c: c.create_campaign(data=campaign_data()))["campaign"]["id"]
    at = users.state.clock.now() + timedelta(seconds=60)
    users(lambda c: c.start_campaign(campaign_id, scheduled_for=at))
    assert users(lambda c: c.stop_campaign(campaign_id))["campaign"]["status"] == "stopped"
    users.state.clock.advance(61)
    assert texts_in(users, AMR) == []
    assert users(lambda c: c.get_campaign(campaign_id))["campaign"]["status"] == "stopped"
    assert users(lambda c: c.start_campaign(campaign_id))["campaign"]["status"] == "completed"
    assert texts_in(users, AMR) == ["Sale today"]


def test_a_test_send_reaches_only_the_given_users_and_counts_nothing(users: Api) -> None:
    dm(users, AMR, create=True)
    dm(users, LOLO, create=True)
    campaign_id = users(lambda c: c.create_campaign(data=campaign_data()))["campaign"]["id"]
    answer = users(lambda c: c.test_campaign(campaign_id, [LOLO]))["campaign"]
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
    users: Api, body: dict[str, Any], reason: str
) -> None:
    users(lambda c: c.create_segment(SegmentType.USER, segment_id="seg"))
    users(lambda c: c.create_campaign("first", data=campaign_data()))
    assert fails(users, lambda c: c.post("campaigns", data=body)) == stream_error(
        "CreateCampaign", 4, 400, reason
    )
    assert [c["id"] for c in users(lambda c: c.query_campaigns())["campaigns"]] == ["first"]


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
    users: Api, action: Any, operation: str, reason: str
) -> None:
    dm(users, AMR, create=True)
    users(lambda c: c.create_segment(SegmentType.USER, segment_id="seg"))
    before = users(lambda c: c.create_campaign("first", data=campaign_data()))["campaign"]
    assert fails(users, action) == stream_error(operation, 4, 400, reason)
    assert users(lambda c: c.get_campaign("first"))["campaign"] == before
    assert texts_in(users, AMR) == []


# -- team usage statistics -----------------------------------------------------------


def test_team_usage_stats_count_the_stored_users_and_messages(users: Api) -> None:
    assert users(lambda c: c.query_team_usage_stats())["teams"] == []  # not a multi-tenant app
    users(lambda c: c.update_app_settings(multi_tenant_enabled=True))
    room = users(
        lambda c: c.channel("messaging", "red-room", data={"team": "red", "members": [SENDER, AMR]})
    )
    users(lambda _: room.create(SENDER))
    for text in ("one", "two", "three"):
        users(lambda _, text=text: room.send_message({"text": text}, AMR))
    answer = users(lambda c: c.query_team_usage_stats())
    assert [t["team"] for t in answer["teams"]] == ["blue", "red"]
    red = answer["teams"][1]
    assert red["messages_daily"] == {"total": 3}
    assert red["messages_total"] == {"total": 3}
    assert red["users_total"] == {"total": 2}
    assert red["users_engaged_month_to_date"] == {"total": 1}
    assert red["concurrent_users"] == {"total": 0}
    today = users.state.clock.now().date()
    start = (today - timedelta(days=1)).isoformat()
    end = today.isoformat()
    daily = users(lambda c: c.query_team_usage_stats(start_date=start, end_date=end, limit=1))
    assert [t["team"] for t in daily["teams"]] == ["blue"]
    following = users(
        lambda c: c.query_team_usage_stats(start_date=start, end_date=end, next=daily["next"])
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
    users: Api, options: dict[str, Any], reason: str
) -> None:
    assert fails(users, lambda c: c.query_team_usage_stats(**options)) == stream_error(
        "QueryTeamUsageStats", 4, 400, reason
    )
