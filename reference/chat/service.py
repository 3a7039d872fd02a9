"""The user-based chat on the migrated schema: who you are is always the authenticated
user (`me`), never a parameter. Direct conversations, text messages, history a page at a
time, read marks, the conversation list, search, delete for me; media (images, files,
voice notes) checked from their bytes and stored durably; voice and video calls with a
call log and a state machine; blocks and privacy settings,
enforced on the server and failing closed; groups.

Here is the validation and the orchestration; the decisions the harness's known-bad
variants (mutants) override are in seams.py, the SQL in store.py, every error text in
errors.py. Connections come from `self.database` (a pool once `open()`ed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatgate.isotime import parse_iso
from chatgate.reference.db import Connection, Database

from . import errors, store
from .media import inspect
from .seams import AUDIENCES, DEFAULT_SETTINGS, ChatSteps, ReadMark

MAX_TEXT_CHARS = 4000
MAX_SEARCH_CHARS = 100
MAX_GROUP_NAME_CHARS = 100
MAX_GROUP_MEMBERS = 100  # the others a group is made with
# event: (the statuses it moves a call from, the status it moves it to, who may do it)
CALL_EVENTS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "ring": (("initiated",), "ringing", "callee"),
    "answer": (("initiated", "ringing"), "answered", "callee"),
    "decline": (("initiated", "ringing"), "declined", "callee"),
    "miss": (("initiated", "ringing"), "missed", "participant"),
    "cancel": (("initiated", "ringing"), "cancelled", "caller"),
    "end": (("answered",), "ended", "participant"),
}
VISIBILITIES = ("everyone", "connections", "nobody")
_SETTING_RULES: dict[str, tuple[Any, str]] = {
    "who_can_message": (AUDIENCES, "one of everyone, connections, none"),
    "read_receipts": ((True, False), "true or false"),
    "last_seen_visibility": (VISIBILITIES, "one of everyone, connections, nobody"),
}
MAX_PAGE = 100
DEFAULT_PAGE = 30


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    sender_user_id: int
    type: str
    text: str | None
    media_url: str | None
    sent_at: datetime

    @classmethod
    def of(cls, row: dict[str, Any]) -> Message:
        return cls(
            id=row["id"],
            conversation_id=row["conversation_id"],
            sender_user_id=row["sender_user_id"],
            type=row["message_type"],
            text=row["content"],
            media_url=row["media_url"],
            sent_at=row["created_at"]
            if isinstance(row["created_at"], datetime)
            else parse_iso(row["created_at"]),  # in JSON (a last message)
        )


@dataclass(frozen=True)
class Page:
    messages: list[Message]  # newest first
    next_before: int | None  # pass as `before` for the next (older) page; None: no more


@dataclass(frozen=True)
class Started:
    """A direct conversation start: which conversation, and whether this call made it."""

    conversation_id: int
    created: bool


@dataclass(frozen=True)
class ConversationView:
    id: int
    type: str  # direct or group
    name: str | None
    participant_user_ids: list[int]  # everyone, me included, ascending

    @classmethod
    def of(cls, row: dict[str, Any]) -> ConversationView:
        return cls(row["id"], row["type"], row["name"], list(row["participant_user_ids"]))


@dataclass(frozen=True)
class ConversationSummary:
    id: int
    type: str
    name: str | None
    participant_user_ids: list[int]  # everyone, me included, ascending
    others: list[int]  # the participants but me, ascending
    last_message: Message | None  # the newest message I see
    unread: int  # messages from others after my read mark

    @classmethod
    def of(cls, row: dict[str, Any], me: int) -> ConversationSummary:
        everyone = list(row["participant_user_ids"])
        return cls(
            id=row["id"],
            type=row["type"],
            name=row["name"],
            participant_user_ids=everyone,
            others=[u for u in everyone if u != me],
            last_message=Message.of(row["last_message"]) if row["last_message"] else None,
            unread=int(row["unread"]),
        )


def _id(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise errors.not_an_id(what, value)
    return value


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _limit(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PAGE:
        raise errors.bad_limit(MAX_PAGE)
    return value


def _group_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_GROUP_NAME_CHARS:
        raise errors.bad_group_name(MAX_GROUP_NAME_CHARS)
    return name


def _members(me: int, members: Any) -> list[int]:
    """The other users a group is made with: distinct ids, not `me`."""
    if not isinstance(members, list) or not 1 <= len(members) <= MAX_GROUP_MEMBERS:
        raise errors.bad_group_members(MAX_GROUP_MEMBERS)
    ids = [_id(m, "each of participant_user_ids") for m in members]
    repeated = sorted({u for u in ids if ids.count(u) > 1})
    if repeated:
        raise errors.repeated_members(repeated)
    if me in ids:
        raise errors.self_in_group()
    return ids


class ChatService(ChatSteps):
    """One database's user-based chat."""

    def __init__(self, database_url: str) -> None:
        # Plan every query for its own values: psycopg prepares a statement run five
        # times, and PostgreSQL's generic plan for the history page (an optional cursor)
        # walks the whole message table backwards: 36 ms a page instead of 1 ms.
        self.database = Database(
            database_url, name="chatgate-chat", settings={"plan_cache_mode": "force_custom_plan"}
        )
        self._schema_ready = False

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A connection from `self.database`; the first use checks the database is migrated
        and creates the chat's own table."""
        with self.database.connection() as conn:
            if not self._schema_ready:
                if not store.is_migrated(conn):
                    raise errors.not_migrated()
                store.ensure_schema(conn)
                self._schema_ready = True
            yield conn

    def _pair(self, conn: Connection, me: int, other: int) -> None:
        """Refuse `other` as oneself or as a user who does not exist."""
        if me == other:
            raise errors.with_oneself()
        if not store.user_exists(conn, other):
            raise errors.no_such_user(other)

    def start_direct(self, me: int, other: int) -> Started:
        """The direct conversation of `me` and `other`: the one there is, or a new one.
        Two simultaneous starts of one pair get the same conversation."""
        me, other = _id(me, "your user id"), _id(other, "user_id")
        with self._connection() as conn:
            self._pair(conn, me, other)
            self.may_message(conn, me, other)
            with conn.transaction():
                store.lock_pair(conn, me, other)
                found = store.direct_between(conn, me, other)
                if found is not None:
                    return Started(found, created=False)
                return Started(store.insert_direct(conn, me, other), created=True)

    def _may_add(self, conn: Connection, me: int, user: int) -> None:
        """Refuse adding `user` to a group when there is a block between them and `me`."""
        if self.blocked_between(conn, me, user):
            raise errors.blocked_from_group(user)

    def create_group(self, me: int, name: Any, members: Any) -> ConversationView:
        """A new group `name` of `me` and `members` (the others): all of them or nothing
        (every member is checked first, then one statement writes the group and all its
        participants)."""
        me = _id(me, "your user id")
        name, ids = _group_name(name), _members(me, members)
        with self._connection() as conn:
            missing = store.missing_users(conn, ids)
            if missing:
                raise errors.no_such_user(missing[0])
            for user in ids:
                self._may_add(conn, me, user)
            group = store.insert_group(conn, me, name, ids)
            return ConversationView.of(store.conversation(conn, group))

    def add_participant(self, me: int, conversation: int, user: Any) -> ConversationView:
        """Add `user` to a group `me` takes part in (someone already in: nothing changes)."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        user = _id(user, "user_id")
        with self._connection() as conn:
            if self._member(conn, conversation, me)["conversation_type"] != "group":
                raise errors.not_a_group()
            if not store.user_exists(conn, user):
                raise errors.no_such_user(user)
            self._may_add(conn, me, user)
            store.add_participant(conn, conversation, user)
            return ConversationView.of(store.conversation(conn, conversation))

    def conversation(self, me: int, conversation: int) -> ConversationView:
        """A conversation `me` takes part in, with all its participants."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        with self._connection() as conn:
            self._member(conn, conversation, me)
            return ConversationView.of(store.conversation(conn, conversation))

    def _sendable(self, conn: Connection, conversation: int, me: int) -> None:
        """Refuse unless `me` may send into the conversation now."""
        participation = self._member(conn, conversation, me)
        if participation["conversation_type"] == "direct":
            for other in store.others_in(conn, conversation, me):
                self.may_message(conn, me, other)

    def _member(self, conn: Connection, conversation: int, me: int) -> dict[str, Any]:
        found = store.participation(conn, conversation, me)
        if found is None:
            raise errors.no_such_conversation()
        return found

    def send_text(self, me: int, conversation: int, text: Any) -> Message:
        """Send `text` into a conversation `me` takes part in."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT_CHARS:
            raise errors.bad_text(MAX_TEXT_CHARS)
        with self._connection() as conn:
            self._sendable(conn, conversation, me)
            return Message.of(store.insert_text(conn, conversation, me, text))

    def history(
        self, me: int, conversation: int, *, before: int | None = None, limit: int = DEFAULT_PAGE
    ) -> Page:
        """The messages `me` sees, newest first, a page at a time (cursor: `before`)."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        if before is not None:
            before = _id(before, "before")
        limit = _limit(limit)
        with self._connection() as conn:
            self._member(conn, conversation, me)
            rows = store.history(conn, conversation, me, before, limit + 1)
        messages = [Message.of(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(messages, messages[-1].id if more and messages else None)

    def mark_read(self, me: int, conversation: int, up_to: int) -> int:
        """`me` has read the conversation up to its message `up_to`; returns `me`'s read
        mark after (it never moves backwards)."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        up_to = _id(up_to, "up_to_message_id")
        with self._connection() as conn:
            self._member(conn, conversation, me)
            if not store.message_in(conn, conversation, up_to):
                raise errors.no_such_message()
            return store.mark_read(conn, conversation, me, up_to, datetime.now())

    def read_status(self, me: int, conversation: int) -> list[ReadMark]:
        """How far each other participant has read (ascending user id); None for one who
        read nothing or keeps read receipts off."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        with self._connection() as conn:
            self._member(conn, conversation, me)
            return self.visible_read_marks(conn, conversation, me)

    def conversations(
        self, me: int, *, limit: int = DEFAULT_PAGE, offset: int = 0
    ) -> list[ConversationSummary]:
        """`me`'s conversations, latest activity first, with the last message and unread count."""
        me, limit = _id(me, "your user id"), _limit(limit)
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise errors.bad_offset()
        with self._connection() as conn:
            rows = store.conversations_of(conn, me, limit, offset)
        return [ConversationSummary.of(r, me) for r in rows]

    def delete_for_me(self, me: int, conversation: int) -> None:
        """Hide the conversation's history so far from `me` only; others keep theirs."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        with self._connection() as conn:
            self._member(conn, conversation, me)
            self.clear_history(conn, conversation, me, datetime.now())

    def search(self, me: int, text: Any, *, limit: int = DEFAULT_PAGE) -> list[ConversationSummary]:
        """`me`'s conversations matching `text` by a participant's name or a message."""
        me, limit = _id(me, "your user id"), _limit(limit)
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_SEARCH_CHARS:
            raise errors.bad_search(MAX_SEARCH_CHARS)
        with self._connection() as conn:
            rows = store.search(conn, me, text.strip(), limit)
        return [ConversationSummary.of(r, me) for r in rows]

    # -- media ---------------------------------------------------------------------
    def upload(
        self, me: int, kind: str, content: bytes, claimed: str | None = None
    ) -> dict[str, Any]:
        """Store an image, file or voice note, its type and duration read from the bytes;
        returns its id and the URL that serves the same bytes back."""
        me = _id(me, "your user id")
        checked = inspect(kind, content, claimed)
        with self._connection() as conn:
            media_id = store.save_media(conn, me, checked, content)
        return {
            "id": media_id,
            "url": store.MEDIA_PATH + media_id,
            "mime": checked.mime,
            "size": checked.size,
            "duration_seconds": checked.duration_seconds,
        }

    def media(self, me: int, media_id: str) -> tuple[str, bytes]:
        """(type, bytes) of an upload, for its uploader and the conversations it was sent in."""
        me = _id(me, "your user id")
        with self._connection() as conn:
            if not _is_uuid(media_id) or not store.may_see_media(conn, media_id, me):
                raise errors.no_such_media()
            found = store.media(conn, media_id)
        assert found is not None
        return found["mime"], bytes(found["content"])

    def send_media(self, me: int, conversation: int, media_id: str) -> Message:
        """Send one of `me`'s uploads into a conversation."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        with self._connection() as conn:
            found = store.media(conn, media_id) if _is_uuid(media_id) else None
            if found is None or found["uploader_user_id"] != me:
                raise errors.no_such_media()
            self._sendable(conn, conversation, me)
            metadata = {  # the legacy media_metadata keys
                "mime_type": found["mime"],
                "size": found["size_bytes"],
                "duration": found["duration_seconds"],
            }
            url = store.MEDIA_PATH + media_id
            return Message.of(
                store.insert_media_message(conn, conversation, me, found["kind"], url, metadata)
            )

    def send_media_url(self, me: int, conversation: int, kind: str, url: Any) -> Message:
        """Send a link to media stored elsewhere: only a durable https URL is accepted."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        if kind not in store.MESSAGE_TYPE:
            raise errors.bad_media_kind(tuple(store.MESSAGE_TYPE))
        url = self.media_link(url)
        with self._connection() as conn:
            self._sendable(conn, conversation, me)
            return Message.of(store.insert_media_message(conn, conversation, me, kind, url, {}))

    # -- calls ---------------------------------------------------------------------
    def start_call(self, me: int, conversation: int, call_type: Any) -> dict[str, Any]:
        """Start a voice or video call in a conversation `me` may send into."""
        me, conversation = _id(me, "your user id"), _id(conversation, "conversation id")
        if call_type not in self.call_types:
            raise errors.bad_call_type(self.call_types)
        with self._connection() as conn:
            self._sendable(conn, conversation, me)
            users = [me, *store.others_in(conn, conversation, me)]
            return self.record_call(conn, conversation, me, call_type, users)

    def call_event(self, me: int, call_id: int, event: Any) -> dict[str, Any]:
        """Move a call on: ring, answer, decline, miss, cancel or end (CALL_EVENTS)."""
        me, call_id = _id(me, "your user id"), _id(call_id, "call id")
        if event not in CALL_EVENTS:
            raise errors.bad_call_event(tuple(CALL_EVENTS))
        before, after, who = CALL_EVENTS[event]
        with self._connection() as conn:
            found = store.call(conn, call_id)
            if found is None or store.participation(conn, found["conversation_id"], me) is None:
                raise errors.no_such_call()
            caller = found["caller_user_id"] == me
            if (who == "caller" and not caller) or (who == "callee" and caller):
                raise errors.not_the_callers(event, who)
            if found["status"] not in before:
                raise errors.call_not_in(found["status"], after, before)
            moved = store.move_call(conn, call_id, after, found["status"])
            if moved is None:  # another move won meanwhile
                current = store.call(conn, call_id)
                raise errors.call_not_in(current["status"] if current else "gone", after, before)
            return moved

    def calls(self, me: int, *, limit: int = DEFAULT_PAGE) -> list[dict[str, Any]]:
        """The calls of every conversation `me` takes part in, newest first (the keys of
        store.CALL_FIELDS)."""
        me, limit = _id(me, "your user id"), _limit(limit)
        with self._connection() as conn:
            return store.calls_of(conn, me, limit)

    # -- privacy -------------------------------------------------------------------
    def block(self, me: int, other: int) -> None:
        me, other = _id(me, "your user id"), _id(other, "user_id")
        with self._connection() as conn:
            self._pair(conn, me, other)
            store.block(conn, me, other)

    def unblock(self, me: int, other: int) -> None:
        me, other = _id(me, "your user id"), _id(other, "user_id")
        with self._connection() as conn:
            self.remove_block(conn, me, other)

    def blocked(self, me: int) -> list[int]:
        """The users `me` has blocked (an unblocked user is not among them)."""
        me = _id(me, "your user id")
        with self._connection() as conn:
            return self.blocked_list(conn, me)

    def settings(self, me: int) -> dict[str, Any]:
        me = _id(me, "your user id")
        with self._connection() as conn:
            return {**DEFAULT_SETTINGS, **(store.settings_of(conn, me) or {})}

    def update_settings(self, me: int, changes: Any) -> dict[str, Any]:
        """Change some of `me`'s privacy settings; the first change creates them."""
        me = _id(me, "your user id")
        if not isinstance(changes, dict) or not changes:
            raise errors.no_settings()
        unknown = sorted(set(changes) - set(_SETTING_RULES))
        if unknown:
            raise errors.unknown_settings(unknown, tuple(_SETTING_RULES))
        for name, value in changes.items():
            allowed, words = _SETTING_RULES[name]
            if type(value) is not type(allowed[0]) or value not in allowed:
                raise errors.bad_setting(name, words)
        with self._connection() as conn:
            return {**DEFAULT_SETTINGS, **self.store_settings(conn, me, changes)}
