"""Steps for starting and reading conversations, and for the backend's answers."""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets import Driver

from .common import ACTOR, ORDINALS, Scenario, actor, said

MAX_CHANNEL_ID = 64  # Stream's limit
CHANNEL_ID_CHARS = re.compile(r"^[\w-]+$", re.ASCII)


# -- when: the app's requests -----------------------------------------------------------
@given(parsers.re(ACTOR + r' has started a conversation with "(?P<other>[^"]+)"$'))
def started_conversation(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None, other: str
) -> None:
    start_conversation(driver, scenario_state, person, company, other, None)
    response = scenario_state.last
    assert response.ok, f"expected the conversation to be created; {said(response)}"


@when(
    parsers.re(
        ACTOR + r' starts a conversation(?: named "(?P<name>[^"]+)")? with "(?P<other>[^"]+)"$'
    )
)
def start_conversation(
    driver: Driver,
    scenario_state: Scenario,
    person: str,
    company: str | None,
    other: str,
    name: str | None,
) -> None:
    starter, acting = actor(driver, person, company)
    response = driver.start_conversation(starter, driver.entity(other), acting=acting, name=name)
    scenario_state.responses.append(response)


@when(
    parsers.re(
        ACTOR
        + r' starts the same conversation with "(?P<other>[^"]+)" (?P<times>\d+) times at once'
    )
)
def start_concurrently(
    driver: Driver,
    scenario_state: Scenario,
    person: str,
    company: str | None,
    other: str,
    times: str,
) -> None:
    starter, acting = actor(driver, person, company)
    scenario_state.responses += driver.start_concurrently(
        int(times), starter, driver.entity(other), acting=acting
    )


@when(parsers.re(ACTOR + r" starts a conversation with an unknown user$"))
def start_with_unknown(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None
) -> None:
    starter, acting = actor(driver, person, company)
    scenario_state.unknown = driver.unknown_user("an unknown user")
    response = driver.start_conversation(starter, scenario_state.unknown, acting=acting)
    scenario_state.responses.append(response)


@when(
    parsers.parse(
        '"{person}" starts a company-to-company conversation with "{other}"'
        " without saying which company"
    )
)
def start_company_company_without_company(
    driver: Driver, scenario_state: Scenario, person: str, other: str
) -> None:
    response = driver.create_conversation(
        driver.user(person), "company_company", [driver.entity(other).id]
    )
    scenario_state.responses.append(response)


@when(parsers.parse('someone who is not signed in starts a conversation with "{other}"'))
def start_signed_out(driver: Driver, scenario_state: Scenario, other: str) -> None:
    nobody = driver.unknown_user("nobody")
    scenario_state.responses.append(driver.start_conversation(nobody, driver.entity(other)))


@when(parsers.parse('"{person}" reads the conversation'))
def read_conversation(driver: Driver, scenario_state: Scenario, person: str) -> None:
    channel_id = scenario_state.channel_id
    scenario_state.responses.append(driver.get_conversation(driver.user(person), channel_id))


@when(parsers.parse('"{person}" reads a conversation that does not exist'))
def read_missing(driver: Driver, scenario_state: Scenario, person: str) -> None:
    response = driver.get_conversation(driver.user(person), driver.unknown_conversation_id())
    scenario_state.responses.append(response)


# -- then: the backend's answers ------------------------------------------------------
@then("the conversation is created")
def conversation_created(scenario_state: Scenario) -> None:
    response = scenario_state.last
    created = response.ok and isinstance(response.data, dict) and bool(response.data.get("id"))
    assert created, f"expected 2xx with data.id (the Stream channel id); {said(response)}"


@then("both conversations are created")
def both_created(scenario_state: Scenario) -> None:
    responses = scenario_state.responses
    assert len(responses) == 2, f"expected 2 requests, the scenario made {len(responses)}"
    for which, response in zip(ORDINALS, responses, strict=True):
        assert response.ok, f"expected the {which} conversation to be created; {said(response)}"


@then(parsers.parse('the conversation type is "{conversation_type}"'))
def conversation_type_is(scenario_state: Scenario, conversation_type: str) -> None:
    response = scenario_state.last
    found = response.data.get("conversation_type") if isinstance(response.data, dict) else None
    assert found == conversation_type, (
        f"expected conversation_type {conversation_type!r}, got {found!r}; {said(response)}"
    )


@then("the conversation is returned")
def conversation_returned(scenario_state: Scenario) -> None:
    response = scenario_state.last
    expected = scenario_state.created(0)
    found = response.data.get("id") if isinstance(response.data, dict) else None
    assert response.status == 200, f"expected 200 with {expected!r}; {said(response)}"
    assert found == expected, f"expected the conversation {expected!r}; {said(response)}"


