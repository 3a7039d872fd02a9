"""The reference chat backend: `createConversation` (sync every participant to
Stream, then create the channel, verify it, and persist the conversation, in
that order), reading and listing conversations, and minting Stream tokens.

This is the fix of the "users don't exist in StreamChat yet" incident done
right: explicit kinds (never "try users, then companies"), one upsert of all
participants with least-privilege roles, a keyed, deterministic,
initiator-aware channel id, a channel someone else made is never adopted,
verification instead of a fixed wait, bounded retries, idempotent storage.

Here is the orchestration; the steps the harness's known-bad variants (mutants)
override are in seams.py, the SQL in store.py, the failures and their texts in
errors.py, the request and answer types in model.py.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from stream_chat import StreamChat

from chatgate.naming import StreamNaming
from chatgate.reference.db import Database

from . import errors, store
from .calls import StreamCalls
from .errors import SyncError
from .identities import DEFAULT_NAMING, DEV_CHANNEL_ID_SECRET, Identity, Kind, RolePolicy
from .model import (
    CONVERSATION_TYPES,
    MAX_LIST_LIMIT,
    MAX_LIST_OFFSET,
    MAX_NAME_CHARS,
    MAX_PARTICIPANTS,
    PROFILE_TYPES,
    Conversation,
    CreateConversation,
    ListedConversation,
    Profile,
    StreamToken,
    StreamUser,
    as_uuid,
)
from .retry import RetryPolicy
from .seams import Steps, batches

log = logging.getLogger("chatgate.reference.sync")


def _kinds(request: CreateConversation) -> tuple[Kind, Kind]:
    """(initiator kind, participant kind) from the conversation type and acting profile."""
    acting_company = request.company_id is not None
    if request.conversation_type == "user_user":
        if acting_company:
            raise errors.company_id_not_allowed_for_user_user()
        return Kind.USER, Kind.USER
    if request.conversation_type == "company_company":
        if not acting_company:
            raise errors.company_id_required_for_company()
        return Kind.COMPANY, Kind.COMPANY
    return (Kind.COMPANY, Kind.USER) if acting_company else (Kind.USER, Kind.COMPANY)


def _validate(request: CreateConversation) -> None:
    if request.conversation_type not in CONVERSATION_TYPES:
        raise errors.bad_conversation_type(CONVERSATION_TYPES)
    if not isinstance(request.participant_ids, list) or not request.participant_ids:
        raise errors.no_participants()
    if len(request.participant_ids) > MAX_PARTICIPANTS:
        raise errors.too_many_participants(MAX_PARTICIPANTS, len(request.participant_ids))
    if request.name is not None:
        if not isinstance(request.name, str):
            raise errors.name_not_text()
        if len(request.name) > MAX_NAME_CHARS:
            raise errors.name_too_long(MAX_NAME_CHARS, len(request.name))


def _unknown_role(error: BaseException | None) -> bool:
    message = str(getattr(error, "error_message", ""))
    return getattr(error, "error_code", None) == 4 and "role" in message and "exist" in message


class ConversationService(Steps):
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
        self.database = Database(database_url)
        self.stream = stream
        self.roles = roles or RolePolicy()
        self.retry = retry or RetryPolicy()
        self.channel_secret = channel_secret
        self.naming = naming
        self.call_stream = StreamCalls(stream, self.retry, now)
        self._roles_ready = False
        self._roles_lock = threading.Lock()

    # -- checks -------------------------------------------------------------
    def authenticate(self, subject: str) -> str:
        """The acting user of a verified bearer token's subject (unauthenticated if nobody
        has it)."""
        try:
            user_id = str(uuid.UUID(subject))
        except ValueError:
            raise errors.unknown_user() from None
        with self.database.connection() as conn:
            if not store.user_exists(conn, user_id):
                raise errors.unknown_user()
        return user_id

    @staticmethod
    def _check_role(role: str | None) -> None:
        """Acting as a company needs an owner or admin membership (forbidden otherwise)."""
        if role is None:
            raise errors.not_a_member()
        if role not in store.RUNS_COMPANY:
            raise errors.not_running_the_company()

    def _authorize(self, conn: store.Connection, user_id: str, company_id: str) -> None:
        self._check_role(store.membership_role(conn, company_id, user_id))

    @staticmethod
    def _require(found: dict[str, Any], kind: Kind, ids: list[str]) -> dict[str, Any]:
        """`found`, after checking it holds every one of `ids` (not found otherwise)."""
        missing = [i for i in ids if i not in found]
        if missing:
            raise errors.unknown_ids(kind.value, missing)
        return found

    def _resolve(self, conn: store.Connection, kind: Kind, ids: list[str]) -> dict[str, Any]:
        return self._require(store.find(conn, kind, ids), kind, ids)

    def _acting(self, conn: store.Connection, user_id: str, profile: Profile) -> Identity:
        """The identity a request acts as, after checking the human may act as it."""
        if profile.profile_type not in PROFILE_TYPES:
            raise errors.bad_profile_type()
        if profile.profile_type == "company":
            if not profile.company_id:
                raise errors.company_id_required_for_profile()
            company_id = as_uuid(profile.company_id, "company_id")
            self._authorize(conn, user_id, company_id)
            return Identity(Kind.COMPANY, company_id)
        if profile.company_id:
            raise errors.company_id_only_for_company_profile()
        return Identity(Kind.USER, user_id)

    # -- Stream ------------------------------------------------------------------
    def _ensure_roles(self) -> None:
        """Create the policy's custom roles in the Stream app once ("already exists" is fine)."""
        with self._roles_lock:
            if self._roles_ready:
                return
            for role in self.roles.custom_roles:
                try:
                    self.call_stream(lambda role=role: self.stream.create_role(role))
                except SyncError as error:
                    if "already exists" not in str(error):
                        raise
            self._roles_ready = True

    def _upsert(self, users: list[StreamUser]) -> None:
        """Upsert `users` in batches Stream accepts; a role Stream forgot is created again."""
        self._ensure_roles()
        for batch in batches(users):
            try:
                self.call_stream(lambda batch=batch: self.stream.upsert_users(batch))
            except SyncError as error:
                if not _unknown_role(error.__cause__):
                    raise
                log.warning("[createConversation] Stream lost a custom role, creating it again")
                with self._roles_lock:
                    self._roles_ready = False
                self._ensure_roles()
                self.call_stream(lambda batch=batch: self.stream.upsert_users(batch))

    # -- create --------------------------------------------------------------
    def create(
        self, acting_user_id: str, request: CreateConversation, *, check_user: bool = False
    ) -> Conversation:
        """Create (or return) the conversation; nothing is stored if Stream fails.

        With `check_user`, `acting_user_id` is a verified bearer's subject, and the user
        it names is checked as `authenticate` does, in the same round trip as the rest of
        what is read; an unknown user is still told so before any other failure."""
        try:
            _validate(request)
            acting_user_id = as_uuid(acting_user_id, "the acting user id")
            initiator_kind, participant_kind = _kinds(request)
            participant_ids = list(
                dict.fromkeys(as_uuid(p, "participant id") for p in request.participant_ids)
            )
            initiator = self.initiator(acting_user_id, request, initiator_kind)
            membership = None
            if request.company_id is not None:
                membership = (as_uuid(request.company_id, "company_id"), acting_user_id)
        except SyncError:
            if check_user:
                self.authenticate(acting_user_id)
            raise
        wanted = {participant_kind: participant_ids}
        wanted[initiator.kind] = [*wanted.get(initiator.kind, []), initiator.id]
        # Everything read before Stream is called, in one round trip.
        with self.database.connection() as conn:
            looked = store.look_up(conn, wanted, membership, acting_user_id if check_user else None)
        if looked.user_known is False:
            raise errors.unknown_user()
        if membership is not None:
            self._check_role(looked.role)
        found = looked.found
        initiator_row = self._require(found[initiator.kind], initiator.kind, [initiator.id])[
            initiator.id
        ]
        rows = self._require(found[participant_kind], participant_kind, participant_ids)
        others = [Identity(participant_kind, p) for p in participant_ids]
        others = [p for p in others if p != initiator]
        if not others:
            raise errors.nobody_else()
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
        return self.persist(request, cid, initiator, stored)

    def persist(
        self, request: CreateConversation, cid: str, initiator: Identity, stored: list[Identity]
    ) -> Conversation:
        """Store the conversation (idempotent on the channel id) and return the stored one."""
        with self.database.connection() as conn:
            conversation = store.insert_conversation(
                conn, request.conversation_type, cid, initiator, request.name, stored
            ) or store.load(conn, cid)  # or the one an identical earlier request stored
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

        Anyone else gets the same "not found" as for a conversation that does not exist."""
        acting_user_id = as_uuid(acting_user_id, "the acting user id")
        with self.database.connection() as conn:
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
        acting_user_id = as_uuid(acting_user_id, "the acting user id")
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise errors.out_of_range("limit", 1, MAX_LIST_LIMIT)
        if not 0 <= offset <= MAX_LIST_OFFSET:
            raise errors.out_of_range("offset", 0, MAX_LIST_OFFSET)
        with self.database.connection() as conn:
            identity = self._acting(conn, acting_user_id, profile)
            conversations = store.list_for(conn, identity, limit, offset)
        if not conversations:
            return []
        states = self._channel_states([c.id for c in conversations])
        stream_id = self.stream_id(identity)
        return [ListedConversation.of(c, states.get(c.id), stream_id) for c in conversations]

    def _channel_states(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        cids = [self.naming.cid(i) for i in ids]
        answer = self.call_stream(
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
        acting_user_id = as_uuid(acting_user_id, "the acting user id")
        with self.database.connection() as conn:
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
