"""Steps for any request's outcome, raw requests (bad input, no token, someone else's
conversation) and the check that a refused request wrote nothing."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets.chat_driver import ChatDriver

from .chat_common import CLAIM, NAME, ChatScenario, history, listed, names

NOBODY = 2_000_000_000  # a user, conversation or call id no backend has yet
TOKENS = {"no token": "", "a made-up one": "made-up-token-that-names-nobody"}
NO_BODY = "no body"


@then("it succeeds")
def succeeds(chat_scenario: ChatScenario) -> None:
    assert chat_scenario.last.ok, f"expected a success; {chat_scenario.last.said()}"


@then(parsers.re(r'it is refused with status (?P<status>\d+)(?:, saying "(?P<words>[^"]*)")?$'))
def refused(chat_scenario: ChatScenario, status: str, words: str | None) -> None:
    answer = chat_scenario.last
    assert answer.status == int(status), f"expected {status}; {answer.said()}"
    assert answer.error.strip(), f"expected an error that says what is wrong; {answer.said()}"
    if words:
        assert words.lower() in answer.error.lower(), (
            f"expected the error to mention {words!r}; {answer.said()}"
        )


@then(parsers.re(rf"the message is refused or sent from (?P<sender>{NAME})$"))
def refused_or_own(chat: ChatDriver, chat_scenario: ChatScenario, sender: str) -> None:
    answer = chat_scenario.last
    if answer.ok:
        sent_by = answer.data.get("sender_user_id")
        assert sent_by == chat.user(sender).id, f"expected it sent by {sender}: {answer.data}"
    else:
        assert 400 <= answer.status < 500, f"expected a refusal (4xx); {answer.said()}"


@when(parsers.re(rf"(?P<me>{NAME}) reads the history of (?P<a>{NAME}) and (?P<b>{NAME}){CLAIM}$"))
def reads_others_history(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    me: str,
    a: str,
    b: str,
    victim: str | None,
    place: str | None,
) -> None:
    with chat.claiming(victim, place):
        chat_scenario.record(me, chat.history_page(me, chat_scenario.conversation(a, b)))


def _fill(chat: ChatDriver, state: ChatScenario, text: str) -> str:
    """A path or body of the features with its {placeholders} filled in."""
    values: dict[str, Callable[[], object]] = {
        "conversation": lambda: state.conversation("Alice", "Bob"),
        "group": lambda: state.conversation("Alice", group="Study group"),
        "call": lambda: state.call or NOBODY,
        "nobody": lambda: NOBODY,
        "long_text": lambda: "x" * 4001,
        "long_query": lambda: "q" * 101,
    }

    def filled(found: re.Match[str]) -> str:
        key = found[1]
        return str(values[key]() if key in values else chat.user(key.capitalize()).id)

    return re.sub(r"\{(\w+)\}", filled, text)


def _raw(text: str) -> tuple[Any, bytes | None]:
    """(JSON body, None), (None, raw bytes) for text that is not JSON, or (None, None)."""
    if text == NO_BODY:
        return None, None
    try:
        return json.loads(text), None
    except ValueError:
        return None, text.encode()


@when(
    parsers.re(
        rf"(?P<me>{NAME}) calls (?P<method>GET|POST|PUT|DELETE) (?P<path>\S+) with (?P<body>.+)$"
    )
)
def calls_route(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, method: str, path: str, body: str
) -> None:
    parsed, raw = _raw(_fill(chat, chat_scenario, body))
    answer = chat.request(method, _fill(chat, chat_scenario, path), me, body=parsed, raw=raw)
    chat_scenario.record(me, answer)


@when(
    parsers.re(
        rf"someone with (?P<token>{'|'.join(TOKENS)}) calls (?P<method>GET|POST|PUT|DELETE) "
        r"(?P<path>\S+)$"
    )
)
def calls_without_token(
    chat: ChatDriver, chat_scenario: ChatScenario, token: str, method: str, path: str
) -> None:
    body = {"text": "who am I?"} if method == "POST" else None
    answer = chat.request(
        method, _fill(chat, chat_scenario, path), None, body=body, token=TOKENS[token]
    )
    chat_scenario.record(None, answer)


def _seen(chat: ChatDriver, people: list[str]) -> dict[str, Any]:
    """Everything `people` see: their lists, histories, blocked lists, settings, calls."""

    seen = {}
    for user in people:
        conversations = listed(chat, user)
        seen[user] = {
            "conversations": conversations,
            "histories": {c["id"]: history(chat, user, c["id"]) for c in conversations},
            "blocked": chat.blocked(user).expect(200, doing=f"{user} lists blocked users"),
            "settings": chat.settings(user).expect(200, doing=f"{user} reads their settings"),
            "calls": chat.calls(user).expect(200, doing=f"{user} reads their call log"),
        }
    return seen


@given(parsers.re(r"what (?P<people>.+) see is noted$"))
def noted(chat: ChatDriver, chat_scenario: ChatScenario, people: str) -> None:
    chat_scenario.noted = (names(people), _seen(chat, names(people)))


@then(parsers.re(r"nothing changed for (?P<people>.+)$"))
def nothing_changed(chat: ChatDriver, chat_scenario: ChatScenario, people: str) -> None:
    assert chat_scenario.noted, "the scenario noted nothing to compare with"
    who, before = chat_scenario.noted
    assert who == names(people), f"the scenario noted what {who} saw, not {people}"
    after = _seen(chat, who)
    for user in who:
        for part, was in before[user].items():
            assert after[user][part] == was, (
                f"{user}'s {part} changed: {was} -> {after[user][part]}"
            )
