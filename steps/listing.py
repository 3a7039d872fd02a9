"""Steps for the acting profile's conversation list."""

from __future__ import annotations

from typing import Any

from pytest_bdd import parsers, then, when

from chatgate.fixtures.targets import Driver
from chatgate.fixtures.targets.transport import ApiResponse

from .common import ACTOR, Scenario, actor, said


def _list(driver: Driver, person: str, company: str | None) -> ApiResponse:
    user, acting = actor(driver, person, company)
    return driver.list_conversations(user, acting)


def _listed(driver: Driver, person: str, company: str | None) -> list[dict[str, Any]]:
    response = _list(driver, person, company)
    expected = f"expected 200 with a list of conversations; {said(response)}"
    assert response.status == 200, expected
    assert isinstance(response.data, list), expected
    return response.data


@when(parsers.re(ACTOR + r" lists their conversations$"))
def lists(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    scenario_state.responses.append(_list(driver, person, company))


@then(parsers.re(r"the conversation list of " + ACTOR + r" shows the conversation$"))
def list_shows(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    listed = _listed(driver, person, company)
    channel_id = scenario_state.channel_id
    shown = [c for c in listed if c.get("id") == channel_id]
    assert shown, (
        f"expected the list to show {channel_id!r}; it shows {[c.get('id') for c in listed]}"
    )
    scenario_state.listed = shown[0]


@then(parsers.re(r"the conversation list of " + ACTOR + r" is empty$"))
def list_empty(driver: Driver, person: str, company: str | None) -> None:
    listed = _listed(driver, person, company)
    assert listed == [], f"expected an empty list; it shows {[c.get('id') for c in listed]}"


@then(parsers.parse('its last message is "{text}"'))
def listed_last_message(scenario_state: Scenario, text: str) -> None:
    last = scenario_state.listed.get("last_message")
    found = last.get("text") if isinstance(last, dict) else None
    assert found == text, (
        f"expected last_message.text {text!r}; the listed conversation: {scenario_state.listed}"
    )


@then(parsers.re(r"it has (?P<count>\d+) unread messages?$"))
def listed_unread(scenario_state: Scenario, count: str) -> None:
    unread = scenario_state.listed.get("unread_count")
    assert unread == int(count), (
        f"expected unread_count {count}; the listed conversation: {scenario_state.listed}"
    )


@then(parsers.parse('it is named "{name}"'))
def listed_name(scenario_state: Scenario, name: str) -> None:
    assert scenario_state.listed.get("name") == name, (
        f"expected name {name!r}; the listed conversation: {scenario_state.listed}"
    )
