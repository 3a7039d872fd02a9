"""Steps for blocks, the blocked list, privacy settings and read receipts."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets.chat_driver import ChatDriver

from .chat_common import CLAIM, NAME, ChatScenario, names, value


@when(parsers.re(rf"(?P<me>{NAME}) blocks (?P<other>{NAME})$"))
def blocks(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    chat_scenario.record(me, chat.block(me, other))


@given(parsers.re(rf"(?P<me>{NAME}) has blocked (?P<other>{NAME})$"))
def has_blocked(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    chat_scenario.record(me, chat.block(me, other)).expect(200, doing=f"{me} blocks {other}")


@when(parsers.re(rf"(?P<me>{NAME}) unblocks (?P<other>{NAME})$"))
def unblocks(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    chat_scenario.record(me, chat.unblock(me, other)).expect(200, doing=f"{me} unblocks {other}")


@then(
    parsers.re(
        rf"(?P<me>{NAME})'s blocked list is (?P<others>empty|{NAME}(?:(?:, | and ){NAME})*)$"
    )
)
def blocked_list(chat: ChatDriver, me: str, others: str) -> None:
    answer = chat.blocked(me)
    shown = answer.expect(200, doing=f"{me} lists the users they blocked")["blocked_user_ids"]
    expected = [] if others == "empty" else sorted(chat.user(o).id for o in names(others))
    assert sorted(shown) == expected, f"expected {me}'s blocked list {expected} ({others}): {shown}"


def _set(chat: ChatDriver, state: ChatScenario, me: str, name: str, setting: str) -> None:
    state.record(me, chat.update_settings(me, {name: value(setting)}))


@when(
    parsers.re(
        rf"(?P<me>{NAME}) sets (?:(?:his|her|their) )?(?P<name>\w+) to (?P<setting>\S+){CLAIM}$"
    )
)
def sets(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    me: str,
    name: str,
    setting: str,
    victim: str | None,
    place: str | None,
) -> None:
    with chat.claiming(victim, place):
        _set(chat, chat_scenario, me, name, setting)


@given(parsers.re(rf"(?P<me>{NAME}) has set (?:his|her|their) (?P<name>\w+) to (?P<setting>\S+)$"))
def has_set(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, name: str, setting: str
) -> None:
    _set(chat, chat_scenario, me, name, setting)
    chat_scenario.last.expect(200, doing=f"{me} sets {name} to {setting}")


@then(parsers.re(rf"(?P<me>{NAME})'s settings have (?P<name>\w+) (?P<setting>\S+)$"))
def settings_have(chat: ChatDriver, me: str, name: str, setting: str) -> None:
    answer = chat.settings(me)
    shown = answer.expect(200, doing=f"{me} reads their settings")
    assert shown.get(name) == value(setting), f"expected {name} {setting}: {shown}"


def _read_mark(chat: ChatDriver, state: ChatScenario, me: str, reader: str) -> object:
    answer = chat.read_status(me, state.conversation(me, reader))
    marks = answer.expect(200, doing=f"{me} reads the read status")
    found = [m for m in marks if m.get("user_id") == chat.user(reader).id]
    assert len(found) == 1, f"expected one read mark of {reader}: {marks}"
    return found[0].get("read_up_to")


@then(parsers.re(rf'(?P<me>{NAME}) sees that (?P<reader>{NAME}) has read up to "(?P<text>[^"]*)"$'))
def sees_read_mark(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, reader: str, text: str
) -> None:
    mark = _read_mark(chat, chat_scenario, me, reader)
    assert mark == chat_scenario.sent[text], (
        f"expected {reader} to have read up to {text!r} (message {chat_scenario.sent[text]}); "
        f"the mark says {mark}"
    )


@then(parsers.re(rf"(?P<me>{NAME}) sees no read mark from (?P<reader>{NAME})$"))
def sees_no_read_mark(chat: ChatDriver, chat_scenario: ChatScenario, me: str, reader: str) -> None:
    mark = _read_mark(chat, chat_scenario, me, reader)
    assert mark is None, f"expected {reader}'s read mark hidden; it says {mark}"
