"""The fake's state: one `AppState` per api_key, guarded by one lock.

Handlers check requests and make the changes of their own operation; changes
that several operations share are methods of `AppState`. `render` turns the
models into Stream's JSON shapes.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import heapq
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .channel_config import config_for
from .clock import Clock, IdGenerator
from .propagation import Propagation

# Stream's built-in roles (contract §5.6): user-level, then channel-level.
USER_ROLES = ("user", "admin", "guest", "anonymous")
CHANNEL_ROLES = ("channel_member", "channel_moderator")
BUILT_IN_ROLES = USER_ROLES + CHANNEL_ROLES

DEFAULT_CHANNEL_TYPES = ("messaging", "livestream", "team", "gaming", "commerce", "ai")


@dataclass
class User:
    id: str
    role: str
    created_at: datetime
    updated_at: datetime
    seq: int
    custom: dict[str, Any] = field(default_factory=dict)
    teams: list[str] = field(default_factory=list)
    teams_role: dict[str, str] | None = None
    language: str = ""
    invisible: bool = False
    deactivated_at: datetime | None = None
    deleted_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.deleted_at is None and self.deactivated_at is None


@dataclass
class Role:
    name: str
    custom: bool
    created_at: datetime
    updated_at: datetime


@dataclass
class Member:
    user_id: str
    created_at: datetime
    updated_at: datetime
    channel_role: str = "channel_member"
    is_owner: bool = False
    is_moderator: bool = False
    custom: dict[str, Any] = field(default_factory=dict)
    invited: bool = False
    invite_accepted_at: datetime | None = None
    invite_rejected_at: datetime | None = None
    # Per-member state (Channel.pin / .archive): when the member pinned or archived it.
    pinned_at: datetime | None = None
    archived_at: datetime | None = None


@dataclass
class Read:
    last_read: datetime
    last_read_message_id: str | None = None
    last_delivered_at: datetime | None = None
    last_delivered_message_id: str | None = None


@dataclass
class Channel:
    type: str
    id: str
    created_by_id: str | None
    created_at: datetime
    updated_at: datetime
    seq: int
    distinct: bool = False
    custom: dict[str, Any] = field(default_factory=dict)
    members: dict[str, Member] = field(default_factory=dict)
    message_ids: list[str] = field(default_factory=list)
    reads: dict[str, Read] = field(default_factory=dict)
    last_message_at: datetime | None = None
    deleted_at: datetime | None = None
    truncated_at: datetime | None = None
    hidden_for: set[str] = field(default_factory=set)
    filter_tags: list[str] = field(default_factory=list)

    @property
    def cid(self) -> str:
        return f"{self.type}:{self.id}"

    def add_member(self, user_id: str, now: datetime, role: str | None) -> Member:
        """The user's membership, made if new; `role` (if given) becomes its channel role."""
        member = self.members.get(user_id)
        if member is None:
            member = Member(
                user_id=user_id,
                created_at=now,
                updated_at=now,
                is_owner=user_id == self.created_by_id,
            )
            self.members[user_id] = member
        if role is not None:
            member.channel_role = role
            member.is_moderator = role == "channel_moderator"
            member.updated_at = now
        return member


def distinct_channel_id(member_ids: list[str]) -> str:
    """Stream's member-based id: `!members-` + base64url(SHA-512/256(sorted ids))."""
    digest = hashlib.new("sha512_256", ",".join(sorted(member_ids)).encode()).digest()
    return "!members-" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass
class Message:
    id: str
    cid: str
    user_id: str
    text: str
    created_at: datetime
    updated_at: datetime
    seq: int
    type: str = "regular"
    parent_id: str | None = None
    show_in_channel: bool | None = None
    attachments: list[Any] = field(default_factory=list)
    mentioned_users: list[str] = field(default_factory=list)
    silent: bool = False
    reply_count: int = 0
    shadowed: bool = False
    custom: dict[str, Any] = field(default_factory=dict)
    deleted_at: datetime | None = None
    deleted_for: set[str] = field(default_factory=set)
    pinned_at: datetime | None = None
    pinned_by_id: str | None = None
    pin_expires: datetime | None = None
    # Sent with `pending`: only its author sees it until CommitMessage.
    pending: bool = False
    # A slash command the message ran (`giphy`), and how often its giphy was shuffled.
    command: str | None = None
    shuffles: int = 0
    # Translations: `<language>_text` per target language, plus `language`.
    i18n: dict[str, str] = field(default_factory=dict)

    def pinned(self, now: datetime) -> bool:
        """True while the message is pinned and its pin has not expired."""
        return self.pinned_at is not None and (self.pin_expires is None or self.pin_expires > now)


