"""Steps for messages, histories, the conversation list, search and delete for me."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets.chat_driver import ChatDriver

from .chat_common import CLAIM, NAME, TO, ChatScenario, history, listed, pair, summary


def _send(chat: ChatDriver, state: ChatScenario, me: str, text: str, conversation: int) -> None:
    answer = state.record(me, chat.send_text(me, conversation, text))
    if answer.ok and isinstance(answer.data, dict):
        state.sent[text] = answer.data["id"]


@when(parsers.re(rf'(?P<me>{NAME}) sends "(?P<text>[^"]*)" {TO}{CLAIM}$'))
def sends(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    me: str,
    text: str,
    other: str | None,
    group: str | None,
    victim: str | None,
    place: str | None,
) -> None:
    with chat.claiming(victim, place):
        _send(chat, chat_scenario, me, text, chat_scenario.conversation(me, other, group))


@when(
    parsers.re(
        rf'(?P<me>{NAME}) sends "(?P<text>[^"]*)" into the conversation of '
        rf"(?P<a>{NAME}) and (?P<b>{NAME}){CLAIM}$"
    )
)
def sends_into(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    me: str,
    text: str,
    a: str,
    b: str,
    victim: str | None,
    place: str | None,
) -> None:
    with chat.claiming(victim, place):
        _send(chat, chat_scenario, me, text, chat_scenario.conversation(a, b))


@given(parsers.re(rf'(?P<me>{NAME}) has sent "(?P<text>[^"]*)" {TO}$'))
def has_sent(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    me: str,
    text: str,
    other: str | None,
    group: str | None,
) -> None:
    _send(chat, chat_scenario, me, text, chat_scenario.conversation(me, other, group))
    chat_scenario.last.expect(201, doing=f"{me} sends {text!r}")


@given(parsers.re(rf"(?P<me>{NAME}) has sent (?P<count>\d+) numbered messages {TO}$"))
def has_sent_numbered(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    me: str,
    count: str,
    other: str | None,
    group: str | None,
) -> None:
    for n in range(1, int(count) + 1):
        has_sent(chat, chat_scenario, me, f"message {n}", other, group)


@then(parsers.re(rf"the message is sent as text from (?P<sender>{NAME})$"))
def sent_as_text(chat: ChatDriver, chat_scenario: ChatScenario, sender: str) -> None:
    message = chat_scenario.last.expect(201, doing="sending a text")
    assert message.get("message_type") == "text", f"expected a text message: {message}"
    assert message.get("sender_user_id") == chat.user(sender).id, (
        f"expected it from {sender} (user {chat.user(sender).id}): {message}"
    )
    assert message.get("text"), f"expected the text: {message}"
    assert message.get("media_url") is None, f"expected no media_url: {message}"


@then(
    parsers.re(
        rf"(?P<reader>{NAME})'s history with (?P<other>{NAME}) shows "
        rf'"(?P<text>[^"]*)" from (?P<sender>{NAME})$'
    )
)
def history_shows(
    chat: ChatDriver, chat_scenario: ChatScenario, reader: str, other: str, text: str, sender: str
) -> None:
    messages = history(chat, reader, chat_scenario.conversation(reader, other))
    found = [m for m in messages if m.get("text") == text]
    assert found, f"{reader} does not see {text!r}; they see {[m.get('text') for m in messages]}"
    assert found[0].get("sender_user_id") == chat.user(sender).id, (
        f"expected {text!r} from {sender} (user {chat.user(sender).id}): {found[0]}"
    )


@then(
    parsers.re(
        rf'(?P<reader>{NAME})\'s history with (?P<other>{NAME}) does not show "(?P<text>[^"]*)"$'
    )
)
def history_lacks(
    chat: ChatDriver, chat_scenario: ChatScenario, reader: str, other: str, text: str
) -> None:
    messages = history(chat, reader, chat_scenario.conversation(reader, other))
    assert text not in [m.get("text") for m in messages], f"{reader} sees {text!r}: {messages}"


@then(parsers.re(rf"(?P<reader>{NAME})'s history with (?P<other>{NAME}) is empty$"))
def history_empty(chat: ChatDriver, chat_scenario: ChatScenario, reader: str, other: str) -> None:
    messages = history(chat, reader, chat_scenario.conversation(reader, other))
    assert messages == [], f"expected {reader} to see no message; they see {messages}"


@when(
    parsers.re(
        rf"(?P<reader>{NAME}) reads (?:his|her|their) history with (?P<other>{NAME}) "
        r"(?P<size>\d+) messages a page$"
    )
)
def reads_paged(
    chat: ChatDriver, chat_scenario: ChatScenario, reader: str, other: str, size: str
) -> None:
    conversation = chat_scenario.conversation(reader, other)
    chat_scenario.record(reader, chat.history(reader, conversation, limit=int(size)))


@then(
    parsers.re(
        r"(?:he|she|they) gets? (?P<pages>\d+) pages holding message (?P<high>\d+) down to "
        r"message (?P<low>\d+), each once$"
    )
)
def paged(chat_scenario: ChatScenario, pages: str, high: str, low: str) -> None:
    data = chat_scenario.last.expect(200, doing="reading the history page by page")
    texts = [m.get("text") for m in data["messages"]]
    expected = [f"message {n}" for n in range(int(high), int(low) - 1, -1)]
    assert texts == expected, f"expected {expected}, newest first; got {texts}"
    assert data["pages"] == int(pages), f"expected {pages} pages, got {data['pages']}"


def _mark_read(chat: ChatDriver, state: ChatScenario, reader: str, other: str) -> None:
    conversation = state.conversation(reader, other)
    newest = history(chat, reader, conversation)[0]["id"]
    state.record(reader, chat.mark_read(reader, conversation, newest))


@when(parsers.re(rf"(?P<reader>{NAME}) marks the conversation with (?P<other>{NAME}) read$"))
def marks_read(chat: ChatDriver, chat_scenario: ChatScenario, reader: str, other: str) -> None:
    _mark_read(chat, chat_scenario, reader, other)


@given(parsers.re(rf"(?P<reader>{NAME}) has marked the conversation with (?P<other>{NAME}) read$"))
def has_marked_read(chat: ChatDriver, chat_scenario: ChatScenario, reader: str, other: str) -> None:
    _mark_read(chat, chat_scenario, reader, other)
    chat_scenario.last.expect(200, doing=f"{reader} marks the conversation read")


# -- the conversation list ---------------------------------------------------------
@when(parsers.re(rf"(?P<me>{NAME}) opens the chat{CLAIM}$"))
def opens_chat(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, victim: str | None, place: str | None
) -> None:
    with chat.claiming(victim, place):
        chat_scenario.record(me, chat.conversations(me))


@then("the chat opens")
def chat_opens(chat_scenario: ChatScenario) -> None:
    listed = chat_scenario.last.expect(200, doing="opening the chat")
    assert isinstance(listed, list), (
        f"expected a list of conversations; {chat_scenario.last.said()}"
    )


@then(
    parsers.re(
        rf"(?P<me>{NAME})'s conversation list shows the conversation with (?P<other>{NAME}), "
        r'(?:last message "(?P<text>[^"]*)"|no last message), (?P<unread>\d+) unread$'
    )
)
def list_shows(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    me: str,
    other: str,
    text: str | None,
    unread: str,
) -> None:
    shown = summary(chat, me, chat_scenario.conversation(me, other))
    last = shown.get("last_message")
    found = last.get("text") if isinstance(last, dict) else last
    assert found == text, f"expected the last message {text!r}: {shown}"
    assert shown.get("unread_count") == int(unread), f"expected {unread} unread: {shown}"


@then(parsers.re(rf"(?P<me>{NAME})'s conversation list is, latest first: (?P<others>.+)$"))
def list_order(chat: ChatDriver, chat_scenario: ChatScenario, me: str, others: str) -> None:
    expected = [chat_scenario.conversation(me, o.strip()) for o in others.split(",")]
    shown = [c.get("id") for c in listed(chat, me)]
    assert shown == expected, f"expected conversations {expected} ({others}); {me} sees {shown}"


@then(parsers.re(rf"(?P<me>{NAME})'s conversation list is empty$"))
def list_empty(chat: ChatDriver, me: str) -> None:
    shown = listed(chat, me)
    assert shown == [], f"expected {me}'s list to be empty: {shown}"


@then(
    parsers.re(
        rf"(?P<me>{NAME})'s conversation list does not show "
        rf"the conversation with (?P<other>{NAME})$"
    )
)
def list_lacks(chat: ChatDriver, me: str, other: str) -> None:
    ids = sorted((chat.user(me).id, chat.user(other).id))
    shown = [c for c in listed(chat, me) if sorted(c.get("participant_user_ids") or []) == ids]
    assert shown == [], f"expected no conversation of {me} and {other}: {shown}"


@then(
    parsers.re(rf"(?P<me>{NAME})'s conversation list has one conversation with (?P<other>{NAME})$")
)
def list_one_with(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    ids = sorted((chat.user(me).id, chat.user(other).id))
    shown = [c for c in listed(chat, me) if sorted(c.get("participant_user_ids") or []) == ids]
    assert len(shown) == 1, f"expected one conversation of {me} and {other}: {shown}"
    chat_scenario.conversations[pair(me, other)] = shown[0]["id"]


@then(parsers.re(rf"the list shows only (?P<me>{NAME})'s conversation with (?P<other>{NAME})$"))
def list_only(chat_scenario: ChatScenario, me: str, other: str) -> None:
    shown = [c.get("id") for c in chat_scenario.last.expect(200, doing="listing")]
    expected = [chat_scenario.conversation(me, other)]
    assert shown == expected, f"expected only {me}'s conversation {expected}; shown: {shown}"


# -- search and delete for me ------------------------------------------------------
@when(
    parsers.re(rf'(?P<me>{NAME}) searches (?:his|her|their) conversations for "(?P<text>[^"]*)"$')
)
def searches(chat: ChatDriver, chat_scenario: ChatScenario, me: str, text: str) -> None:
    chat_scenario.record(me, chat.search(me, text))


@then(parsers.re(rf"the search finds only the conversation with (?P<other>{NAME})$"))
def search_finds(chat_scenario: ChatScenario, other: str) -> None:
    found = [c.get("id") for c in chat_scenario.last.expect(200, doing="searching")]
    expected = [chat_scenario.conversation(chat_scenario.actor, other)]
    assert found == expected, f"expected the search to find {expected}; it found {found}"


@then("the search finds nothing")
def search_finds_nothing(chat_scenario: ChatScenario) -> None:
    found = chat_scenario.last.expect(200, doing="searching")
    assert found == [], f"expected the search to find nothing; it found {found}"


def _delete(chat: ChatDriver, state: ChatScenario, me: str, other: str) -> None:
    state.record(me, chat.delete_for_me(me, state.conversation(me, other)))


@when(parsers.re(rf"(?P<me>{NAME}) deletes the conversation with (?P<other>{NAME})$"))
def deletes(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    _delete(chat, chat_scenario, me, other)


@given(parsers.re(rf"(?P<me>{NAME}) has deleted the conversation with (?P<other>{NAME})$"))
def has_deleted(chat: ChatDriver, chat_scenario: ChatScenario, me: str, other: str) -> None:
    _delete(chat, chat_scenario, me, other)
    chat_scenario.last.expect(200, doing=f"{me} deletes the conversation with {other}")
