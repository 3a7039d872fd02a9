"""Steps for pictures, files and voice messages: real bytes, sent and opened again."""

from __future__ import annotations

from collections.abc import Callable

from pytest_bdd import parsers, then, when

from chatgate.fixtures.targets.chat_driver import ChatDriver, pdf, png, program, wav

from .chat_common import NAME, ChatScenario, history

# What a user sends: (upload kind, the bytes), by how the features call it.
MEDIA: dict[str, tuple[str, Callable[[], bytes]]] = {
    "a picture": ("image", png),
    "a document": ("file", pdf),
    "a program": ("file", program),
}
DURATION_TOLERANCE_S = 0.25


def _send_upload(
    chat: ChatDriver, state: ChatScenario, me: str, other: str, kind: str, content: bytes
) -> None:
    state.upload = chat.upload(me, kind, content)
    media = state.upload.expect(201, doing=f"{me} uploads {kind}")
    state.media = content
    answer = state.record(me, chat.send_media(me, state.conversation(me, other), media["id"]))
    answer.expect(201, doing=f"{me} sends the {kind} to {other}")


@when(parsers.re(rf"(?P<me>{NAME}) sends (?P<what>a picture|a document) to (?P<other>{NAME})$"))
def sends_media(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, what: str, other: str
) -> None:
    kind, make = MEDIA[what]
    _send_upload(chat, chat_scenario, me, other, kind, make())


@when(
    parsers.re(
        rf"(?P<me>{NAME}) records a (?P<seconds>\d+) second voice message for (?P<other>{NAME})$"
    )
)
def records_voice(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, seconds: str, other: str
) -> None:
    _send_upload(chat, chat_scenario, me, other, "voice", wav(float(seconds)))


@then(parsers.re(r"the upload says it lasts (?P<seconds>\d+) seconds$"))
def upload_lasts(chat_scenario: ChatScenario, seconds: str) -> None:
    assert chat_scenario.upload is not None, "the scenario uploaded nothing"
    media = chat_scenario.upload.expect(201, doing="uploading a voice message")
    found = media.get("duration_seconds")
    assert isinstance(found, (int, float)), f"expected a duration: {media}"
    assert abs(found - int(seconds)) <= DURATION_TOLERANCE_S, f"expected {seconds} s: {media}"


@when(
    parsers.re(rf'(?P<me>{NAME}) sends a voice message link "(?P<url>[^"]*)" to (?P<other>{NAME})$')
)
def sends_link(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, url: str, other: str
) -> None:
    conversation = chat_scenario.conversation(me, other)
    chat_scenario.record(me, chat.send_media_url(me, conversation, "audio", url))


@when(
    parsers.re(
        rf"(?P<me>{NAME}) uploads (?P<what>{'|'.join(MEDIA)}) as (?P<kind>\w+), "
        r'claiming "(?P<claim>[^"]+)"$'
    )
)
def uploads(
    chat: ChatDriver, chat_scenario: ChatScenario, me: str, what: str, kind: str, claim: str
) -> None:
    chat_scenario.record(me, chat.upload(me, kind, MEDIA[what][1](), claim))


@then(
    parsers.re(
        rf"(?P<reader>{NAME})'s history with (?P<other>{NAME}) shows an? "
        rf"(?P<message_type>image|file|audio) from (?P<sender>{NAME})$"
    )
)
def history_shows_media(
    chat: ChatDriver,
    chat_scenario: ChatScenario,
    reader: str,
    other: str,
    message_type: str,
    sender: str,
) -> None:
    messages = history(chat, reader, chat_scenario.conversation(reader, other))
    assert messages, f"{reader} sees no message"
    newest = messages[0]
    expected = {"message_type": message_type, "sender_user_id": chat.user(sender).id, "text": None}
    assert {k: newest.get(k) for k in expected} == expected, f"expected {expected}: {newest}"
    assert newest.get("media_url"), f"expected a media_url: {newest}"
    chat_scenario.message = newest


@then(parsers.re(rf'(?P<reader>{NAME}) opens it and gets the same bytes, as "(?P<mime>[^"]+)"$'))
def opens_media(chat: ChatDriver, chat_scenario: ChatScenario, reader: str, mime: str) -> None:
    answer = chat.download(reader, chat_scenario.message["media_url"])
    answer.expect(200, doing=f"{reader} opens {chat_scenario.message['media_url']}")
    assert answer.content == chat_scenario.media, (
        f"expected the {len(chat_scenario.media)} bytes sent; got {len(answer.content)} others"
    )
    assert answer.content_type.startswith(mime), f"expected {mime}, got {answer.content_type!r}"


@then(parsers.re(rf"(?P<outsider>{NAME}) cannot open it$"))
def cannot_open(chat: ChatDriver, chat_scenario: ChatScenario, outsider: str) -> None:
    url = chat_scenario.last.expect(201, doing="sending media")["media_url"]
    answer = chat.download(outsider, url)
    assert answer.status == 404, f"expected {outsider} to get 404 for {url}; {answer.said()}"
