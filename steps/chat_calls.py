"""Steps for voice and video calls and the call log."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets.chat_driver import ChatDriver

from .chat_common import NAME, ChatScenario

EVENTS = {
    "rings": "ring",
    "answers": "answer",
    "declines": "decline",
    "misses": "miss",
    "cancels": "cancel",
    "ends": "end",
}
DONE = {"declined": "decline", "cancelled": "cancel", "missed": "miss", "ended": "end"}


def _call(chat: ChatDriver, state: ChatScenario, me: str, call_type: str, other: str) -> None:
    answer = state.record(me, chat.start_call(me, state.conversation(me, other), call_type))
    if answer.ok and isinstance(answer.data, dict):
        state.call = answer.data["id"]


@when(parsers.re(rf"(?P<me>{NAME}) starts an? (?P<call_type>\w+) call with (?P<other>{NAME})$"))
def starts_call(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, call_type: str, other: str
) -> None:
    _call(chat, chat_scenario, me, call_type, other)


@given(
    parsers.re(rf"(?P<me>{NAME}) has started an? (?P<call_type>\w+) call with (?P<other>{NAME})$")
)
def has_started_call(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, call_type: str, other: str
) -> None:
    _call(chat, chat_scenario, me, call_type, other)
    chat_scenario.last.expect(201, doing=f"{me} calls {other}")


def _event(chat: ChatDriver, state: ChatScenario, me: str, event: str) -> None:
    assert state.call is not None, "the scenario has started no call"
    state.record(me, chat.call_event(me, state.call, event))


@when(parsers.re(rf"(?P<me>{NAME}) (?P<verb>{'|'.join(EVENTS)}) the call$"))
def call_event(chat: ChatDriver, chat_scenario: ChatScenario, me: str, verb: str) -> None:
    _event(chat, chat_scenario, me, EVENTS[verb])


@given(parsers.re(rf"(?P<me>{NAME}) has (?P<status>{'|'.join(DONE)}) the call$"))
def has_moved_call(chat: ChatDriver, chat_scenario: ChatScenario, me: str, status: str) -> None:
    _event(chat, chat_scenario, me, DONE[status])
    chat_scenario.last.expect(200, doing=f"{me} {status} the call")


@then(parsers.re(r"the call is (?P<status>\w+)(?P<timed>, with its duration)?$"))
def call_is(chat_scenario: ChatScenario, status: str, timed: str | None) -> None:
    call = chat_scenario.last.expect(200, 201, doing=f"the call becoming {status}")
    assert call.get("status") == status, f"expected the call {status}: {call}"
    if timed:
        seconds = call.get("duration_seconds")
        assert isinstance(seconds, (int, float)), f"no duration: {call}"
        assert seconds >= 0, f"a negative duration: {call}"
        assert call.get("ended_at"), f"expected an ended_at: {call}"


def _log(chat: ChatDriver, me: str) -> list[dict]:
    return chat.calls(me).expect(200, doing=f"{me} reads their call log")


@then(
    parsers.re(
        rf"(?P<me>{NAME})'s call log shows the (?P<call_type>\w+) call from "
        rf"(?P<caller>{NAME}) as (?P<status>\w+)$"
    )
)
def log_shows(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, call_type: str, caller: str, status: str
) -> None:
    log = _log(chat, me)
    found = [c for c in log if c.get("id") == chat_scenario.call]
    assert found, f"{me}'s call log does not show call {chat_scenario.call}: {log}"
    expected = {"call_type": call_type, "caller_user_id": chat.user(caller).id, "status": status}
    shown = {k: found[0].get(k) for k in expected}
    assert shown == expected, f"expected {expected}: {found[0]}"


@then(parsers.re(rf"(?P<me>{NAME})'s call log is empty$"))
def log_empty(chat: ChatDriver, me: str) -> None:
    log = _log(chat, me)
    assert log == [], f"expected {me}'s call log to be empty: {log}"
