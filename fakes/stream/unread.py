"""Unread counts, recomputed from the stored messages and read marks.

A reader's mark in a channel (or a thread) is the message they last read
(`Read.last_read_message_id`); without one, every message from `Read.last_read`
on (for a channel member with no read state yet, from when they joined) is
after it. A message after the mark is unread for the reader unless it is:
deleted (or deleted for them), pending, their own, shadowed (UNCONFIRMED:
Stream shows a shadow-banned user's messages to nobody else, so they should not
count either), from a user the reader blocked (Stream's block docs: "Messages
from blocked users will not contribute to unread counts"), or added while the
reader had the channel muted (Stream's mute docs: "Messages added to muted
channels do not increase the unread messages count"). A channel counts the
messages shown in it (top-level or `show_in_channel`) and not before a
truncation; a thread counts its replies.

Marks are the only stored read state: sending a message moves its author's
(`AppState.publish`), `mark_read` and `mark_unread` move anyone's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from .models import AppState, Channel, Message, Read


def _muted_when_added(app: AppState, user_id: str, message: Message) -> bool:
    mute = app.channel_mutes.get((user_id, message.cid))
    return (
        mute is not None
        and mute.created_at <= message.created_at
        and (mute.expires is None or message.created_at < mute.expires)
    )


def unread_by(app: AppState, user_id: str, message: Message) -> bool:
    """True if `message` can count as unread for `user_id`, wherever their mark is."""
    return (
        message.deleted_at is None
        and user_id not in message.deleted_for
        and not message.pending
        and message.type != "ephemeral"
        and message.user_id != user_id
        and not message.shadowed
        and (user_id, message.user_id) not in app.blocks
        and not _muted_when_added(app, user_id, message)
    )


def _after(
    app: AppState, read: Read | None, since: datetime, messages: Iterable[Message]
) -> list[Message]:
    """The messages after the mark: past its message, else from `since` on."""
    anchor = app.messages.get(read.last_read_message_id or "") if read is not None else None
    if anchor is not None:
        return [m for m in messages if m.seq > anchor.seq]
    return [m for m in messages if m.created_at >= since]


def _channel_messages(app: AppState, channel: Channel) -> list[Message]:
    """The messages shown in the channel, oldest first."""
    found = (app.messages.get(mid) for mid in channel.message_ids)
    return sorted(
        (
            m
            for m in found
            if m is not None
            and (m.parent_id is None or bool(m.show_in_channel))
            and (channel.truncated_at is None or m.created_at > channel.truncated_at)
        ),
        key=lambda m: m.seq,
    )


def _replies(app: AppState, parent_id: str) -> list[Message]:
    """A thread's replies, oldest first."""
    replies = (m for m in app.messages.values() if m.parent_id == parent_id)
    return sorted(replies, key=lambda m: m.seq)


def unread_for(app: AppState, user_id: str, channel: Channel) -> int:
    """How many messages of `channel` are unread for `user_id` (0 for a non-member)."""
    member = channel.members.get(user_id)
    if member is None or channel.deleted_at is not None:
        return 0
    read = channel.reads.get(user_id)
    since = max(read.last_read, member.created_at) if read is not None else member.created_at
    after = _after(app, read, since, _channel_messages(app, channel))
    return sum(unread_by(app, user_id, m) for m in after)


def thread_unread_for(app: AppState, user_id: str, parent_id: str) -> int:
    """How many replies of the thread are unread for `user_id` (0 if not taking part)."""
    read = app.thread_reads.get(parent_id, {}).get(user_id)
    if read is None:
        return 0
    after = _after(app, read, read.last_read, _replies(app, parent_id))
    return sum(unread_by(app, user_id, m) for m in after)


def _latest(messages: list[Message]) -> str | None:
    return messages[-1].id if messages else None


def mark_read(
    app: AppState, channel: Channel, user_id: str, now: datetime, message_id: str | None = None
) -> Read:
    """The user has read `channel` up to `message_id` (default: its latest message)."""
    read = channel.reads.setdefault(user_id, Read(last_read=now))
    read.last_read = now
    read.last_read_message_id = message_id or _latest(_channel_messages(app, channel))
    return read


def mark_unread(app: AppState, channel: Channel, user_id: str, message: Message) -> Read:
    """`message` and every later one are unread again: the mark moves to the one before."""
    earlier = [m for m in _channel_messages(app, channel) if m.seq < message.seq]
    read = channel.reads.setdefault(user_id, Read(last_read=channel.created_at))
    read.last_read = earlier[-1].created_at if earlier else channel.created_at
    read.last_read_message_id = _latest(earlier)
    return read


def thread_read(app: AppState, parent_id: str, user_id: str, now: datetime) -> Read:
    """The user's read state in a thread, made (read now) if they had none."""
    return app.thread_reads.setdefault(parent_id, {}).setdefault(user_id, Read(last_read=now))


def mark_thread_read(app: AppState, parent_id: str, user_id: str, now: datetime) -> Read:
    """The user has read every reply of the thread."""
    read = thread_read(app, parent_id, user_id, now)
    read.last_read = now
    read.last_read_message_id = _latest(_replies(app, parent_id))
    return read


def mark_thread_unread(app: AppState, parent_id: str, user_id: str, now: datetime) -> Read:
    """Every reply of the thread is unread again."""
    read = thread_read(app, parent_id, user_id, now)
    parent = app.messages[parent_id]
    read.last_read = parent.created_at
    read.last_read_message_id = None
    return read