@dataclass
class MessageVersion:
    """A message as it was before an update (QueryMessageHistory)."""

    message_id: str
    text: str
    attachments: list[Any]
    custom: dict[str, Any]
    updated_at: datetime
    updated_by_id: str | None


@dataclass
class Reaction:
    message_id: str
    user_id: str
    type: str
    score: int
    created_at: datetime
    updated_at: datetime
    custom: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ban:
    target_id: str
    created_by_id: str | None
    created_at: datetime
    channel_cid: str | None = None
    reason: str | None = None
    expires: datetime | None = None
    shadow: bool = False
    # `ban_from_future_channels`: also for channels its author creates later (recorded
    # and queried; UNCONFIRMED: the fake does not apply it to those channels).
    future_channels: bool = False


@dataclass
class Mute:
    user_id: str
    target_id: str
    created_at: datetime
    updated_at: datetime
    expires: datetime | None = None


@dataclass
class ChannelMute:
    user_id: str
    cid: str
    created_at: datetime
    updated_at: datetime
    expires: datetime | None = None


@dataclass
class Block:
    user_id: str
    blocked_user_id: str
    created_at: datetime


@dataclass
class Flag:
    user_id: str
    created_at: datetime
    target_user_id: str | None = None
    target_message_id: str | None = None
    reason: str | None = None
    created_by_automod: bool = False


@dataclass
class Blocklist:
    """A list of words (or regexes, domains, emails) a channel type can apply on send."""

    name: str
    type: str
    words: list[str]
    created_at: datetime
    updated_at: datetime

    def matches(self, text: str) -> bool:
        """True if `text` holds one of the list's entries (words match whole words)."""
        lowered = text.lower()
        if self.type == "regex":
            return any(re.search(word, text) for word in self.words)
        if self.type == "word":
            found = set(re.split(r"[\W_]+", lowered))
            return any(word.lower() in found for word in self.words)
        return any(word.lower() in lowered for word in self.words)


# Stream's built-in commands (the SDK's own test fixture keeps exactly these).
BUILT_IN_COMMANDS = ("giphy", "imgur", "flag", "ban", "unban", "mute", "unmute")


@dataclass
class StoredFile:
    """A file the fake serves back under /_fake/files/: a channel upload or an import."""

    id: str
    name: str
    content_type: str
    data: bytes
    cid: str | None = None


@dataclass
class Task:
    id: str
    created_at: datetime
    updated_at: datetime
    status: str = "completed"
    result: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None


@dataclass
class Segment:
    """A list of users or channels a campaign can target (handlers/segments.py)."""

    id: str
    type: str  # "user" or "channel"
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    filter: dict[str, Any] | None = None
    all_users: bool = False
    all_sender_channels: bool = False
    # Targets added by id (user ids, or channel cids), with when each was added.
    targets: dict[str, datetime] = field(default_factory=dict)


# A campaign's statuses (handlers/campaigns.py documents the transitions).
DRAFT, SCHEDULED, RUNNING, STOPPED, COMPLETED = (
    "draft",
    "scheduled",
    "running",
    "stopped",
    "completed",
)


@dataclass
class Campaign:
    """A message template sent by one user to segments or users (handlers/campaigns.py)."""

    id: str
    sender_id: str
    message_template: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    name: str = ""
    description: str = ""
    segment_ids: list[str] = field(default_factory=list)
    user_ids: list[str] = field(default_factory=list)
    create_channels: bool = False
    channel_template: dict[str, Any] | None = None
    skip_push: bool = False
    skip_webhook: bool = False
    status: str = DRAFT
    scheduled_for: datetime | None = None
    stop_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    channels_created: int = 0
    # The messages it sent, and which one reached each user (its stats derive from both).
    message_ids: list[str] = field(default_factory=list)
    reached: dict[str, str] = field(default_factory=dict)


def default_channel_type_config(name: str, now: datetime) -> dict[str, Any]:
    """The configuration Stream reports for a built-in channel type.

    UNCONFIRMED: the flags below are the commonly documented defaults; the
    live defaults differ a little per type.
    """
    return {
        "name": name,
        "typing_events": True,
        "read_events": True,
        "connect_events": True,
        "search": True,
        "reactions": True,
        "replies": True,
        "quotes": True,
        "mutes": True,
        "uploads": True,
        "url_enrichment": True,
        "custom_events": True,
        "push_notifications": True,
        "message_retention": "infinite",
        "max_message_length": 5000,
        "automod": "disabled",
        "automod_behavior": "flag",
        # UNCONFIRMED: live types differ in their default commands.
        "commands": list(BUILT_IN_COMMANDS),
        "created_at": now,
        "updated_at": now,
    }


