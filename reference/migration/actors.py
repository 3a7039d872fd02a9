"""Where each chat table names its actors: a (profile id, profile type) pair and the
user id column that will key it. The migration, its verification and the hard-case
findings all walk this one map."""

from __future__ import annotations

from dataclasses import dataclass

from .legacy import PROFILE_TABLES


@dataclass(frozen=True)
class Actor:
    table: str
    profile_id: str
    profile_type: str
    user_id: str
    added: bool = False  # the user id column is new: the migration adds it

    @property
    def label(self) -> str:
        return f"{self.table}.{self.user_id}"


ACTORS: tuple[Actor, ...] = (
    Actor(
        "conversations",
        "created_by_profile_id",
        "created_by_profile_type",
        "created_by_user_id",
        added=True,
    ),
    Actor("conversation_participants", "profile_id", "profile_type", "user_id"),
    Actor("chat_messages", "sender_profile_id", "sender_profile_type", "sender_user_id"),
    Actor(
        "chat_messages",
        "pinned_by_profile_id",
        "pinned_by_profile_type",
        "pinned_by_user_id",
        added=True,
    ),
    Actor("message_reactions", "profile_id", "profile_type", "user_id"),
    Actor("message_read_receipts", "profile_id", "profile_type", "user_id"),
    Actor("call_logs", "caller_profile_id", "caller_profile_type", "caller_user_id"),
    Actor("blocked_chat_contacts", "blocker_profile_id", "blocker_profile_type", "blocker_user_id"),
    Actor("blocked_chat_contacts", "blocked_profile_id", "blocked_profile_type", "blocked_user_id"),
    Actor("chat_settings", "profile_id", "profile_type", "user_id"),
)

# The conversation a row belongs to, for the actors whose user column is new: when
# their profile no longer resolves, the conversation's participant row of that
# profile still says which user it was.
CONVERSATION_COLUMN = {"conversations": "id", "chat_messages": "conversation_id"}


def _per_kind(alias: str, actor: Actor, select: str, otherwise: str) -> str:
    """A CASE over the row's profile type, running `select` against that profile table
    (as `p`, matched on the row's profile id)."""
    branches = " ".join(
        f"WHEN '{kind}' THEN (SELECT {select} FROM {table} p "
        f"WHERE p.id = {alias}.{actor.profile_id})"
        for kind, table in PROFILE_TABLES.items()
    )
    return f"(CASE {alias}.{actor.profile_type} {branches} ELSE {otherwise} END)"


def owner_sql(alias: str, actor: Actor) -> str:
    """SQL for the user behind the row's profile (NULL when the profile row is gone or
    has no user, or the type is not a profile type)."""
    return _per_kind(alias, actor, "p.user_id", "NULL")


def profile_exists_sql(alias: str, actor: Actor) -> str:
    """SQL: does the row's profile row exist?"""
    return f"coalesce({_per_kind(alias, actor, 'true', 'false')}, false)"


def fallback_sql(alias: str, actor: Actor) -> str:
    """SQL for the user a row was written by when its profile does not resolve: its own
    legacy user column, or (for the new columns) the participant row of that profile."""
    if not actor.added:
        return f"{alias}.{actor.user_id}"
    conversation = CONVERSATION_COLUMN[actor.table]
    return (
        "(SELECT cp.user_id FROM conversation_participants cp "
        f"WHERE cp.conversation_id = {alias}.{conversation} "
        f"AND cp.profile_id = {alias}.{actor.profile_id} "
        f"AND cp.profile_type = {alias}.{actor.profile_type} ORDER BY cp.id LIMIT 1)"
    )


def resolved_sql(alias: str, actor: Actor) -> str:
    """SQL for the user id the migration gives the row's actor."""
    return f"coalesce({owner_sql(alias, actor)}, {fallback_sql(alias, actor)})"
