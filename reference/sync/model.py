"""What the conversation half talks about: requests, conversations, tokens, and the
limits its input is held to (failures are in errors.py)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from . import errors
from .identities import Identity

CONVERSATION_TYPES = ("user_user", "user_company", "company_company")
PROFILE_TYPES = ("user", "company")
# Documented limits (docs/reference-backend.md).
MAX_PARTICIPANTS = 100
MAX_NAME_CHARS = 200
# Stream's QueryChannels answers at most 30 channels, so a list page is one call.
MAX_LIST_LIMIT = 30
DEFAULT_LIST_LIMIT = 20
MAX_LIST_OFFSET = 10_000

StreamUser = dict[str, Any]


def as_uuid(value: Any, what: str) -> str:
    """`value` as a canonical UUID string (invalid input otherwise)."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise errors.not_a_uuid(what, value) from None


@dataclass(frozen=True)
class CreateConversation:
    conversation_type: str
    participant_ids: list[str]
    name: str | None = None
    company_id: str | None = None


@dataclass(frozen=True)
class Conversation:
    id: str  # the Stream channel id
    conversation_type: str
    name: str | None
    created_at: datetime
    created_by: Identity
    participants: list[Identity]  # everyone, the creator included

    @property
    def participant_ids(self) -> list[str]:
        """The other parties, as the request named them."""
        return [p.id for p in self.participants if p != self.created_by]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "conversation_type": self.conversation_type,
            "participant_ids": self.participant_ids,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "created_by": {"type": self.created_by.kind.value, "id": self.created_by.id},
            "participants": [
                {"participant_type": p.kind.value, "participant_id": p.id}
                for p in self.participants
            ],
        }


@dataclass(frozen=True)
class LastMessage:
    id: str
    text: str
    user_id: str  # the sender's Stream id
    created_at: str

    @classmethod
    def of_channel(cls, state: dict[str, Any]) -> LastMessage | None:
        """The last message of a channel state Stream answered, if any."""
        messages = state.get("messages") or []
        if not messages:
            return None
        last = messages[-1]
        return cls(
            id=str(last.get("id", "")),
            text=str(last.get("text", "")),
            user_id=str((last.get("user") or {}).get("id", "")),
            created_at=str(last.get("created_at", "")),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "user_id": self.user_id,
            "created_at": self.created_at,
        }


@dataclass(frozen=True)
class ListedConversation:
    """A conversation in the acting profile's list, with what Stream knows of it."""

    conversation: Conversation
    last_message: LastMessage | None
    unread_count: int

    @classmethod
    def of(
        cls, conversation: Conversation, state: dict[str, Any] | None, stream_id: str
    ) -> ListedConversation:
        """`conversation` with what its channel `state` says (None: Stream has no such
        channel), unread counted for the Stream user `stream_id`."""
        if state is None:
            return cls(conversation, None, 0)
        unread = next(
            (
                int(read.get("unread_messages", 0))
                for read in state.get("read") or []
                if (read.get("user") or {}).get("id") == stream_id
            ),
            0,
        )
        return cls(conversation, LastMessage.of_channel(state), unread)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.conversation.to_json(),
            "last_message": self.last_message.to_json() if self.last_message else None,
            "unread_count": self.unread_count,
        }


@dataclass(frozen=True)
class Profile:
    """Who a request acts as: a human user, or a company that human runs."""

    profile_type: str
    company_id: str | None


@dataclass(frozen=True)
class StreamToken:
    token: str
    user_id: str
    api_key: str
    profile_type: str
    company_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "token": self.token,
            "user_id": self.user_id,
            "api_key": self.api_key,
            "profile_type": self.profile_type,
            "company_id": self.company_id,
        }
