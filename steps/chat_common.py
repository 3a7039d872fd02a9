"""What the chat steps share: the scenario's record, the phrases of the chat features,
and reading what a user sees (their list, a history) with a clear failure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from chatgate.fixtures.targets.chat_driver import ChatAnswer, ChatDriver

NAME = r"[A-Z]\w*"
# `to Bob` (their direct conversation) or `in "Study group"` (a group by its name).
TO = rf'(?:to (?P<other>{NAME})|in "(?P<group>[^"]+)")'
# `, with Alice's user_id in the query` (or `body`): claiming to be someone else.
CLAIM = rf"(?:, with (?P<victim>{NAME})'s user_id in the (?P<place>query|body))?"


@dataclass
class ChatScenario:
    """What one chat scenario has done so far."""

    answers: list[tuple[str | None, ChatAnswer]] = field(default_factory=list)
    conversations: dict[str, int] = field(default_factory=dict)  # pair() or a group's name
    sent: dict[str, int] = field(default_factory=dict)  # a sent message's text: its id
    call: int | None = None  # the scenario's call
    media: bytes = b""  # the bytes last sent as media
    upload: ChatAnswer | None = None  # the last upload's answer
    message: dict[str, Any] = field(default_factory=dict)  # the last message a step looked at
    noted: Any = None  # what users saw when the scenario noted it

    def record(self, actor: str | None, answer: ChatAnswer) -> ChatAnswer:
        self.answers.append((actor, answer))
        return answer

    @property
    def last(self) -> ChatAnswer:
        assert self.answers, "the scenario has made no request yet"
        return self.answers[-1][1]

    @property
    def actor(self) -> str:
        actor = self.answers[-1][0] if self.answers else None
        assert actor, "the last request was nobody's"
        return actor

    def conversation(self, me: str, other: str | None = None, group: str | None = None) -> int:
        """The direct conversation of `me` and `other`, or the group named `group`."""
        key = group if group is not None else pair(me, str(other))
        assert key in self.conversations, f"the scenario has no conversation {key!r} yet"
        return self.conversations[key]


def pair(a: str, b: str) -> str:
    """The key of a direct conversation: its two people, in alphabetical order."""
    return " and ".join(sorted((a, b)))


def names(text: str) -> list[str]:
    """`Alice, Bob and Carol` -> [Alice, Bob, Carol]."""
    return [n.strip() for n in text.replace(" and ", ", ").split(",") if n.strip()]


def value(text: str) -> Any:
    """A value as the features write it: JSON (`"none"`, `false`, `3`)."""
    return json.loads(text)


@pytest.fixture
def chat_scenario() -> ChatScenario:
    return ChatScenario()


def listed(chat: ChatDriver, user: str) -> list[dict[str, Any]]:
    """`user`'s conversation list."""
    answer = chat.conversations(user)
    found = answer.expect(200, doing=f"{user} lists their conversations")
    assert isinstance(found, list), f"expected a list of conversations; {answer.said()}"
    return found


def history(chat: ChatDriver, user: str, conversation: int) -> list[dict[str, Any]]:
    """Every message `user` sees in the conversation, newest first."""
    answer = chat.history(user, conversation)
    return answer.expect(200, doing=f"{user} reads conversation {conversation}")["messages"]


def summary(chat: ChatDriver, user: str, conversation: int) -> dict[str, Any]:
    """The conversation as `user`'s list shows it."""
    shown = [c for c in listed(chat, user) if c.get("id") == conversation]
    assert shown, f"{user}'s list does not show conversation {conversation}"
    return shown[0]