@then(parsers.parse("the request is refused with status {status:d}"))
def refused_with(scenario_state: Scenario, status: int) -> None:
    response = scenario_state.last
    refused = (
        response.status == status
        and isinstance(response.body, dict)
        and response.body.get("success") is False
        and bool(response.error)
    )
    assert refused, (
        f'expected {status} with {{"success": false, "error": "<why>"}}; {said(response)}'
    )


@then("the request is refused")
def refused(scenario_state: Scenario) -> None:
    response = scenario_state.last
    assert 400 <= response.status < 500, f"expected a 4xx refusal; {said(response)}"


@then(parsers.parse('the request fails with a server error that mentions "{text}"'))
def server_error(scenario_state: Scenario, text: str) -> None:
    response = scenario_state.last
    expected = f"expected a 5xx whose error mentions {text!r}"
    assert 500 <= response.status < 600, f"{expected}; {said(response)}"
    assert text.lower() in response.error.lower(), f"{expected}; {said(response)}"


@then(parsers.parse('the error mentions "{text}"'))
def error_mentions(scenario_state: Scenario, text: str) -> None:
    response = scenario_state.last
    assert text.lower() in response.error.lower(), (
        f"expected the error to mention {text!r}; {said(response)}"
    )


@then(parsers.parse('the error is "{text}"'))
def error_is(scenario_state: Scenario, text: str) -> None:
    response = scenario_state.last
    assert response.error == text, f"expected the error {text!r}; {said(response)}"


@then("the error names the unknown user")
def error_names_unknown(scenario_state: Scenario) -> None:
    response, unknown = scenario_state.last, scenario_state.unknown
    assert unknown is not None, "no request named an unknown user in this scenario"
    assert unknown.id in response.error, (
        f"expected the error to name the unknown id {unknown.id}; {said(response)}"
    )


@then("the two conversations have different channels")
def different_channels(scenario_state: Scenario) -> None:
    first, second = scenario_state.created(0), scenario_state.created(1)
    assert first != second, f"expected two channels; both conversations are {first!r}"


@then("the two conversations have the same channel")
def same_channel(scenario_state: Scenario) -> None:
    first, second = scenario_state.created(0), scenario_state.created(1)
    assert first == second, f"expected one channel; the conversations are {first!r}, {second!r}"


@then(parsers.parse("all {times:d} requests succeed with the same channel"))
def all_same_channel(scenario_state: Scenario, times: int) -> None:
    responses = scenario_state.responses
    assert len(responses) == times, f"expected {times} requests, made {len(responses)}"
    failed = [said(r) for r in responses if not r.ok]
    assert not failed, f"expected all {times} to succeed; {len(failed)} did not: {failed}"
    channels = sorted({r.data["id"] for r in responses})
    assert len(channels) == 1, f"expected one channel; the answers name {channels}"


@then("the channel id is at most 64 characters long")
def channel_id_short(scenario_state: Scenario) -> None:
    channel_id = scenario_state.channel_id
    assert len(channel_id) <= MAX_CHANNEL_ID, (
        f"expected at most {MAX_CHANNEL_ID} characters (Stream's limit); "
        f"{channel_id!r} has {len(channel_id)}"
    )


@then('the channel id only uses letters, digits, "-" and "_"')
def channel_id_charset(scenario_state: Scenario) -> None:
    channel_id = scenario_state.channel_id
    assert CHANNEL_ID_CHARS.match(channel_id), (
        f"expected only a-z, A-Z, 0-9, '-' and '_' (Stream's rule); got {channel_id!r}"
    )


@then("the two answers are the same 404")
def same_404(scenario_state: Scenario) -> None:
    existing, missing = scenario_state.responses[-2:]
    assert existing.status == 404, f"expected 404 for the existing conversation; {said(existing)}"
    assert (existing.status, existing.body) == (missing.status, missing.body), (
        "expected the same answer for an existing and a missing conversation, so an outsider "
        f"cannot tell them apart; existing: {said(existing)}; missing: {said(missing)}"
    )


@then(parsers.parse('the conversation is named "{name}"'))
def conversation_named(scenario_state: Scenario, name: str) -> None:
    response = scenario_state.last
    found = response.data.get("name") if isinstance(response.data, dict) else None
    assert response.ok, f"expected 2xx with name {name!r}; {said(response)}"
    assert found == name, f"expected name {name!r}; {said(response)}"
