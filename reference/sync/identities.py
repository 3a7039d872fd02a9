"""How the reference names things on Stream: identities, roles and channel ids."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from enum import Enum


class Kind(str, Enum):
    USER = "user"
    COMPANY = "company"


@dataclass(frozen=True, order=True)
class Identity:
    """A user or a company, as the backend knows it."""

    kind: Kind
    id: str

    @property
    def stream_id(self) -> str:
        """`onecrew_user_<id>` or `onecrew_company_<id>` (52 characters with a UUID)."""
        return f"onecrew_{self.kind.value}_{self.id}"


@dataclass(frozen=True)
class RolePolicy:
    """The Stream role each kind of identity is upserted with.

    The default is the incident's fix (companies `admin`, users `user`). `admin`
    is app-wide in Stream, so a narrower policy may be preferable.
    """

    roles: dict[Kind, str] = field(
        default_factory=lambda: {Kind.COMPANY: "admin", Kind.USER: "user"}
    )

    def role_for(self, identity: Identity) -> str:
        return self.roles[identity.kind]


_TYPE_PREFIX = {"user_user": "uu", "user_company": "uc", "company_company": "cc"}
MAX_CHANNEL_ID = 64


def channel_id(conversation_type: str, initiator: Identity, participants: list[Identity]) -> str:
    """A deterministic, initiator-aware Stream channel id of at most 64 characters.

    The same request always gives the same id; A->X differs from B->X and from
    X->A, because the initiator is hashed apart from the other participants.
    """
    others = sorted({p for p in participants if p != initiator})
    material = "|".join(
        [conversation_type, initiator.stream_id, ",".join(p.stream_id for p in others)]
    )
    digest = base64.b32encode(hashlib.sha256(material.encode()).digest()).decode().lower()
    value = f"{_TYPE_PREFIX[conversation_type]}-{digest.rstrip('=')}"
    assert len(value) <= MAX_CHANNEL_ID
    return value
