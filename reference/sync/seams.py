"""Every step of the reference a known-bad variant may override, in one place.

`ConversationService` (service.py) runs the orchestration and calls these steps; the
mutants in `chatgate.fixtures.targets.mutants` subclass it and override one or two of
them to reproduce a documented bug. The steps and who overrides them:

    step                 what the reference does                      mutants overriding it
    initiator            the acting company, else the human           human-initiator
    stream_user          Stream user with the policy's role           no-role
    users_to_upsert      everyone, the initiator included             recipient-not-upserted
    member_ids           every participant's Stream id                index-members
    channel_id           keyed, initiator-aware, <= 64 characters     initiator-blind-channel-id,
                                                                      long-channel-id,
                                                                      unkeyed-channel-id,
                                                                      initiator-only-channel-id
    channel_data         members, created_by_id, name                 no-created-by,
                                                                      no-channel-name
    stored_participants  the creator too                              creator-not-participant
    may_read             participants and the creator                 creator-not-participant
    unreadable           one "not found" for not-yours and missing    existence-oracle
    refuse_foreign       refuse a channel someone else made           adopts-foreign-channel
    before_stream_calls  nothing is stored before Stream answers      stores-before-stream
    create_channel       create, verify by query, add the missing     seed-fixed-wait

`company-app-admin` changes no step: it constructs the service with `RolePolicy.app_admin()`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.naming import StreamNaming

from . import errors
from .calls import StreamCalls
from .errors import SyncError
from .identities import Identity, Kind, RolePolicy, channel_id
from .model import Conversation, CreateConversation, StreamUser, as_uuid

log = logging.getLogger("chatgate.reference.sync")

# Stream takes at most 100 users per upsert and 100 members per call.
STREAM_BATCH = 100
VISIBILITY_ATTEMPTS = 3


def batches(items: list[Any], size: int = STREAM_BATCH) -> Iterator[list[Any]]:
    """`items` in slices Stream accepts."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _missing_members(error: StreamAPIException) -> bool:
    return error.error_code == 4 and "don't exist" in str(error.error_message)


class Steps:
    """The overridable steps of a create and a read (see the module's table).

    `ConversationService` sets the attributes below; a step may use them.
    """

    stream: StreamChat
    roles: RolePolicy
    naming: StreamNaming
    channel_secret: str
    call_stream: StreamCalls

    def stream_id(self, identity: Identity) -> str:
        """`identity`'s Stream user id under this backend's naming (not a step)."""
        return identity.stream_id_in(self.naming)

    def initiator(self, acting_user_id: str, request: CreateConversation, kind: Kind) -> Identity:
        """Step: who starts the conversation: the acting company, else the human."""
        if kind is Kind.COMPANY:
            return Identity(kind, as_uuid(request.company_id, "company_id"))
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

    def channel_data(
        self, members: list[str], initiator: Identity, name: str | None
    ) -> dict[str, Any]:
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
        """Step: the answer to someone who may not read a conversation: the same "not
        found" whether or not it exists, so nobody can probe who talks to whom."""
        return errors.conversation_not_found()

    def refuse_foreign(
        self, state: dict[str, Any], members: list[str], creator: str | None
    ) -> None:
        """Step: never adopt a channel someone else made, or one with outsiders in it."""
        cid = state["channel"].get("cid", "")
        made_by = (state["channel"].get("created_by") or {}).get("id")
        if made_by != creator:
            raise errors.foreign_creator(cid)
        if {m["user_id"] for m in state["members"]} - set(members):
            raise errors.foreign_members(cid)

    def before_stream_calls(
        self, request: CreateConversation, cid: str, initiator: Identity, stored: list[Identity]
    ) -> None:
        """Step: what happens before Stream is called: nothing is stored yet."""

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
                    for batch in batches(users):
                        self.stream.upsert_users(batch)
            raise AssertionError("unreachable: the loop returns or raises")

        state = self.call_stream(create)
        self.refuse_foreign(state, members, channel.custom_data.get("created_by_id"))
        present = {m["user_id"] for m in state["members"]}
        missing = [m for m in members if m not in present]
        if missing:
            log.warning("[createConversation] Adding missing members: %s", missing)
            for batch in batches(missing):
                self.call_stream(lambda batch=batch: channel.add_members(batch))
