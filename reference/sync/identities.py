"""How the reference names things on Stream: identities, roles and channel ids."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass, field
from enum import Enum

from chatgate.naming import StreamNaming

# Stream's built-in user-level roles; any other role must be created in the app first.
BUILT_IN_ROLES = frozenset({"user", "admin", "guest", "anonymous"})
CHANNEL_ID_SECRET_ENV = "CHATGATE_CHANNEL_ID_SECRET"
DEV_CHANNEL_ID_SECRET = "chatgate-channel-id-dev-secret-not-for-production-use"
DEFAULT_NAMING = StreamNaming()  # OneCrew's: onecrew_<kind>_<id>, channel type messaging


class Kind(str, Enum):
    USER = "user"
    COMPANY = "company"


@dataclass(frozen=True, order=True)
class Identity:
    """A user or a company, as the backend knows it."""

    kind: Kind
    id: str

    def stream_id_in(self, naming: StreamNaming) -> str:
        """This identity's Stream user id under `naming` (by default `onecrew_user_<id>` or
        `onecrew_company_<id>`, 52 characters with a UUID)."""
        return naming.stream_id(self.kind.value, self.id)


@dataclass(frozen=True)
class RolePolicy:
    """The Stream role each kind of identity is upserted with.

    The default is least privilege: companies get the custom role `company`,
    which (like `user`) reads and writes only the channels it is a member of.
    `RolePolicy.app_admin()` is OneCrew's fix as written: companies as Stream's
    `admin`, an app-wide role that reads and writes every channel of the app.
    """

    roles: dict[Kind, str] = field(
        default_factory=lambda: {Kind.COMPANY: "company", Kind.USER: "user"}
    )

    @classmethod
    def app_admin(cls) -> RolePolicy:
        """OneCrew's policy: every company is an app-wide Stream admin."""
        return cls({Kind.COMPANY: "admin", Kind.USER: "user"})

    def role_for(self, identity: Identity) -> str:
        return self.roles[identity.kind]

    @property
    def custom_roles(self) -> list[str]:
        """The roles this policy needs created in the Stream app before any upsert."""
        return sorted(set(self.roles.values()) - BUILT_IN_ROLES)


ROLE_POLICIES = {"least-privilege": RolePolicy, "app-admin": RolePolicy.app_admin}


def channel_id_secret_from_env() -> str:
    """`CHATGATE_CHANNEL_ID_SECRET`, else the development secret."""
    return os.environ.get(CHANNEL_ID_SECRET_ENV) or DEV_CHANNEL_ID_SECRET


_TYPE_PREFIX = {"user_user": "uu", "user_company": "uc", "company_company": "cc"}
MAX_CHANNEL_ID = 64


def channel_id_material(
    conversation_type: str,
    initiator: Identity,
    participants: list[Identity],
    naming: StreamNaming = DEFAULT_NAMING,
) -> bytes:
    """What a channel id is derived from: the type, the initiator, then everyone else,
    by their Stream ids under `naming`."""
    others = sorted({p for p in participants if p != initiator})
    return "|".join(
        [
            conversation_type,
            initiator.stream_id_in(naming),
            ",".join(p.stream_id_in(naming) for p in others),
        ]
    ).encode()


def channel_id(
    conversation_type: str,
    initiator: Identity,
    participants: list[Identity],
    secret: str,
    naming: StreamNaming = DEFAULT_NAMING,
) -> str:
    """A deterministic, initiator-aware Stream channel id of at most 64 characters.

    The same request always gives the same id; A->X differs from B->X and from
    X->A, because the initiator is hashed apart from the other participants. The
    hash is keyed with `secret` (HMAC-SHA256), so nobody without it can compute
    a conversation's channel id from the public ids and create it first.
    """
    material = channel_id_material(conversation_type, initiator, participants, naming)
    return format_channel_id(
        conversation_type, hmac.new(secret.encode(), material, hashlib.sha256).digest()
    )


def format_channel_id(conversation_type: str, digest: bytes) -> str:
    """`uu|uc|cc-<lowercase base32 of digest>` (55 characters for a 32-byte digest)."""
    encoded = base64.b32encode(digest).decode().lower().rstrip("=")
    value = f"{_TYPE_PREFIX[conversation_type]}-{encoded}"
    assert len(value) <= MAX_CHANNEL_ID
    return value
