"""What the conversation half talks about: requests, conversations, tokens, failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .identities import Identity

CONVERSATION_TYPES = ("user_user", "user_company", "company_company")
PROFILE_TYPES = ("user", "company")

StreamUser = dict[str, Any]


class SyncError(Exception):
    """A failure the HTTP API reports as `{success: false, error}` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


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