class AppState:
    """Everything one Stream app (one api_key) holds."""

    def __init__(self, api_key: str, api_secret: str, clock: Clock, ids: IdGenerator) -> None:
        self.api_key = api_key
        self.api_secret = api_secret
        self.clock = clock
        self.ids = ids
        self.lock = threading.RLock()
        self._seq = 0
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, Message] = {}
        self.tasks: dict[str, Task] = {}
        self.message_history: list[MessageVersion] = []
        # Thread read state: parent message id -> participant user id -> read.
        self.thread_reads: dict[str, dict[str, Read]] = {}
        self.propagation = Propagation()
        # reactions per message id, in arrival order
        self.reactions: dict[str, list[Reaction]] = {}
        self.bans: list[Ban] = []
        self.mutes: dict[tuple[str, str], Mute] = {}
        self.channel_mutes: dict[tuple[str, str], ChannelMute] = {}
        self.blocks: dict[tuple[str, str], Block] = {}
        self.flags: list[Flag] = []
        self.settings: dict[str, Any] = {}
        now = clock.now()
        # Built-in roles first, then the app's custom roles in creation order.
        self.roles: dict[str, Role] = {
            name: Role(name, custom=False, created_at=now, updated_at=now)
            for name in BUILT_IN_ROLES
        }
        self.channel_types: dict[str, dict[str, Any]] = {
            name: default_channel_type_config(name, now) for name in DEFAULT_CHANNEL_TYPES
        }
        # Commands by name: the built-in ones, then the app's own.
        self.commands: dict[str, dict[str, Any]] = {
            name: {"name": name, "description": "", "args": "", "set": "", "custom": False}
            for name in BUILT_IN_COMMANDS
        }
        self.blocklists: dict[str, Blocklist] = {}
        self.permissions: dict[str, dict[str, Any]] = {}
        self.devices: dict[str, dict[str, Any]] = {}
        # (user id, channel cid, parent id or "") -> draft; (user id, message id) -> reminder.
        self.drafts: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.reminders: dict[tuple[str, str], dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.imports: dict[str, dict[str, Any]] = {}
        self.push_providers: dict[tuple[str, str], dict[str, Any]] = {}
        self.segments: dict[str, Segment] = {}
        self.campaigns: dict[str, Campaign] = {}
        # Work due at an instant of the fake's clock (a scheduled campaign), run by
        # `run_due` before each request: (when, order, action).
        self._timers: list[tuple[datetime, int, Callable[[], None]]] = []

    def schedule(self, at: datetime, action: Callable[[], None]) -> None:
        """Run `action` at the first request once the fake's clock has reached `at`."""
        heapq.heappush(self._timers, (at, self.next_seq(), action))

    def run_due(self) -> None:
        """Run the scheduled actions whose time has come, earliest first."""
        now = self.clock.now()
        while self._timers and self._timers[0][0] <= now:
            heapq.heappop(self._timers)[2]()

    def blocked_by(self, channel: Channel, text: str) -> str | None:
        """The channel's blocklist behaviour (`flag` or `block`) if `text` hits the
        blocklist of its config (type, or config_overrides), else None."""
        config = config_for(self, channel)
        blocklist = self.blocklists.get(config.get("blocklist") or "")
        if blocklist is None or not text or not blocklist.matches(text):
            return None
        return str(config.get("blocklist_behavior") or "flag")

    def next_seq(self) -> int:
        """A strictly increasing number that orders records created at one instant."""
        self._seq += 1
        return self._seq

    def is_user_role(self, name: str) -> bool:
        """True for a role a user may hold: a built-in user-level role or a custom one."""
        role = self.roles.get(name)
        return role is not None and (role.custom or name in USER_ROLES)

    def live_user(self, user_id: str) -> User | None:
        """The user if it exists and is not deleted."""
        user = self.users.get(user_id)
        return user if user is not None and user.deleted_at is None else None

    def visible_user(self, user_id: str) -> bool:
        """True if channel operations can see the user (exists, not deleted, not lagging)."""
        return self.live_user(user_id) is not None and self.propagation.visible(
            user_id, self.clock.now()
        )

    def active_ban(self, user_id: str, channel_cid: str | None = None) -> Ban | None:
        """The user's unexpired ban: app-wide, or in `channel_cid` when given."""
        if not self.bans:
            return None
        now = self.clock.now()
        for ban in self.bans:
            if ban.target_id != user_id or (ban.expires is not None and ban.expires <= now):
                continue
            if ban.channel_cid is None or ban.channel_cid == channel_cid:
                return ban
        return None

    def channel_muted(self, user_id: str, cid: str) -> bool:
        """True while the user has the channel muted (until its expiry, if any)."""
        mute = self.channel_mutes.get((user_id, cid))
        return mute is not None and (mute.expires is None or mute.expires > self.clock.now())

    def live_channel(self, cid: str) -> Channel | None:
        """The channel if it exists and is not deleted."""
        channel = self.channels.get(cid)
        return channel if channel is not None and channel.deleted_at is None else None

    def create_channel(
        self,
        channel_type: str,
        channel_id: str,
        creator_id: str,
        members: list[tuple[str, str | None]],
        *,
        distinct: bool = False,
        custom: dict[str, Any] | None = None,
    ) -> Channel:
        """Store a new channel with its members (user id, channel role or None)."""
        now = self.clock.now()
        channel = Channel(
            type=channel_type,
            id=channel_id,
            created_by_id=creator_id,
            created_at=now,
            updated_at=now,
            seq=self.next_seq(),
            distinct=distinct,
            custom=custom or {},
        )
        for user_id, role in members:
            channel.add_member(user_id, now, role)
        self.channels[channel.cid] = channel
        return channel

    def add_message(self, channel: Channel, message: Message) -> None:
        """Store a new message in `channel`; unless it is pending or ephemeral, `publish` it."""
        ban = self.active_ban(message.user_id, channel.cid)
        message.shadowed = ban is not None and ban.shadow
        self.messages[message.id] = message
        if message.type == "ephemeral":
            return  # seen by its author only, until a message action sends it
        channel.message_ids.append(message.id)
        if not message.pending:
            self.publish(channel, message)

    def send_ephemeral(self, channel: Channel, message: Message) -> None:
        """An ephemeral message (a giphy preview) becomes a regular one in its channel."""
        message.type = "regular"
        channel.message_ids.append(message.id)
        self.publish(channel, message)

    def publish(self, channel: Channel, message: Message) -> None:
        """Make a stored message visible to everyone: a reply counts in its parent's
        thread (its parent's author and the replier take part in it), a message shown in
        the channel updates it, and a hidden channel shows again. The author has read up
        to it; for others it is unread (unread.py counts it)."""
        message.pending = False
        channel.hidden_for.clear()
        parent = self.messages.get(message.parent_id) if message.parent_id else None
        if parent is not None:
            parent.reply_count += 1
            reads = self.thread_reads.setdefault(parent.id, {})
            reads.setdefault(parent.user_id, Read(last_read=parent.created_at))
            self._read_by_author(reads, message)
        if parent is None or message.show_in_channel:
            channel.last_message_at = channel.updated_at = message.created_at
            self._read_by_author(channel.reads, message)

    @staticmethod
    def _read_by_author(reads: dict[str, Read], message: Message) -> None:
        """Sending a message reads up to it for its author."""
        read = reads.setdefault(message.user_id, Read(last_read=message.created_at))
        read.last_read = message.created_at
        read.last_read_message_id = message.id

    def record_version(self, message: Message, updated_by_id: str | None) -> None:
        """Keep the message as it is now in its history, before an update changes it."""
        self.message_history.append(
            MessageVersion(
                message.id,
                message.text,
                copy.deepcopy(message.attachments),
                copy.deepcopy(message.custom),
                message.updated_at,
                updated_by_id,
            )
        )

    def new_task(self, result: dict[str, Any]) -> Task:
        """Record an async task; the fake completes it at once (moto's immediate progression)."""
        now = self.clock.now()
        task = Task(id=self.ids.uuid(), created_at=now, updated_at=now, result=result)
        self.tasks[task.id] = task
        return task

    def remove_message(self, message: Message) -> None:
        """Hard-delete a message: gone from the store, its channel and its thread count."""
        self.messages.pop(message.id, None)
        channel = self.channels.get(message.cid)
        if channel is not None and message.id in channel.message_ids:
            channel.message_ids.remove(message.id)
        parent = self.messages.get(message.parent_id) if message.parent_id else None
        if parent is not None and message.deleted_at is None and not message.pending:
            parent.reply_count = max(0, parent.reply_count - 1)

    def delete_channel(self, channel: Channel, *, hard: bool, now: datetime) -> None:
        """Soft-delete a channel and its messages, or remove both for good."""
        channel.deleted_at = now
        channel.updated_at = now
        for message_id in list(channel.message_ids):
            message = self.messages.get(message_id)
            if message is None:
                continue
            if hard:
                self.remove_message(message)
            else:
                message.deleted_at = message.deleted_at or now
        if hard:
            self.channels.pop(channel.cid, None)
