"""The reference chat backend: `createConversation` (sync every participant to
Stream, then create the channel, verify it, and persist the conversation, in
that order), reading a conversation, and minting Stream tokens per profile.

This is the fix of the "users don't exist in StreamChat yet" incident done
right: explicit kinds (never "try users, then companies"), one upsert of all
participants with their roles, a deterministic initiator-aware channel id,
verification instead of a fixed wait, bounded retries, idempotent storage.

The small methods marked "step" are the seams the harness's known-bad
variants (mutants) override to reproduce each documented bug.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from .identities import Identity, Kind, RolePolicy, channel_id
from .ratelimit import RateLimitObserver
from .retry import RateLimitTooLong, RetryPolicy

log = logging.getLogger("chatgate.reference.sync")

CONVERSATION_TYPES = ("user_user", "user_company", "company_company")
PROFILE_TYPES = ("user", "company")
CHANNEL_TYPE = "messaging"
VISIBILITY_ATTEMPTS = 3
RUNS_COMPANY = ("owner", "admin")

Row = dict[str, Any]
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


def _uuid(value: Any, what: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise SyncError(400, f"{what} must be a UUID, got {value!r}") from None


def _kinds(request: CreateConversation) -> tuple[Kind, Kind]:
    """(initiator kind, participant kind) from the conversation type and acting profile."""
    acting_company = request.company_id is not None
    if request.conversation_type == "user_user":
        if acting_company:
            raise SyncError(400, "company_id is not allowed for a user_user conversation")
        return Kind.USER, Kind.USER
    if request.conversation_type == "company_company":
        if not acting_company:
            raise SyncError(400, "company_id is required when acting as a company")
        return Kind.COMPANY, Kind.COMPANY
    return (Kind.COMPANY, Kind.USER) if acting_company else (Kind.USER, Kind.COMPANY)


def _missing_members(error: StreamAPIException) -> bool:
    return error.error_code == 4 and "don't exist" in str(error.error_message)


class ConversationService:
    """Creates and reads conversations on Stream and in PostgreSQL; mints tokens."""

    def __init__(
        self,
        database_url: str,
        stream: StreamChat,
        *,
        roles: RolePolicy | None = None,
        retry: RetryPolicy | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.database_url = database_url
        self.stream = stream
        self.roles = roles or RolePolicy()
        self.retry = retry or RetryPolicy()
        self.rate_limits = RateLimitObserver(now)
        self.rate_limits.install(stream)

    def _connect(self) -> psycopg.Connection[Row]:
        return psycopg.connect(self.database_url, row_factory=dict_row)

    # -- checks -------------------------------------------------------------
    def _validate(self, request: CreateConversation) -> None:
        if request.conversation_type not in CONVERSATION_TYPES:
            raise SyncError(
                400, f"conversation_type must be one of {', '.join(CONVERSATION_TYPES)}"
            )
        if not isinstance(request.participant_ids, list) or not request.participant_ids:
            raise SyncError(400, "participant_ids must be a non-empty list")
        if request.name is not None and not isinstance(request.name, str):
            raise SyncError(400, "name must be a string")

    def _authorize(self, conn: psycopg.Connection[Row], user_id: str, company_id: str) -> None:
        """Acting as a company needs an owner or admin membership (403 otherwise)."""
        row = conn.execute(
            "SELECT role FROM company_members WHERE company_id = %s AND user_id = %s",
            (company_id, user_id),
        ).fetchone()
        if row is None:
            raise SyncError(403, "User must be a member of this company")
        if row["role"] not in RUNS_COMPANY:
            raise SyncError(403, "Only company owners and admins can act as the company")

    def _resolve(self, conn: psycopg.Connection[Row], kind: Kind, ids: list[str]) -> dict[str, Row]:
        table, image = ("users", "image_url") if kind is Kind.USER else ("companies", "logo_url")
        rows = conn.execute(
            f"SELECT id::text AS id, name, {image} AS image FROM {table} WHERE id = ANY(%s)",
            (ids,),
        ).fetchall()
        found = {row["id"]: row for row in rows}
        missing = [i for i in ids if i not in found]
        if missing:
            raise SyncError(404, f"unknown {kind.value} id(s): {', '.join(missing)}")
        return found

    # -- steps (the seams mutants override) --------------------------------
    def initiator(self, acting_user_id: str, request: CreateConversation, kind: Kind) -> Identity:
        """Step: who starts the conversation: the acting company, else the human."""
        if kind is Kind.COMPANY:
            return Identity(kind, _uuid(request.company_id, "company_id"))
        return Identity(kind, acting_user_id)

    def stream_user(self, identity: Identity, row: Row) -> StreamUser:
        """Step: the Stream user for one identity, with the role from the policy."""
        user = {
            "id": identity.stream_id,
            "name": row["name"],
            "role": self.roles.role_for(identity),
        }
        if row.get("image"):
            user["image"] = row["image"]
        return user

    def users_to_upsert(self, users: list[StreamUser]) -> list[StreamUser]:
        """Step: whom to upsert before creating the channel: everyone."""
        return users

    def member_ids(self, users: list[StreamUser]) -> list[str]:
        """Step: the channel's members: every participant's Stream id."""
        return [u["id"] for u in users]

    def channel_id(
        self, conversation_type: str, initiator: Identity, participants: list[Identity]
    ) -> str:
        """Step: the deterministic, initiator-aware, at most 64-character channel id."""
        return channel_id(conversation_type, initiator, participants)

    def channel_data(self, members: list[str], initiator: Identity, name: str | None) -> Row:
        """Step: the channel's data: members, creator and name."""
        data: Row = {"members": members, "created_by_id": initiator.stream_id}
        if name:
            data["name"] = name
        return data

    def stored_participants(self, initiator: Identity, others: list[Identity]) -> list[Identity]:
        """Step: who is stored as a participant: the creator too."""
        return [initiator, *others]

    def may_read(self, conversation: Conversation, profiles: set[Identity]) -> bool:
        """Step: a participant or the creator may read the conversation."""
        return bool(profiles & {*conversation.participants, conversation.created_by})

    # -- create --------------------------------------------------------------
    def create(self, acting_user_id: str, request: CreateConversation) -> Conversation:
        """Create (or return) the conversation; nothing is stored if Stream fails."""
        self._validate(request)
        acting_user_id = _uuid(acting_user_id, "the acting user id")
        initiator_kind, participant_kind = _kinds(request)
        participant_ids = list(
            dict.fromkeys(_uuid(p, "participant id") for p in request.participant_ids)
        )
        initiator = self.initiator(acting_user_id, request, initiator_kind)
        with self._connect() as conn:
            if request.company_id is not None:
                self._authorize(conn, acting_user_id, _uuid(request.company_id, "company_id"))
            initiator_row = self._resolve(conn, initiator.kind, [initiator.id])[initiator.id]
            rows = self._resolve(conn, participant_kind, participant_ids)
        others = [Identity(participant_kind, p) for p in participant_ids]
        others = [p for p in others if p != initiator]
        if not others:
            raise SyncError(400, "a conversation needs at least one participant besides you")
        users = [self.stream_user(initiator, initiator_row)] + [
            self.stream_user(p, rows[p.id]) for p in others
        ]
        members = self.member_ids(users)
        cid = self.channel_id(request.conversation_type, initiator, others)

        upsert = self.users_to_upsert(users)
        log.info("[createConversation] Syncing all participants to StreamChat...")
        log.info(
            "[createConversation] Upserting users to StreamChat...",
            extra={"count": len(upsert), "userIds": [u["id"] for u in upsert]},
        )
        self._stream_call(lambda: self.stream.upsert_users(upsert))
        log.info(
            "[createConversation] All users upserted successfully: %s", [u["id"] for u in upsert]
        )
        channel = self.stream.channel(
            CHANNEL_TYPE, cid, self.channel_data(members, initiator, request.name)
        )
        self.create_channel(channel, members, upsert)
        log.info(
            "[createConversation] Channel created successfully with members: %s",
            members,
            extra={"initiatorType": initiator.kind.value, "channelId": cid},
        )
        return self._persist(request, cid, initiator, self.stored_participants(initiator, others))

    def _stream_call(self, call: Callable[[], Any]) -> Any:
        try:
            return self.retry.run(call, self.rate_limits.take)
        except RateLimitTooLong as error:
            raise SyncError(
                503, f"Stream Chat rate limit reached; try again in {error.wait_s:.0f} s"
            ) from error
        except StreamAPIException as error:
            raise SyncError(502, f"Stream Chat refused the request: {error}") from error
        except Exception as error:
            raise SyncError(502, f"Stream Chat is unreachable: {error}") from error

    def create_channel(self, channel: Any, members: list[str], users: list[StreamUser]) -> None:
        """Step: create the channel and verify its members by the query's answer."""

        def create() -> Any:
            # Stream is read-after-write, but if members are not visible yet we
            # re-upsert them and try again: verification, never a fixed wait.
            for attempt in range(1, VISIBILITY_ATTEMPTS + 1):
                try:
                    return channel.query(watch=False, state=True, presence=False)
                except StreamAPIException as error:
                    if attempt == VISIBILITY_ATTEMPTS or not _missing_members(error):
                        raise
                    log.warning("[createConversation] Members not visible yet, re-syncing")
                    self.stream.upsert_users(users)
            raise AssertionError("unreachable: the loop returns or raises")

        state = self._stream_call(create)
        present = {m["user_id"] for m in state["members"]}
        missing = [m for m in members if m not in present]
        if missing:
            log.warning("[createConversation] Adding missing members: %s", missing)
            self._stream_call(lambda: channel.add_members(missing))

    def _persist(
        self, request: CreateConversation, cid: str, initiator: Identity, stored: list[Identity]
    ) -> Conversation:
        with self._connect() as conn, conn.transaction():
            row = conn.execute(
                """
                INSERT INTO conversations
                    (conversation_type, stream_channel_id, created_by_kind, created_by_id, name)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (stream_channel_id) DO NOTHING
                RETURNING id
                """,
                (request.conversation_type, cid, initiator.kind.value, initiator.id, request.name),
            ).fetchone()
            if row is not None:
                conn.cursor().executemany(
                    "INSERT INTO conversation_participants VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    [(row["id"], p.kind.value, p.id) for p in stored],
                )
            # Either ours or the one an identical earlier request stored.
            conversation = self._load(conn, cid)
        assert conversation is not None
        return conversation

    # -- read ------------------------------------------------------------------
    def _load(self, conn: psycopg.Connection[Row], cid: str) -> Conversation | None:
        row = conn.execute(
            "SELECT id, conversation_type, name, created_at, created_by_kind, created_by_id::text"
            " FROM conversations WHERE stream_channel_id = %s",
            (cid,),
        ).fetchone()
        if row is None:
            return None
        participants = conn.execute(
            "SELECT participant_kind, participant_id::text FROM conversation_participants"
            " WHERE conversation_id = %s ORDER BY participant_kind DESC, participant_id",
            (row["id"],),
        ).fetchall()
        creator = Identity(Kind(row["created_by_kind"]), row["created_by_id"])
        listed = [Identity(Kind(p["participant_kind"]), p["participant_id"]) for p in participants]
        # The creator first, then the others in a stable order.
        ordered = [creator] if creator in listed else []
        return Conversation(
            id=cid,
            conversation_type=row["conversation_type"],
            name=row["name"],
            created_at=row["created_at"],
            created_by=creator,
            participants=ordered + [p for p in listed if p != creator],
        )

    def _profiles(self, conn: psycopg.Connection[Row], user_id: str) -> set[Identity]:
        """The identities a human may act as: themselves and the companies they run."""
        rows = conn.execute(
            "SELECT company_id::text AS id FROM company_members"
            " WHERE user_id = %s AND role = ANY(%s)",
            (user_id, list(RUNS_COMPANY)),
        ).fetchall()
        return {Identity(Kind.USER, user_id)} | {Identity(Kind.COMPANY, r["id"]) for r in rows}

    def get(self, acting_user_id: str, conversation_id: str) -> Conversation:
        """The conversation, for its participants and creator (as any profile they run)."""
        acting_user_id = _uuid(acting_user_id, "the acting user id")
        with self._connect() as conn:
            conversation = self._load(conn, conversation_id)
            if conversation is None:
                raise SyncError(404, "Conversation not found")
            if not self.may_read(conversation, self._profiles(conn, acting_user_id)):
                raise SyncError(403, "Access denied to conversation")
        return conversation

    # -- tokens ------------------------------------------------------------------
    def issue_token(
        self, acting_user_id: str, profile_type: str | None, company_id: str | None
    ) -> StreamToken:
        """A Stream user token for the acting profile, after syncing that identity to
        Stream with its role (so a company never connects with the default `user`)."""
        acting_user_id = _uuid(acting_user_id, "the acting user id")
        profile_type = profile_type or "user"
        if profile_type not in PROFILE_TYPES:
            raise SyncError(400, "profile_type must be user or company")
        if profile_type == "company" and not company_id:
            raise SyncError(400, "company_id is required when profile_type=company")
        if profile_type == "user" and company_id:
            raise SyncError(400, "company_id is only allowed when profile_type=company")
        identity = (
            Identity(Kind.COMPANY, _uuid(company_id, "company_id"))
            if profile_type == "company"
            else Identity(Kind.USER, acting_user_id)
        )
        with self._connect() as conn:
            if identity.kind is Kind.COMPANY:
                self._authorize(conn, acting_user_id, identity.id)
            row = self._resolve(conn, identity.kind, [identity.id])[identity.id]
        self._stream_call(lambda: self.stream.upsert_user(self.stream_user(identity, row)))
        return StreamToken(
            token=self.stream.create_token(identity.stream_id),
            user_id=identity.stream_id,
            api_key=self.stream.api_key,
            profile_type=profile_type,
            company_id=identity.id if identity.kind is Kind.COMPANY else None,
        )
