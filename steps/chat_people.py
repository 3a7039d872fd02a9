"""Steps that bring people and their past into the chat, and start conversations."""

from __future__ import annotations

import re

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets.chat_driver import ChatDriver, LegacyMessage

from .chat_common import NAME, ChatScenario, names, pair, summary


@given(parsers.re(rf"the chat users? (?P<people>{NAME}(?:(?:, | and ){NAME})*)$"))
def chat_users(chat: ChatDriver, people: str) -> None:
    chat.people(names(people))


@given(
    parsers.re(
        rf"the chat user (?P<person>{NAME}), who was an? (?P<first>\w+) and an? (?P<second>\w+) "
        r"before the migration$"
    )
)
def chat_user_with_profiles(chat: ChatDriver, person: str, first: str, second: str) -> None:
    chat.people([person], {person: [first, second]})


@given(parsers.re(rf"(?P<a>{NAME}) and (?P<b>{NAME}) are connected$"))
def connected(chat: ChatDriver, a: str, b: str) -> None:
    chat.connect(a, b)


def _as_profile(text: str) -> tuple[str, str]:
    """`Alice as a student` -> (Alice, student)."""
    found = re.fullmatch(rf"({NAME}) as an? (\w+)", text.strip())
    assert found, f"expected a person as a profile (Alice as a student), got {text!r}"
    return found[1], found[2]


@given(parsers.re(r"before the migration, (?P<chatters>.+) chatted:$"))
def legacy_chat(
    chat: ChatDriver, chat_scenario: ChatScenario, chatters: str, datatable: list[list[str]]
) -> None:
    participants = [_as_profile(c) for c in re.split(r", | and ", chatters)]
    header, *rows = datatable
    assert header == ["from", "text"], f"expected the columns from and text, got {header}"
    profiles = dict(reversed(participants))  # each person's first profile
    messages = [
        LegacyMessage(
            *(_as_profile(sender) if " as " in sender else (sender, profiles[sender])), text
        )
        for sender, text in rows
    ]
    conversation = chat.legacy_conversation(participants, messages)
    people = sorted(profiles)
    assert len(people) == 2, f"expected a conversation of two people: {chatters}"
    chat_scenario.conversations[pair(*people)] = conversation


def _start(chat: ChatDriver, state: ChatScenario, me: str, other: str) -> None:
    answer = state.record(me, chat.start_direct(me, other))
    if answer.ok and isinstance(answer.data, dict):
        state.conversations.setdefault(pair(me, other), answer.data["id"])


@given(parsers.re(rf"(?P<me>{NAME}) has a conversation with (?P<other>{NAME})$"))
def has_conversation(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    _start(chat, chat_scenario, me, other)
    chat_scenario.last.expect(200, 201, doing=f"{me} starts a conversation with {other}")


@when(parsers.re(rf"(?P<me>{NAME}) starts a conversation with (?P<other>{NAME})$"))
def starts_conversation(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    _start(chat, chat_scenario, me, other)


@then("a new conversation is created")
def new_conversation(chat_scenario: ChatScenario) -> None:
    data = chat_scenario.last.expect(201, doing="starting a new conversation")
    assert data.get("type") == "direct", f"expected a direct conversation, got {data}"


@then("the existing conversation is returned")
def existing_conversation(chat: ChatDriver, chat_scenario: ChatScenario) -> None:
    data = chat_scenario.last.expect(200, doing="starting a conversation that exists")
    ids = sorted(data.get("participant_user_ids") or [])
    people = [u.alias for u in chat.users.values() if u.id in ids]
    assert len(people) == 2, f"expected a conversation of two known people, got {data}"
    known = chat_scenario.conversation(*people)
    assert data.get("id") == known, f"expected conversation {known}, got {data}"


@given(parsers.re(rf'(?P<me>{NAME}) has a group "(?P<name>[^"]+)" with (?P<members>.+)$'))
def has_group(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, name: str, members: str
) -> None:
    answer = chat_scenario.record(me, chat.create_group(me, name, names(members)))
    chat_scenario.conversations[name] = answer.expect(201, doing=f"{me} creates {name!r}")["id"]


@when(parsers.re(rf'(?P<me>{NAME}) adds (?P<other>{NAME}) to "(?P<group>[^"]+)"$'))
def adds_participant(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str, group: str
) -> None:
    conversation = chat_scenario.conversation(me, group=group)
    chat_scenario.record(me, chat.add_participant(me, conversation, other))


@then(parsers.re(r'the group "(?P<group>[^"]+)" has (?P<members>.+) only$'))
def group_members(chat: ChatDriver, chat_scenario: ChatScenario, group: str, members: str) -> None:
    expected = names(members)
    shown = summary(chat, expected[0], chat_scenario.conversation(expected[0], group=group))
    ids = sorted(chat.user(m).id for m in expected)
    assert shown.get("participant_user_ids") == ids, f"expected participants {ids}: {shown}"
