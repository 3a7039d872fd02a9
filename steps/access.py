"""Steps for what each identity reaches in Stream with the token the backend hands it:
opening, writing in and finding channels, client-side, as the app does."""

from __future__ import annotations

from pytest_bdd import parsers, then, when

from chatgate.fixtures.targets import Driver
from chatgate.fixtures.targets.stream_side import StreamAnswer

from .common import ACTOR, Scenario, actor, stream_said

REFUSED_STATUS, REFUSED_CODE = 403, 17  # Stream's "not allowed"


def _who(person: str, company: str | None) -> str:
    return f"{person!r} acting as {company!r}" if company else repr(person)


def _open(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None
) -> StreamAnswer:
    user, acting = actor(driver, person, company)
    return driver.stream.open_channel(driver.stream_token(user, acting), scenario_state.channel_id)


def _send(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None, text: str
) -> StreamAnswer:
    user, acting = actor(driver, person, company)
    return driver.stream.send_message(
        driver.stream_token(user, acting), scenario_state.channel_id, text
    )


def _assert_refused(answer: StreamAnswer, who: str, what: str) -> None:
    code = answer.body.get("code") if isinstance(answer.body, dict) else None
    assert (answer.status, code) == (REFUSED_STATUS, REFUSED_CODE), (
        f"expected Stream to refuse {who} to {what} ({REFUSED_STATUS}, code {REFUSED_CODE}); "
        f"{stream_said(answer)}"
    )


@then(parsers.re(ACTOR + r" can open the channel in the app$"))
def can_open(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _open(driver, scenario_state, person, company)
    channel = answer.body.get("channel") if isinstance(answer.body, dict) else None
    opened = channel.get("id") if isinstance(channel, dict) else None
    expected = f"expected {_who(person, company)} to open {scenario_state.channel_id!r}"
    assert answer.ok, f"{expected} with their Stream token; {stream_said(answer)}"
    assert opened == scenario_state.channel_id, f"{expected}; {stream_said(answer)}"


@then(parsers.re(ACTOR + r" cannot open the channel in the app$"))
def cannot_open(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _open(driver, scenario_state, person, company)
    _assert_refused(answer, _who(person, company), "open the channel")


@when(parsers.re(ACTOR + r' sends "(?P<text>[^"]+)" in the channel$'))
def sends_message(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None, text: str
) -> None:
    answer = _send(driver, scenario_state, person, company, text)
    assert answer.ok, f"expected {_who(person, company)} to send {text!r}; {stream_said(answer)}"


@then(parsers.re(ACTOR + r" can send a message in the channel$"))
def can_send(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _send(driver, scenario_state, person, company, "hello from chatgate")
    assert answer.ok, (
        f"expected {_who(person, company)} to send a message in the channel; {stream_said(answer)}"
    )


@then(parsers.re(ACTOR + r" cannot send a message in the channel$"))
def cannot_send(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _send(driver, scenario_state, person, company, "let me in")
    _assert_refused(answer, _who(person, company), "send a message in the channel")


@then(parsers.re(ACTOR + r" cannot find the channel in Stream$"))
def cannot_find(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    user, acting = actor(driver, person, company)
    answer = driver.stream.find_channel(
        driver.stream_token(user, acting), scenario_state.channel_id
    )
    assert answer.ok, (
        f"expected Stream to answer {_who(person, company)}'s channel search; {stream_said(answer)}"
    )
    found = [c["channel"]["id"] for c in answer.body.get("channels", [])]
    assert found == [], (
        f"expected {_who(person, company)}'s token to find nothing; the search found {found}"
    )


@then("Stream has no app-wide admin among the identities the backend synced")
def no_admin(driver: Driver) -> None:
    admins = [u["id"] for u in driver.stream.state()["users"] if u.get("role") == "admin"]
    assert admins == [], (
        f"expected no Stream user with the app-wide role 'admin'; these have it: {admins}"
    )
