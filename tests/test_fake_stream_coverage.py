"""Coverage of the official Python SDK: every public method that calls the API is
served by the fake or listed, as not yet served, in the one allowlist
(`fakes/stream/not_yet.py`), and the allowlist holds nothing stale."""

from __future__ import annotations

import pytest
from stream_chat import StreamChat
from stream_chat.channel import Channel

from chatgate.fakes.stream.coverage import sdk_coverage, served_percentage
from chatgate.fakes.stream.not_yet import NOT_YET
from chatgate.fakes.stream.sdk_surface import public_methods


def test_every_sdk_method_that_calls_the_api_is_served_or_allowlisted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rows = sdk_coverage()
    unlisted = sorted(
        row.method.qualname
        for row in rows
        if row.calls_http and not row.served and row.method.qualname not in NOT_YET
    )
    served, remote, percentage = served_percentage(rows)
    with capsys.disabled():
        print(f"\nfake Stream serves {served}/{remote} SDK methods ({percentage:.1f}%)")
        print(f"not yet ({len(NOT_YET)}): {', '.join(sorted(NOT_YET))}")
    assert not unlisted, (
        "these SDK methods call routes the fake does not serve; serve them, "
        f"or list them in fakes/stream/not_yet.py: {unlisted}"
    )


def test_the_allowlist_holds_only_methods_not_served_yet() -> None:
    by_name = {row.method.qualname: row for row in sdk_coverage()}
    gone = sorted(name for name in NOT_YET if name not in by_name)
    served = sorted(name for name in NOT_YET if name in by_name and by_name[name].served)
    local = sorted(name for name in NOT_YET if name in by_name and not by_name[name].calls_http)
    assert not gone, f"not in the SDK any more; remove from fakes/stream/not_yet.py: {gone}"
    assert not served, f"served now; remove from fakes/stream/not_yet.py: {served}"
    assert not local, f"these send no request; remove from fakes/stream/not_yet.py: {local}"


def test_the_surface_is_every_public_method_of_the_client_and_the_channel() -> None:
    names = {row.method.qualname for row in sdk_coverage()}
    expected = {f"StreamChat.{n}" for n in public_methods(StreamChat)} | {
        f"Channel.{n}" for n in public_methods(Channel)
    }
    verbs = {f"StreamChat.{v}" for v in ("get", "post", "put", "patch", "delete")}
    assert names == expected - verbs
    assert len(expected) == 146 + 44  # stream-chat 4.33; a new SDK version changes this


def test_a_method_on_a_shared_route_is_served_only_if_the_route_honours_its_fields() -> None:
    by_name = {row.method.qualname: row for row in sdk_coverage()}
    assert by_name["Channel.add_members"].served
    assert by_name["Channel.add_members"].operations == ("UpdateChannel",)
    assert by_name["StreamChat.upsert_user"].served
    assert not by_name["StreamChat.create_token"].calls_http


def test_campaigns_segments_and_team_usage_stats_are_served() -> None:
    by_name = {row.method.qualname: row for row in sdk_coverage()}
    engagement = [
        name
        for name in by_name
        if "campaign" in name or "segment" in name or name.endswith("team_usage_stats")
    ]
    calling = [name for name in engagement if by_name[name].calls_http]
    assert len(calling) == 18, calling  # campaigns 8, segments 9, team usage 1
    assert all(by_name[name].served for name in calling), [
        (name, by_name[name].status) for name in calling if not by_name[name].served
    ]
