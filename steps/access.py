"""Steps for what each identity reaches: Stream channels by token, squatted channel
ids, the conversation list, and names. Thin: driver verbs and assertions."""

from __future__ import annotations

from typing import Any

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets import Driver
from chatgate.fixtures.targets.driver import Company
from chatgate.fixtures.targets.squat import computable_channel_ids
from chatgate.fixtures.targets.stream_side import StreamAnswer
from chatgate.fixtures.targets.transport import ApiResponse

from .conversations import ACTOR, Scenario, _actor, _conversation_type, _explain


def _stream_said(answer: StreamAnswer) -> str:
    return f"Stream answered {answer.status}: {answer.body}"


# -- Stream tokens reach only their holder's channels ---------------------------------
def _send(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None, text: str
) -> StreamAnswer:
    actor, acting = _actor(driver, person, company)
    return driver.stream.send_message(
        driver.stream_token(actor, acting), scenario_state.channel_id, text
    )


@when(parsers.re(ACTOR + r' sends "(?P<text>[^"]+)" in the channel$'))
def sends_message(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None, text: str
) -> None:
    answer = _send(driver, scenario_state, person, company, text)
    assert answer.ok, _stream_said(answer)


@then(parsers.re(ACTOR + r" can send a message in the channel$"))
def can_send(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _send(driver, scenario_state, person, company, "hello from chatgate")
    assert answer.ok, _stream_said(answer)


@then(parsers.re(ACTOR + r" cannot send a message in the channel$"))
def cannot_send(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _send(driver, scenario_state, person, company, "let me in")
    assert answer.status == 403, f"expected Stream to refuse with 403; {_stream_said(answer)}"
    assert answer.body.get("code") == 17, _stream_said(answer)


@then(parsers.re(ACTOR + r" cannot find the channel in Stream$"))
def cannot_find(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    actor, acting = _actor(driver, person, company)
    answer = driver.stream.find_channel(
        driver.stream_token(actor, acting), scenario_state.channel_id
    )
    assert answer.ok, _stream_said(answer)
    found = [c["channel"]["id"] for c in answer.body["channels"]]
    assert found == [], f"a search with this token found the channel: {found}"


@then("Stream has no app-wide admin among the identities the backend synced")
def no_admin(driver: Driver) -> None:
    admins = [u["id"] for u in driver.stream.state()["users"] if u.get("role") == "admin"]
    assert admins == [], f"these identities are app-wide Stream admins: {admins}"


# -- squatting -----------------------------------------------------------------------
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
    kind = _conversation_type(isinstance(first, Company), second)
    for channel_id in computable_channel_ids(kind, first.stream_id, [second.stream_id]):
        answer = driver.stream.create_channel(who, channel_id, [mallory.stream_id])
        assert answer.ok, _stream_said(answer)


@given(parsers.parse('"{outsider}" was added to that conversation\'s Stream channel'))
def outsider_added(driver: Driver, scenario_state: Scenario, outsider: str) -> None:
    mallory = driver.user(outsider)
    driver.stream.connect_as(mallory.stream_id, mallory.name)
    driver.stream.add_member(scenario_state.channel_id, mallory.stream_id)


@then(parsers.parse('"{name}" is not a member of the conversation\'s channel'))
def not_a_member(driver: Driver, scenario_state: Scenario, name: str) -> None:
    channel = driver.stream.channel(scenario_state.channel_id)
    assert channel is not None, f"Stream has no channel {scenario_state.channel_id!r}"
    members = [m["user_id"] for m in channel["members"]]
    assert driver.entity(name).stream_id not in members, f"the channel's members: {members}"


# -- probing for conversations -------------------------------------------------------------
@when(parsers.parse('"{person}" reads a conversation that does not exist'))
def read_missing(driver: Driver, scenario_state: Scenario, person: str) -> None:
    response = driver.get_conversation(driver.user(person), driver.unknown_conversation_id())
    scenario_state.responses.append(response)


@then("the two answers are the same 404")
def same_404(scenario_state: Scenario) -> None:
    existing, missing = scenario_state.responses[-2:]
    assert existing.status == 404, f"for the existing conversation: {_explain(existing)}"
    assert (existing.status, existing.body) == (missing.status, missing.body), (
        f"an outsider can tell them apart: {_explain(existing)} vs {_explain(missing)}"
    )


# -- the conversation list ---------------------------------------------------------------
def _list(driver: Driver, person: str, company: str | None) -> ApiResponse:
    actor, acting = _actor(driver, person, company)
    return driver.list_conversations(actor, acting)


def _listed(driver: Driver, person: str, company: str | None) -> list[dict[str, Any]]:
    response = _list(driver, person, company)
    assert response.status == 200, _explain(response)
    assert isinstance(response.data, list), _explain(response)
    return response.data


@when(parsers.re(ACTOR + r" lists their conversations$"))
def lists(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    scenario_state.responses.append(_list(driver, person, company))


@then(parsers.re(r"the conversation list of " + ACTOR + r" shows the conversation$"))
def list_shows(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    listed = _listed(driver, person, company)
    ids = [c["id"] for c in listed]
    assert scenario_state.channel_id in ids, f"listed: {ids}"
    scenario_state.listed = next(c for c in listed if c["id"] == scenario_state.channel_id)


@then(parsers.re(r"the conversation list of " + ACTOR + r" is empty$"))
def list_empty(driver: Driver, person: str, company: str | None) -> None:
    listed = _listed(driver, person, company)
    assert listed == [], f"expected nothing listed, got {[c['id'] for c in listed]}"


@then(parsers.parse('its last message is "{text}"'))
def listed_last_message(scenario_state: Scenario, text: str) -> None:
    last = scenario_state.listed.get("last_message")
    assert last is not None, f"the listed conversation has no last message: {scenario_state.listed}"
    assert last.get("text") == text, f"the listed last message: {last}"


@then(parsers.re(r"it has (?P<count>\d+) unread messages?$"))
def listed_unread(scenario_state: Scenario, count: str) -> None:
    unread = scenario_state.listed.get("unread_count")
    assert unread == int(count), f"listed with unread_count {unread!r}, expected {count}"


@then(parsers.parse('it is named "{name}"'))
def listed_name(scenario_state: Scenario, name: str) -> None:
    assert scenario_state.listed.get("name") == name, f"listed as {scenario_state.listed}"


# -- names ------------------------------------------------------------------------------------
@then(parsers.parse('the Stream channel is named "{name}"'))
def stream_channel_named(driver: Driver, scenario_state: Scenario, name: str) -> None:
    channel = driver.stream.channel(scenario_state.channel_id)
    assert channel is not None, f"Stream has no channel {scenario_state.channel_id!r}"
    assert channel.get("name") == name, f"Stream's channel: {channel}"


@then(parsers.parse('the conversation is named "{name}"'))
def conversation_named(scenario_state: Scenario, name: str) -> None:
    response = scenario_state.last
    assert response.ok, _explain(response)
    assert response.data.get("name") == name, _explain(response)
