"""The reference chat backend: `createConversation` (sync every participant to
Stream, then create the channel, verify it, and persist the conversation, in
that order), reading and listing conversations, and minting Stream tokens.

This is the fix of the "users don't exist in StreamChat yet" incident done
right: explicit kinds (never "try users, then companies"), one upsert of all
participants with least-privilege roles, a keyed, deterministic,
initiator-aware channel id, a channel someone else made is never adopted,
verification instead of a fixed wait, bounded retries, idempotent storage.

The small methods marked "step" are the seams the harness's known-bad
variants (mutants) override to reproduce each documented bug.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.naming import StreamNaming

from . import store
from .identities import (
    DEFAULT_NAMING,
    DEV_CHANNEL_ID_SECRET,
    Identity,
    Kind,
    RolePolicy,
    channel_id,
)
from .model import (
    CONVERSATION_TYPES,
    PROFILE_TYPES,
    Conversation,
    CreateConversation,
    LastMessage,
    ListedConversation,
    Profile,
    StreamToken,
    StreamUser,
    SyncError,
)
from .ratelimit import RateLimitObserver
from .retry import RateLimitTooLong, RetryPolicy

log = logging.getLogger("chatgate.reference.sync")

VISIBILITY_ATTEMPTS = 3
# Documented limits (docs/reference-backend.md). Stream takes at most 100 users per
# upsert and 100 members per call, so bigger groups are sent in batches.
MAX_PARTICIPANTS = 100
MAX_NAME_CHARS = 200
STREAM_BATCH = 100
# Stream's QueryChannels answers at most 30 channels, so a list page is one call.
MAX_LIST_LIMIT = 30
DEFAULT_LIST_LIMIT = 20
MAX_LIST_OFFSET = 10_000


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


def _unknown_role(error: BaseException) -> bool:
    message = str(getattr(error, "error_message", ""))
    return getattr(error, "error_code", None) == 4 and "role" in message and "exist" in message


def _batches(items: list[Any], size: int = STREAM_BATCH) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _last_message(state: dict[str, Any]) -> LastMessage | None:
    messages = state.get("messages") or []
    if not messages:
        return None
    last = messages[-1]
    return LastMessage(
        id=str(last.get("id", "")),
        text=str(last.get("text", "")),
        user_id=str((last.get("user") or {}).get("id", "")),
        created_at=str(last.get("created_at", "")),
    )


def _unread(state: dict[str, Any], stream_id: str) -> int:
    for read in state.get("read") or []:
        if (read.get("user") or {}).get("id") == stream_id:
            return int(read.get("unread_messages", 0))
    return 0


class ConversationService:
    """Creates, reads and lists conversations on Stream and in PostgreSQL; mints tokens."""

    def __init__(
        self,
        database_url: str,
        stream: StreamChat,
        *,
        roles: RolePolicy | None = None,
        retry: RetryPolicy | None = None,
        channel_secret: str = DEV_CHANNEL_ID_SECRET,
        naming: StreamNaming = DEFAULT_NAMING,
        now: Callable[[], float] = time.time,
    ) -> None:
        if not channel_secret:
            raise ValueError("the channel id secret must not be empty")
        self.database_url = database_url
        self.stream = stream
        self.roles = roles or RolePolicy()
        self.retry = retry or RetryPolicy()
        self.channel_secret = channel_secret
        self.naming = naming
        self.rate_limits = RateLimitObserver(now)
        self.rate_limits.install(stream)
        self._roles_ready = False
        self._roles_lock = threading.Lock()

    def stream_id(self, identity: Identity) -> str:
        """`identity`'s Stream user id under this backend's naming."""
        return identity.stream_id_in(self.naming)

    # -- checks -------------------------------------------------------------
    def authenticate(self, subject: str) -> str:
        """The acting user of a verified bearer token's subject (401 if nobody has it)."""
        try:
            user_id = str(uuid.UUID(subject))
        except ValueError:
            raise SyncError(401, "the bearer token does not name a known user") from None
        with store.connect(self.database_url) as conn:
            if not store.user_exists(conn, user_id):
                raise SyncError(401, "the bearer token does not name a known user")
        return user_id

    def _validate(self, request: CreateConversation) -> None:
        if request.conversation_type not in CONVERSATION_TYPES:
            raise SyncError(
                400, f"conversation_type must be one of {', '.join(CONVERSATION_TYPES)}"
            )
        if not isinstance(request.participant_ids, list) or not request.participant_ids:
            raise SyncError(400, "participant_ids must be a non-empty list")
        if len(request.participant_ids) > MAX_PARTICIPANTS:
            raise SyncError(
                400,
                f"participant_ids may name at most {MAX_PARTICIPANTS} participants, "
                f"got {len(request.participant_ids)}",
            )
        if request.name is not None:
            if not isinstance(request.name, str):
                raise SyncError(400, "name must be a string")
            if len(request.name) > MAX_NAME_CHARS:
                raise SyncError(
                    400,
                    f"name must be at most {MAX_NAME_CHARS} characters, got {len(request.name)}",
                )

    def _authorize(self, conn: store.Connection, user_id: str, company_id: str) -> None:
        """Acting as a company needs an owner or admin membership (403 otherwise)."""
        role = store.membership_role(conn, company_id, user_id)
        if role is None:
            raise SyncError(403, "User must be a member of this company")
        if role not in store.RUNS_COMPANY:
            raise SyncError(403, "Only company owners and admins can act as the company")

    def _resolve(self, conn: store.Connection, kind: Kind, ids: list[str]) -> dict[str, Any]:
        found = store.find(conn, kind, ids)
        missing = [i for i in ids if i not in found]
        if missing:
            raise SyncError(404, f"unknown {kind.value} id(s): {', '.join(missing)}")
        return found

    def _acting(self, conn: store.Connection, user_id: str, profile: Profile) -> Identity:
        """The identity a request acts as, after checking the human may act as it."""
        if profile.profile_type not in PROFILE_TYPES:
            raise SyncError(400, "profile_type must be user or company")
        if profile.profile_type == "company":
            if not profile.company_id:
                raise SyncError(400, "company_id is required when profile_type=company")
            company_id = _uuid(profile.company_id, "company_id")
            self._authorize(conn, user_id, company_id)
            return Identity(Kind.COMPANY, company_id)
        if profile.company_id:
            raise SyncError(400, "company_id is only allowed when profile_type=company")
        return Identity(Kind.USER, user_id)

    # -- steps (the seams mutants override) --------------------------------
    def initiator(self, acting_user_id: str, request: CreateConversation, kind: Kind) -> Identity:
        """Step: who starts the conversation: the acting company, else the human."""
        if kind is Kind.COMPANY:
            return Identity(kind, _uuid(request.company_id, "company_id"))
        return Identity(kind, acting_user_id)

    def stream_user(self, identity: Identity, row: dict[str, Any]) -> StreamUser:
        """Step: the Stream user for one identity, with the role from the policy."""
        user = {
            "id": self.stream_id(identity),
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
        """Step: the keyed, deterministic, initiator-aware, at most 64-character channel id."""
        return channel_id(
            conversation_type, initiator, participants, self.channel_secret, self.naming
        )

    def channel_data(self, members: list[str], initiator: Identity, name: str | None) -> StreamUser:
        """Step: the channel's data: members (the first batch), creator and name."""
        data: dict[str, Any] = {
            "members": members[:STREAM_BATCH],
            "created_by_id": self.stream_id(initiator),
        }
        if name:
            data["name"] = name
        return data

    def stored_participants(self, initiator: Identity, others: list[Identity]) -> list[Identity]:
        """Step: who is stored as a participant: the creator too."""
        return [initiator, *others]

    def may_read(self, conversation: Conversation, profiles: set[Identity]) -> bool:
        """Step: a participant or the creator may read the conversation."""
        return bool(profiles & {*conversation.participants, conversation.created_by})

    def unreadable(self, conversation: Conversation | None) -> SyncError:  # noqa: ARG002
        """Step: the answer to someone who may not read a conversation: the same 404
        whether or not it exists, so nobody can probe who talks to whom."""
        return SyncError(404, "Conversation not found")

    def refuse_foreign(
        self, state: dict[str, Any], members: list[str], creator: str | None
    ) -> None:
        """Step: never adopt a channel someone else made, or one with outsiders in it (409)."""
        cid = state["channel"].get("cid", "")
        made_by = (state["channel"].get("created_by") or {}).get("id")
        if made_by != creator:
            raise SyncError(
                409,
                f"Stream channel {cid} already exists and was not created by this "
                "conversation's initiator; refusing to adopt it",
            )
        outsiders = sorted({m["user_id"] for m in state["members"]} - set(members))
        if outsiders:
            raise SyncError(
                409,
                f"Stream channel {cid} already has members outside this conversation; "
                "refusing to adopt it",
            )

    def before_stream_calls(
        self, request: CreateConversation, cid: str, initiator: Identity, stored: list[Identity]
    ) -> None:
        """Step: what happens before Stream is called: nothing is stored yet."""

    # -- Stream ------------------------------------------------------------------
    def _stream_call(self, call: Callable[[], Any]) -> Any:
        try:
            return self.retry.run(call, self.rate_limits.take)
        except RateLimitTooLong as error:
            raise SyncError(
                503, f"Stream Chat rate limit reached; try again in {error.wait_s:.0f} s"
            ) from error
        except StreamAPIException as error:
            raise SyncError(502, f"Stream Chat refused the request: {error}") from error
        except SyncError:
            raise
        except Exception as error:
            raise SyncError(502, f"Stream Chat is unreachable: {error}") from error

    def _ensure_roles(self) -> None:
        """Create the policy's custom roles in the Stream app once ("already exists" is fine)."""
        with self._roles_lock:
            if self._roles_ready:
                return
            for role in self.roles.custom_roles:
                try:
                    self._stream_call(lambda role=role: self.stream.create_role(role))
                except SyncError as error:
                    if "already exists" not in str(error):
                        raise
            self._roles_ready = True

    def _upsert(self, users: list[StreamUser]) -> None:
        """Upsert `users` in batches Stream accepts; a role Stream forgot is created again."""
        self._ensure_roles()
        for batch in _batches(users):
            try:
                self._stream_call(lambda batch=batch: self.stream.upsert_users(batch))
            except SyncError as error:
                if not _unknown_role(error.__cause__):
                    raise
                log.warning("[createConversation] Stream lost a custom role, creating it again")
                with self._roles_lock:
                    self._roles_ready = False
                self._ensure_roles()
                self._stream_call(lambda batch=batch: self.stream.upsert_users(batch))

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
        with store.connect(self.database_url) as conn:
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
        stored = self.stored_participants(initiator, others)
        self.before_stream_calls(request, cid, initiator, stored)

        upsert = self.users_to_upsert(users)
        log.info("[createConversation] Syncing all participants to StreamChat...")
        log.info(
            "[createConversation] Upserting users to StreamChat...",
            extra={"count": len(upsert), "userIds": [u["id"] for u in upsert]},
        )
        self._upsert(upsert)
        log.info(
            "[createConversation] All users upserted successfully: %s", [u["id"] for u in upsert]
        )
        channel = self.stream.channel(
            self.naming.channel_type, cid, self.channel_data(members, initiator, request.name)
        )
        self.create_channel(channel, members, upsert)
        log.info(
            "[createConversation] Channel created successfully with members: %s",
            members,
            extra={"initiatorType": initiator.kind.value, "channelId": cid},
        )
        return self._persist(request, cid, initiator, stored)

    def create_channel(self, channel: Any, members: list[str], users: list[StreamUser]) -> None:
        """Step: create the channel, refuse a foreign one, and verify its members."""
        options: dict[str, Any] = {"watch": False, "state": True, "presence": False}
        if len(members) > STREAM_BATCH:
            options["members"] = {"limit": len(members)}

        def create() -> Any:
            # Stream is read-after-write, but if members are not visible yet we
            # re-upsert them and try again: verification, never a fixed wait.
            for attempt in range(1, VISIBILITY_ATTEMPTS + 1):
                try:
                    return channel.query(**options)
                except StreamAPIException as error:
                    if attempt == VISIBILITY_ATTEMPTS or not _missing_members(error):
                        raise
                    log.warning("[createConversation] Members not visible yet, re-syncing")
                    for batch in _batches(users):
                        self.stream.upsert_users(batch)
            raise AssertionError("unreachable: the loop returns or raises")

        state = self._stream_call(create)
        self.refuse_foreign(state, members, channel.custom_data.get("created_by_id"))
        present = {m["user_id"] for m in state["members"]}
        missing = [m for m in members if m not in present]
        if missing:
            log.warning("[createConversation] Adding missing members: %s", missing)
            for batch in _batches(missing):
                self._stream_call(lambda batch=batch: channel.add_members(batch))

    def _persist(
        self, request: CreateConversation, cid: str, initiator: Identity, stored: list[Identity]
    ) -> Conversation:
        with store.connect(self.database_url) as conn, conn.transaction():
            store.insert_conversation(
                conn, request.conversation_type, cid, initiator, request.name, stored
            )
            # Either ours or the one an identical earlier request stored.
            conversation = store.load(conn, cid)
        assert conversation is not None
        return conversation

    # -- read ------------------------------------------------------------------
    def _profiles(self, conn: store.Connection, user_id: str) -> set[Identity]:
        """The identities a human may act as: themselves and the companies they run."""
        return {Identity(Kind.USER, user_id)} | {
            Identity(Kind.COMPANY, c) for c in store.companies_run_by(conn, user_id)
        }

    def get(self, acting_user_id: str, conversation_id: str) -> Conversation:
        """The conversation, for its participants and creator (as any profile they run).

        Anyone else gets the same 404 as for a conversation that does not exist."""
        acting_user_id = _uuid(acting_user_id, "the acting user id")
        with store.connect(self.database_url) as conn:
            conversation = store.load(conn, conversation_id)
            if conversation is None or not self.may_read(
                conversation, self._profiles(conn, acting_user_id)
            ):
                raise self.unreadable(conversation)
        return conversation

    def list(
        self, acting_user_id: str, profile: Profile, *, limit: int, offset: int
    ) -> list[ListedConversation]:
        """The acting profile's conversations, newest first, with Stream's last message
        and the profile's unread count."""
        acting_user_id = _uuid(acting_user_id, "the acting user id")
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise SyncError(400, f"limit must be between 1 and {MAX_LIST_LIMIT}")
        if not 0 <= offset <= MAX_LIST_OFFSET:
            raise SyncError(400, f"offset must be between 0 and {MAX_LIST_OFFSET}")
        with store.connect(self.database_url) as conn:
            identity = self._acting(conn, acting_user_id, profile)
            conversations = store.list_for(conn, identity, limit, offset)
        if not conversations:
            return []
        states = self._channel_states([c.id for c in conversations])
        stream_id = self.stream_id(identity)
        return [
            ListedConversation(
                conversation=c,
                last_message=_last_message(states[c.id]) if c.id in states else None,
                unread_count=_unread(states[c.id], stream_id) if c.id in states else 0,
            )
            for c in conversations
        ]

    def _channel_states(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        cids = [self.naming.cid(i) for i in ids]
        answer = self._stream_call(
            lambda: self.stream.query_channels(
                {"cid": {"$in": cids}},
                limit=len(cids),
                message_limit=1,
                member_limit=0,
            )
        )
        return {s["channel"]["id"]: s for s in answer["channels"]}

    # -- tokens ------------------------------------------------------------------
    def issue_token(self, acting_user_id: str, profile: Profile) -> StreamToken:
        """A Stream user token for the acting profile, after syncing that identity to
        Stream with its role (so a company never connects with the default `user`)."""
        acting_user_id = _uuid(acting_user_id, "the acting user id")
        with store.connect(self.database_url) as conn:
            identity = self._acting(conn, acting_user_id, profile)
            row = self._resolve(conn, identity.kind, [identity.id])[identity.id]
        self._upsert([self.stream_user(identity, row)])
        stream_id = self.stream_id(identity)
        return StreamToken(
            token=self.stream.create_token(stream_id),
            user_id=stream_id,
            api_key=self.stream.api_key,
            profile_type=profile.profile_type,
            company_id=identity.id if identity.kind is Kind.COMPANY else None,
        )
