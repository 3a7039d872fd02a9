"""Steps for outsiders who claim a conversation's channel ahead of it, or get into it
behind the backend's back."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from chatgate.fixtures.targets import Driver
from chatgate.fixtures.targets.driver import conversation_type
from chatgate.fixtures.targets.squat import computable_channel_ids

from .common import Scenario, stream_said


@given(
    parsers.parse(
        '"{outsider}" has created, as its only member, every channel id an outsider can '
        'compute for "{initiator}" and "{other}"'
    )
)
def squat(driver: Driver, outsider: str, initiator: str, other: str) -> None:
    mallory = driver.user(outsider)
    who = driver.stream_token(mallory)
    first, second = driver.entity(initiator), driver.entity(other)
    kind = conversation_type(first, second)
    for channel_id in computable_channel_ids(kind, first.stream_id, [second.stream_id]):
        answer = driver.stream.create_channel(who, channel_id, [mallory.stream_id])
        assert answer.ok, (
            f"expected {outsider!r} to create channel {channel_id!r} client-side; "
            f"{stream_said(answer)}"
        )


@given(parsers.parse('"{outsider}" was added to that conversation\'s Stream channel'))
def outsider_added(driver: Driver, scenario_state: Scenario, outsider: str) -> None:
    mallory = driver.user(outsider)
    driver.stream.connect_as(mallory.stream_id, mallory.name)
    driver.stream.add_member(scenario_state.channel_id, mallory.stream_id)


@then(parsers.parse('"{name}" is not a member of the conversation\'s channel'))
def not_a_member(driver: Driver, scenario_state: Scenario, name: str) -> None:
    channel_id, stream_id = scenario_state.channel_id, driver.entity(name).stream_id
    members = driver.stream.members(channel_id)
    assert members is not None, f"expected Stream to hold {driver.stream.cid(channel_id)}"
    assert stream_id not in members, (
        f"expected {stream_id!r} ({name}) not among {driver.stream.cid(channel_id)}'s "
        f"members; Stream has {members}"
    )
