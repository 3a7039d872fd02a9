"""Steps for features/conversations: thin, they call the driver and assert."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from pytest_bdd import given, parsers, then, when

from chatgate.fakes.stream.observe import members_upserted_late
from chatgate.fixtures.targets import Driver, Unobservable
from chatgate.fixtures.targets.driver import Company, Person
from chatgate.fixtures.targets.stream_side import CHANNEL_TYPE, StreamAnswer
from chatgate.fixtures.targets.transport import ApiResponse

MAX_CHANNEL_ID = 64
FIXED_WAIT_S = 1.0  # the seed's fixed wait before creating a channel
CHANNEL_ID_CHARS = re.compile(r"^[\w-]+$")
# `"the owner"` or `"the owner", acting as "Sat Education",` (the comma is optional).
ACTOR = r'"(?P<person>[^"]+)"(?:, acting as "(?P<company>[^"]+)",?)?'


@dataclass
class Scenario:
    """What one scenario has done so far."""

    responses: list[ApiResponse] = field(default_factory=list)
    opened: dict[str, StreamAnswer] = field(default_factory=dict)
    unknown_id: str = ""
    listed: dict[str, Any] = field(default_factory=dict)  # the last conversation a list showed

    @property
    def last(self) -> ApiResponse:
        return self.responses[-1]

    @property
    def created(self) -> list[ApiResponse]:
        return [r for r in self.responses if r.ok and isinstance(r.data, dict) and "id" in r.data]

    @property
    def channel_id(self) -> str:
        created = self.created
        assert created, f"no conversation was created; last answer: {self.last}"
        return created[-1].data["id"]


@pytest.fixture
def scenario_state() -> Scenario:
    return Scenario()


def _explain(response: ApiResponse) -> str:
    return f"the backend answered {response.status}: {response.body}"


# -- given: people, companies and what Stream already knows ---------------------------
@given(parsers.parse('the company "{company}" is run by "{person}" as its {role}'))
def company_run_by(driver: Driver, company: str, person: str, role: str) -> None:
    driver.member(driver.company(company), driver.user(person), role)


@given(parsers.parse('the user "{person}" is {article} {role} of "{company}"'))
def user_with_role(driver: Driver, person: str, article: str, role: str, company: str) -> None:
    assert article in ("a", "an")
    driver.member(driver.company(company), driver.user(person), role)


@given(parsers.parse('the user "{person}"'))
def a_user(driver: Driver, person: str) -> None:
    driver.user(person)


@given(parsers.parse('"{name}" has already used chat'))
def has_used_chat(driver: Driver, name: str) -> None:
    entity = driver.entity(name)
    driver.stream.connect_as(entity.stream_id, entity.name)


@given(parsers.parse('"{name}" has never used chat'))
def has_never_used_chat(driver: Driver, name: str) -> None:
    assert driver.stream.user(driver.entity(name).stream_id) is None


@given("Stream Chat fails every channel creation with a server error")
def stream_fails_creations(driver: Driver) -> None:
    driver.stream.fault(kind="error", operation="GetOrCreateChannel", code=-1, status=500)


@given("Stream Chat cannot be reached")
def stream_unreachable(driver: Driver) -> None:
    driver.stream.fault(kind="drop", path=".*")


@given(parsers.parse("Stream Chat fails the next channel creation with a {status:d}"))
def stream_fails_once(driver: Driver, status: int) -> None:
    driver.stream.fault(
        kind="error", operation="GetOrCreateChannel", code=-1, status=status, times=1
    )


@given(
    parsers.parse(
        "Stream Chat rate-limits the next user sync, its window resetting in {seconds:d} seconds"
    )
)
def stream_rate_limits(driver: Driver, seconds: int) -> None:
    driver.stream.freeze_before_window_reset(seconds)
    driver.stream.fault(kind="rate_limit", operation="UpdateUsers", times=1)


@given(
    parsers.parse(
        "Stream Chat shows newly synced users to channel operations only after {calls:d} attempts"
    )
)
def stream_lags(driver: Driver, calls: int) -> None:
    driver.stream.lag(calls)


@when("Stream Chat recovers")
def stream_recovers(driver: Driver) -> None:
    driver.stream.clear_faults()


# -- when: the app's requests -----------------------------------------------------------
def _actor(driver: Driver, person: str, company: str | None) -> tuple[Person, Company | None]:
    return driver.user(person), (driver.company(company) if company else None)


def _conversation_type(initiator_is_company: bool, other: Person | Company) -> str:
    other_is_company = isinstance(other, Company)
    if initiator_is_company and other_is_company:
        return "company_company"
    if initiator_is_company or other_is_company:
        return "user_company"
    return "user_user"


def _create_args(
    driver: Driver, person: str, company: str | None, other_name: str
) -> tuple[Person, str, list[str], str | None]:
    """(actor, conversation type, participant ids, company id) of "X (acting as C) -> Y"."""
    actor, acting = _actor(driver, person, company)
    other = driver.entity(other_name)
    kind = _conversation_type(acting is not None, other)
    return actor, kind, [other.id], acting.id if acting else None


@given(parsers.re(ACTOR + r' has started a conversation with "(?P<other>[^"]+)"$'))
def started_conversation(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None, other: str
) -> None:
    start_conversation(driver, scenario_state, person, company, other, None)
    assert scenario_state.last.ok, _explain(scenario_state.last)


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
    actor, kind, ids, company_id = _create_args(driver, person, company, other)
    response = driver.create_conversation(actor, kind, ids, company_id=company_id, name=name)
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
    actor, kind, ids, company_id = _create_args(driver, person, company, other)
    scenario_state.responses += driver.create_concurrently(
        int(times), actor, kind, ids, company_id=company_id
    )


@when(parsers.re(ACTOR + r" starts a conversation with an unknown user$"))
def start_with_unknown(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None
) -> None:
    actor, acting = _actor(driver, person, company)
    scenario_state.unknown_id = driver.unknown_id()
    scenario_state.responses.append(
        driver.create_conversation(
            actor,
            "user_company" if acting else "user_user",
            [scenario_state.unknown_id],
            company_id=acting.id if acting else None,
        )
    )


@when(
    parsers.parse(
        '"{person}" starts a company-to-company conversation with "{other}"'
        " without saying which company"
    )
)
def start_company_company_without_company(
    driver: Driver, scenario_state: Scenario, person: str, other: str
) -> None:
    scenario_state.responses.append(
        driver.create_conversation(
            driver.user(person), "company_company", [driver.entity(other).id]
        )
    )


@when(parsers.parse('someone who is not signed in starts a conversation with "{other}"'))
def start_signed_out(driver: Driver, scenario_state: Scenario, other: str) -> None:
    anonymous = Person("nobody", "nobody", driver.unknown_id())
    scenario_state.responses.append(
        driver.create_conversation(anonymous, "user_user", [driver.entity(other).id])
    )


@when(parsers.parse('"{person}" reads the conversation'))
def read_conversation(driver: Driver, scenario_state: Scenario, person: str) -> None:
    channel_id = scenario_state.channel_id
    scenario_state.responses.append(driver.get_conversation(driver.user(person), channel_id))


@when(parsers.parse('"{person}" asks for a Stream token as a user'))
def token_as_user(driver: Driver, scenario_state: Scenario, person: str) -> None:
    response = driver.get_token(driver.user(person), {"profile_type": "user"})
    scenario_state.responses.append(response)


@when(parsers.parse('"{person}" asks for a Stream token acting as "{company}"'))
def token_as_company(driver: Driver, scenario_state: Scenario, person: str, company: str) -> None:
    params = {"profile_type": "company", "company_id": driver.company(company).id}
    scenario_state.responses.append(driver.get_token(driver.user(person), params))


@when(parsers.parse('"{person}" asks for a Stream token as a company without naming it'))
def token_without_company(driver: Driver, scenario_state: Scenario, person: str) -> None:
    response = driver.get_token(driver.user(person), {"profile_type": "company"})
    scenario_state.responses.append(response)


@when("someone who is not signed in asks for a Stream token")
def token_signed_out(driver: Driver, scenario_state: Scenario) -> None:
    scenario_state.responses.append(driver.get_token(None))


@when(parsers.parse('"{person}" asks for a Stream token with GET'))
def token_with_get(driver: Driver, scenario_state: Scenario, person: str) -> None:
    scenario_state.responses.append(driver.get_token(driver.user(person), method="GET"))


# -- then: the backend's answers ------------------------------------------------------
@then("the conversation is created")
def conversation_created(scenario_state: Scenario) -> None:
    response = scenario_state.last
    assert response.ok, _explain(response)
    assert isinstance(response.data, dict)
    assert response.data.get("id"), _explain(response)


@then("both conversations are created")
def both_created(scenario_state: Scenario) -> None:
    assert len(scenario_state.responses) == 2
    for response in scenario_state.responses:
        assert response.ok, _explain(response)


@then(parsers.parse('the conversation type is "{conversation_type}"'))
def conversation_type_is(scenario_state: Scenario, conversation_type: str) -> None:
    assert scenario_state.last.data["conversation_type"] == conversation_type


@then("the conversation is returned")
def conversation_returned(scenario_state: Scenario) -> None:
    response = scenario_state.last
    assert response.status == 200, _explain(response)
    assert response.data["id"] == scenario_state.created[0].data["id"]


@then(parsers.parse("the request is refused with status {status:d}"))
def refused_with(scenario_state: Scenario, status: int) -> None:
    response = scenario_state.last
    assert response.status == status, _explain(response)
    assert isinstance(response.body, dict), _explain(response)
    assert response.body.get("success") is False, _explain(response)
    assert response.error, f"a {status} without an error message: {response.body}"


@then("the request is refused")
def refused(scenario_state: Scenario) -> None:
    response = scenario_state.last
    assert 400 <= response.status < 500, _explain(response)


@then(parsers.parse('the request fails with a server error that mentions "{text}"'))
def server_error(scenario_state: Scenario, text: str) -> None:
    response = scenario_state.last
    assert 500 <= response.status < 600, _explain(response)
    assert text.lower() in response.error.lower(), _explain(response)


@then(parsers.parse('the error mentions "{text}"'))
def error_mentions(scenario_state: Scenario, text: str) -> None:
    assert text.lower() in scenario_state.last.error.lower(), _explain(scenario_state.last)


@then(parsers.parse('the error is "{text}"'))
def error_is(scenario_state: Scenario, text: str) -> None:
    assert scenario_state.last.error == text, _explain(scenario_state.last)


@then("the error names the unknown user")
def error_names_unknown(scenario_state: Scenario) -> None:
    assert scenario_state.unknown_id in scenario_state.last.error, _explain(scenario_state.last)


@then("the two conversations have different channels")
def different_channels(scenario_state: Scenario) -> None:
    first, second = (r.data["id"] for r in scenario_state.responses[:2])
    assert first != second


@then("the two conversations have the same channel")
def same_channel(scenario_state: Scenario) -> None:
    first, second = (r.data["id"] for r in scenario_state.responses[:2])
    assert first == second


@then(parsers.parse("all {times:d} requests succeed with the same channel"))
def all_same_channel(scenario_state: Scenario, times: int) -> None:
    responses = scenario_state.responses
    assert len(responses) == times
    failed = [r for r in responses if not r.ok]
    assert not failed, _explain(failed[0])
    assert len({r.data["id"] for r in responses}) == 1


@then("the channel id is at most 64 characters long")
def channel_id_short(scenario_state: Scenario) -> None:
    channel_id = scenario_state.channel_id
    assert len(channel_id) <= MAX_CHANNEL_ID, f"{channel_id!r} has {len(channel_id)} characters"


@then('the channel id only uses letters, digits, "-" and "_"')
def channel_id_charset(scenario_state: Scenario) -> None:
    assert CHANNEL_ID_CHARS.match(scenario_state.channel_id), scenario_state.channel_id


# -- then: tokens -----------------------------------------------------------------------
@then("the token is issued")
def token_issued(scenario_state: Scenario) -> None:
    response = scenario_state.last
    assert response.status == 200, _explain(response)
    assert {"token", "user_id", "api_key"} <= set(response.data), _explain(response)


@then(parsers.parse('the token is for "{name}"'))
def token_for(driver: Driver, scenario_state: Scenario, name: str) -> None:
    data = scenario_state.last.data
    expected = driver.entity(name).stream_id
    assert data["user_id"] == expected
    assert data["api_key"] == driver.stream.credentials.api_key
    # Signed with the app's secret (Stream would refuse it otherwise), naming the same user.
    claims = jwt.decode(data["token"], driver.stream.credentials.api_secret, algorithms=["HS256"])
    assert claims["user_id"] == expected


@then(parsers.parse('the token answer says profile "{profile}" with no company'))
def token_profile_user(scenario_state: Scenario, profile: str) -> None:
    data = scenario_state.last.data
    assert (data.get("profile_type"), data.get("company_id")) == (profile, None)


@then(parsers.parse('the token answer says profile "{profile}" with company "{company}"'))
def token_profile_company(
    driver: Driver, scenario_state: Scenario, profile: str, company: str
) -> None:
    data = scenario_state.last.data
    expected = (profile, driver.company(company).id)
    assert (data.get("profile_type"), data.get("company_id")) == expected


# -- then: what Stream holds -------------------------------------------------------------
def _channel(driver: Driver, channel_id: str) -> dict[str, Any]:
    channel = driver.stream.channel(channel_id)
    assert channel is not None, f"Stream has no channel {channel_id!r}"
    return channel


@then(parsers.parse('the Stream channel\'s members are exactly "{first}" and "{second}"'))
def members_exactly(driver: Driver, scenario_state: Scenario, first: str, second: str) -> None:
    channel = _channel(driver, scenario_state.channel_id)
    members = sorted(m["user_id"] for m in channel["members"])
    expected = sorted(driver.entity(n).stream_id for n in (first, second))
    assert members == expected


@then(parsers.parse('the channel was created by "{name}"'))
def created_by(driver: Driver, scenario_state: Scenario, name: str) -> None:
    channel = _channel(driver, scenario_state.channel_id)
    assert channel["created_by"]["id"] == driver.entity(name).stream_id


@then(parsers.parse('the channel of the {which} conversation was created by "{name}"'))
def nth_created_by(driver: Driver, scenario_state: Scenario, which: str, name: str) -> None:
    index = {"first": 0, "second": 1}[which]
    channel = _channel(driver, scenario_state.responses[index].data["id"])
    assert channel["created_by"]["id"] == driver.entity(name).stream_id


@then(parsers.parse('the channel of the {which} conversation has exactly "{first}" and "{second}"'))
def nth_members(
    driver: Driver, scenario_state: Scenario, which: str, first: str, second: str
) -> None:
    index = {"first": 0, "second": 1}[which]
    channel = _channel(driver, scenario_state.responses[index].data["id"])
    members = sorted(m["user_id"] for m in channel["members"])
    expected = sorted(driver.entity(n).stream_id for n in (first, second))
    assert members == expected, f"the {which} conversation's channel has {members}"


@then("every member was synced to Stream before the channel was created")
def synced_before_create(driver: Driver, scenario_state: Scenario) -> None:
    cid = f"{CHANNEL_TYPE}:{scenario_state.channel_id}"
    members = [m["user_id"] for m in _channel(driver, scenario_state.channel_id)["members"]]
    late = members_upserted_late(driver.stream.calls(), cid, members)
    assert not late, f"Stream created {cid} before these members were upserted: {late}"


@given(parsers.parse('Stream has "{name}" with role "{role}"'))
@then(parsers.parse('Stream has "{name}" with role "{role}"'))
def stream_role(driver: Driver, name: str, role: str) -> None:
    user = driver.stream.user(driver.entity(name).stream_id)
    assert user is not None, f"Stream has no user for {name!r}"
    assert user["role"] == role, f"Stream has {name!r} with role {user['role']!r}, not {role!r}"


@then(parsers.parse('Stream has "{name}" with the company role'))
def stream_company_role(driver: Driver, name: str) -> None:
    stream_role(driver, name, driver.company_role)


@then(parsers.parse('Stream has no user for "{name}"'))
def stream_has_no_user(driver: Driver, name: str) -> None:
    assert driver.stream.user(driver.entity(name).stream_id) is None


@then("Stream has no channel")
def stream_has_no_channel(driver: Driver) -> None:
    assert driver.stream.channels() == []


@then(parsers.re(r"Stream holds (?P<count>\d+) channels?$"))
def stream_holds(driver: Driver, count: str) -> None:
    assert len(driver.stream.channels()) == int(count)


@then("Stream was not called")
def stream_not_called(driver: Driver) -> None:
    for operation in ("UpdateUsers", "GetOrCreateChannel", "UpdateChannel"):
        assert driver.stream.calls(operation) == [], f"Stream received {operation}"


@then(parsers.parse("Stream was asked to create the channel {times:d} times"))
def creation_attempts(driver: Driver, scenario_state: Scenario, times: int) -> None:
    attempts = driver.stream.attempts("GetOrCreateChannel", scenario_state.channel_id)
    assert attempts == times, (
        f"the channel took {attempts} create attempts (failures, then the first success), "
        f"not {times}"
    )


@then(parsers.parse("Stream was asked to sync users {times:d} times"))
def sync_attempts(driver: Driver, times: int) -> None:
    attempts = driver.stream.attempts("UpdateUsers")
    assert attempts == times, f"the users took {attempts} sync attempts, not {times}"


# -- then: opening the channel in the app -------------------------------------------------
def _open(
    driver: Driver, scenario_state: Scenario, person: str, company: str | None
) -> StreamAnswer:
    actor, acting = _actor(driver, person, company)
    return driver.stream.open_channel(driver.stream_token(actor, acting), scenario_state.channel_id)


@then(parsers.re(ACTOR + r" can open the channel in the app$"))
def can_open(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _open(driver, scenario_state, person, company)
    assert answer.status in (200, 201), f"Stream answered {answer.status}: {answer.body}"
    assert answer.body["channel"]["id"] == scenario_state.channel_id


@then(parsers.re(ACTOR + r" cannot open the channel in the app$"))
def cannot_open(driver: Driver, scenario_state: Scenario, person: str, company: str | None) -> None:
    answer = _open(driver, scenario_state, person, company)
    assert answer.status == 403, f"Stream answered {answer.status}: {answer.body}"
    assert answer.body["code"] == 17


# -- then: what the backend did between its Stream calls, and what it logged -------------
def _observe(read: Any) -> Any:
    try:
        return read()
    except Unobservable as why:
        pytest.skip(str(why))


@then(parsers.parse("the backend waited at least {seconds:d} seconds before retrying"))
def waited(driver: Driver, seconds: int) -> None:
    pause = driver.pause_before_retry("UpdateUsers")
    assert pause >= seconds, f"the backend retried after {pause:.2f} s, before {seconds} s"


@then("the backend never waited a fixed time")
def never_waited(driver: Driver, scenario_state: Scenario) -> None:
    took = driver.sync_to_channel_s(scenario_state.channel_id)
    assert took < FIXED_WAIT_S / 2, (
        f"{took:.2f} s passed between the first user sync and the channel's creation: "
        f"a fixed wait (the seed waited {FIXED_WAIT_S:.0f} s), not verification"
    )


@then("the backend logged, in order:")
def logged_in_order(driver: Driver, datatable: list[list[str]]) -> None:
    messages = [line.message for line in _observe(driver.log_lines)]
    position = 0
    for (expected,) in datatable[1:]:
        found = next((i for i in range(position, len(messages)) if expected in messages[i]), None)
        assert found is not None, f"{expected!r} not logged after line {position}: {messages}"
        position = found + 1


@then(parsers.parse('the upsert log line counts {count:d} users: "{first}" and "{second}"'))
def upsert_log_line(driver: Driver, count: int, first: str, second: str) -> None:
    lines = _observe(driver.log_lines)
    line = next((x for x in lines if "Upserting users to StreamChat" in x.message), None)
    assert line is not None, f"no 'Upserting users to StreamChat' line in {lines}"
    assert line.fields.get("count") == count, f"the upsert line's fields: {line.fields}"
    expected = sorted(driver.entity(n).stream_id for n in (first, second))
    assert sorted(line.fields.get("userIds") or []) == expected, line.fields
