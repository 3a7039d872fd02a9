"""The reference `createConversation`: sync every participant to Stream, then
create the channel, verify it, and persist the conversation, in that order.

This is the fix of the "users don't exist in StreamChat yet" incident done
right: explicit kinds (never "try users, then companies"), one upsert of all
participants with their roles, a deterministic initiator-aware channel id,
verification instead of a fixed wait, bounded retries, idempotent storage.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from .identities import Identity, Kind, RolePolicy, channel_id
from .retry import RetryPolicy

log = logging.getLogger("chatgate.reference.sync")

CONVERSATION_TYPES = ("user_user", "user_company", "company_company")
CHANNEL_TYPE = "messaging"
VISIBILITY_ATTEMPTS = 3


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
    participant_ids: list[str]
    name: str | None
    created_at: datetime
    created_by: Identity
    members: list[str] = field(default_factory=list)


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


class ConversationService:
    """Creates conversations on Stream and in PostgreSQL."""

    def __init__(
        self,
        database_url: str,
        stream: StreamChat,
        *,
        roles: RolePolicy | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.database_url = database_url
        self.stream = stream
        self.roles = roles or RolePolicy()
        self.retry = retry or RetryPolicy()

    # -- steps ------------------------------------------------------------
    def _validate(self, request: CreateConversation) -> None:
        if request.conversation_type not in CONVERSATION_TYPES:
            raise SyncError(
                400, f"conversation_type must be one of {', '.join(CONVERSATION_TYPES)}"
            )
        if not isinstance(request.participant_ids, list) or not request.participant_ids:
            raise SyncError(400, "participant_ids must be a non-empty list")
        if request.name is not None and not isinstance(request.name, str):
            raise SyncError(400, "name must be a string")

    def _authorize(self, conn: psycopg.Connection[Any], user_id: str, company_id: str) -> None:
        row = conn.execute(
            "SELECT role FROM company_members WHERE company_id = %s AND user_id = %s",
            (company_id, user_id),
        ).fetchone()
        if row is None or row["role"] not in ("owner", "admin"):
            raise SyncError(403, "User must be an owner or admin of this company")

    def _resolve(
        self, conn: psycopg.Connection[Any], kind: Kind, ids: list[str]
    ) -> dict[str, dict[str, Any]]:
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

    def _stream_user(self, identity: Identity, row: dict[str, Any]) -> dict[str, Any]:
        user = {
            "id": identity.stream_id,
            "name": row["name"],
            "role": self.roles.role_for(identity),
        }
        if row.get("image"):
            user["image"] = row["image"]
        return user

    # -- the operation ------------------------------------------------------
    def create(self, acting_user_id: str, request: CreateConversation) -> Conversation:
        """Create (or return) the conversation; nothing is stored if Stream fails."""
        self._validate(request)
        acting_user_id = _uuid(acting_user_id, "the acting user id")
        initiator_kind, participant_kind = _kinds(request)
        participant_ids = list(
            dict.fromkeys(_uuid(p, "participant id") for p in request.participant_ids)
        )
        initiator_id = (
            _uuid(request.company_id, "company_id") if request.company_id else acting_user_id
        )
        with psycopg.connect(self.database_url, row_factory=dict_row) as conn:
            if initiator_kind is Kind.COMPANY:
                self._authorize(conn, acting_user_id, initiator_id)
            initiator_row = self._resolve(conn, initiator_kind, [initiator_id])[initiator_id]
            rows = self._resolve(conn, participant_kind, participant_ids)
        initiator = Identity(initiator_kind, initiator_id)
        participants = [Identity(participant_kind, p) for p in participant_ids if p != initiator_id]
        if not participants:
            raise SyncError(400, "a conversation needs at least one participant besides you")
        everyone = [initiator, *participants]
        users = [self._stream_user(initiator, initiator_row)] + [
            self._stream_user(p, rows[p.id]) for p in participants
        ]
        members = [u["id"] for u in users]
        cid = channel_id(request.conversation_type, initiator, participants)

        log.info("[createConversation] Syncing all participants to StreamChat...")
        log.info(
            "[createConversation] Upserting users to StreamChat...",
            extra={"count": len(users), "userIds": members},
        )
        self._stream_call(lambda: self.stream.upsert_users(users))
        log.info("[createConversation] All users upserted successfully: %s", members)
        self._create_channel(cid, initiator, users, request.name)
        log.info("[createConversation] Channel created successfully with members: %s", members)
        return self._persist(request, cid, initiator, everyone, members)

    def _stream_call(self, call: Any) -> Any:
        try:
            return self.retry.run(call)
        except StreamAPIException as error:
            raise SyncError(502, f"Stream Chat refused the request: {error}") from error
        except Exception as error:
            raise SyncError(502, f"Stream Chat is unreachable: {error}") from error

    def _create_channel(
        self, cid: str, initiator: Identity, users: list[dict[str, Any]], name: str | None
    ) -> None:
        members = [u["id"] for u in users]
        data: dict[str, Any] = {"members": members, "created_by_id": initiator.stream_id}
        if name:
            data["name"] = name
        channel = self.stream.channel(CHANNEL_TYPE, cid, data)

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
        self,
        request: CreateConversation,
        cid: str,
        initiator: Identity,
        everyone: list[Identity],
        members: list[str],
    ) -> Conversation:
        with psycopg.connect(self.database_url, row_factory=dict_row) as conn, conn.transaction():
            row = conn.execute(
                """
                INSERT INTO conversations
                    (conversation_type, stream_channel_id, created_by_kind, created_by_id, name)
                VALUES (%s, %s, %s, %s, %s)
                ON CONFLICT (stream_channel_id) DO NOTHING
                RETURNING id, created_at, name
                """,
                (request.conversation_type, cid, initiator.kind.value, initiator.id, request.name),
            ).fetchone()
            if row is None:  # the same conversation already exists: return it
                row = conn.execute(
                    "SELECT id, created_at, name FROM conversations WHERE stream_channel_id = %s",
                    (cid,),
                ).fetchone()
            else:
                conn.cursor().executemany(
                    "INSERT INTO conversation_participants VALUES (%s, %s, %s)"
                    " ON CONFLICT DO NOTHING",
                    [(row["id"], p.kind.value, p.id) for p in everyone],
                )
        return Conversation(
            id=cid,
            conversation_type=request.conversation_type,
            participant_ids=[p.id for p in everyone if p != initiator],
            name=row["name"],
            created_at=row["created_at"],
            created_by=initiator,
            members=members,
        )


def _missing_members(error: StreamAPIException) -> bool:
    return error.error_code == 4 and "don't exist" in str(error.error_message)
