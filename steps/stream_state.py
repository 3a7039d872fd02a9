"""Steps that check what Stream holds after the backend's calls: users and their roles,
channels with their members, creators and names, and whether Stream was called."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then

from chatgate.fixtures.targets import Driver

from .common import ORDINALS, Scenario

# The Stream writes a backend makes for a conversation.
WRITES = ("UpdateUsers", "GetOrCreateChannel", "UpdateChannel")


def _channel(driver: Driver, channel_id: str) -> dict[str, Any]:
    channel = driver.stream.channel(channel_id)
    assert channel is not None, (
        f"expected Stream to hold channel {driver.stream.cid(channel_id)}; it has "
        f"{[c['cid'] for c in driver.stream.channels()]}"
    )
    return channel


def _members_are(driver: Driver, channel_id: str, names: tuple[str, ...]) -> None:
    _channel(driver, channel_id)
    members = driver.stream.members(channel_id)
    expected = sorted(driver.entity(n).stream_id for n in names)
    assert members == expected, (
        f"expected {driver.stream.cid(channel_id)}'s members to be exactly {expected} "
        f"({' and '.join(names)}); Stream has {members}"
    )


def _created_by(driver: Driver, channel_id: str, name: str) -> None:
    creator = (_channel(driver, channel_id).get("created_by") or {}).get("id")
    expected = driver.entity(name).stream_id
    assert creator == expected, (
        f"expected {driver.stream.cid(channel_id)} created by {expected!r} ({name}); "
        f"Stream has created_by {creator!r}"
    )


@then(parsers.parse('the Stream channel\'s members are exactly "{first}" and "{second}"'))
def members_exactly(driver: Driver, scenario_state: Scenario, first: str, second: str) -> None:
    _members_are(driver, scenario_state.channel_id, (first, second))


@then(parsers.parse('the channel of the {which} conversation has exactly "{first}" and "{second}"'))
def nth_members(
    driver: Driver, scenario_state: Scenario, which: str, first: str, second: str
) -> None:
    _members_are(driver, scenario_state.created(ORDINALS[which]), (first, second))


@then(parsers.parse('the channel was created by "{name}"'))
def created_by(driver: Driver, scenario_state: Scenario, name: str) -> None:
    _created_by(driver, scenario_state.channel_id, name)


@then(parsers.parse('the channel of the {which} conversation was created by "{name}"'))
def nth_created_by(driver: Driver, scenario_state: Scenario, which: str, name: str) -> None:
    _created_by(driver, scenario_state.created(ORDINALS[which]), name)


@then("every member was synced to Stream before the channel was created")
def synced_before_create(driver: Driver, scenario_state: Scenario) -> None:
    channel_id = scenario_state.channel_id
    members = driver.stream.members(channel_id) or []
    late = driver.stream.members_upserted_late(channel_id, members)
    assert not late, (
        f"expected every member upserted before {driver.stream.cid(channel_id)} was created; "
        f"Stream's journal shows the channel created before these were: {late}"
    )


@given(parsers.parse('Stream has "{name}" with role "{role}"'))
@then(parsers.parse('Stream has "{name}" with role "{role}"'))
def stream_role(driver: Driver, name: str, role: str) -> None:
    stream_id = driver.entity(name).stream_id
    user = driver.stream.user(stream_id)
    assert user is not None, f"expected Stream to hold {stream_id!r} ({name}); it has no such user"
    assert user.get("role") == role, (
        f"expected {stream_id!r} ({name}) with role {role!r}; Stream has role {user.get('role')!r}"
    )


@then(parsers.parse('Stream has "{name}" with the company role'))
def stream_company_role(driver: Driver, name: str) -> None:
    stream_role(driver, name, driver.company_role)


@then(parsers.parse('Stream has no user for "{name}"'))
def stream_has_no_user(driver: Driver, name: str) -> None:
    stream_id = driver.entity(name).stream_id
    user = driver.stream.user(stream_id)
    assert user is None, f"expected Stream to hold no {stream_id!r} ({name}); it has {user}"


@then("Stream has no channel")
def stream_has_no_channel(driver: Driver) -> None:
    cids = [c["cid"] for c in driver.stream.channels()]
    assert cids == [], f"expected Stream to hold no channel; it has {cids}"


@then(parsers.re(r"Stream holds (?P<count>\d+) channels?$"))
def stream_holds(driver: Driver, count: str) -> None:
    cids = [c["cid"] for c in driver.stream.channels()]
    assert len(cids) == int(count), f"expected Stream to hold {count} channel(s); it has {cids}"


@then("Stream was not called")
def stream_not_called(driver: Driver) -> None:
    called = driver.stream.operations(WRITES)
    assert called == [], f"expected no Stream write ({', '.join(WRITES)}); Stream got {called}"


@then(parsers.parse('the Stream channel is named "{name}"'))
def stream_channel_named(driver: Driver, scenario_state: Scenario, name: str) -> None:
    channel = _channel(driver, scenario_state.channel_id)
    assert channel.get("name") == name, (
        f"expected {channel['cid']} named {name!r}; Stream has name {channel.get('name')!r}"
    )
