"""Read state: mark read (a channel, a thread, everything), mark unread, delivery
receipts, and unread counts for one user or a batch, all from the stored messages."""

from __future__ import annotations

from typing import Any

from .. import texts, unread
from ..call import Call
from ..clock import stream_time
from ..errors import input_error, not_found
from ..models import AppState, Channel, Message, Read
from ..permissions import acting_user, require_channel_access
from ..render import user_ref
from ..validation import MAX_BATCH, check_batch, check_user_id, expect, optional, required

# Stream returns "the last 100 unread channels, sorted by last_message_at" (docs unread.md).
MAX_UNREAD_CHANNELS = 100


def _channel_message(app: AppState, channel: Channel, message_id: str) -> Message:
    message = app.messages.get(message_id)
    if message is None or message.cid != channel.cid:
        raise input_error(
            texts.MESSAGE_NOT_IN_CHANNEL.format(cid=channel.cid, message_id=message_id)
        )
    return message


def _thread(app: AppState, thread_id: str) -> str:
    if thread_id not in app.messages:
        raise input_error(texts.THREAD_NOT_FOUND.format(thread_id=thread_id))
    return thread_id


def mark_read(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/read (MarkRead): the user has read the channel up to
    now, or up to `message_id` (later messages stay unread), or, with `thread_id`, that
    thread."""
    app = call.app
    channel = call.channel()
    user_id = acting_user(call, call.body)
    require_channel_access(call, channel)
    message_id = optional(call.body, "message_id", str)
    if message_id is not None:
        _channel_message(app, channel, message_id)
    thread_id = optional(call.body, "thread_id", str)
    now = call.now
    if thread_id is not None:
        read = unread.mark_thread_read(app, _thread(app, thread_id), user_id, now)
    else:
        read = unread.mark_read(app, channel, user_id, now, message_id)
    return {
        "event": {
            "type": "message.read",
            "user": user_ref(app, user_id),
            "cid": channel.cid,
            "channel_type": channel.type,
            "channel_id": channel.id,
            "created_at": stream_time(now),
            "last_read_message_id": read.last_read_message_id,
            **({"thread_id": thread_id} if thread_id is not None else {}),
        }
    }


def mark_unread(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/unread (MarkUnread): `message_id` and every later message
    are unread again; with `thread_id`, the thread's replies by others are."""
    app = call.app
    channel = call.channel()
    user_id = acting_user(call, call.body)
    require_channel_access(call, channel)
    message_id = optional(call.body, "message_id", str)
    thread_id = optional(call.body, "thread_id", str)
    if (message_id is None) == (thread_id is None):
        raise input_error(texts.MARK_UNREAD_TARGET)
    if thread_id is not None:
        unread.mark_thread_unread(app, _thread(app, thread_id), user_id, call.now)
    else:
        unread.mark_unread(app, channel, user_id, _channel_message(app, channel, message_id or ""))
    return {}


def mark_all_read(call: Call) -> dict[str, Any]:
    """POST /channels/read (MarkChannelsRead): every channel of the user is read now."""
    app = call.app
    user_id = acting_user(call, call.body)
    now = call.now
    for channel in app.channels.values():
        if channel.deleted_at is None and user_id in channel.members:
            unread.mark_read(app, channel, user_id, now)
    return {}


def mark_delivered(call: Call) -> dict[str, Any]:
    """POST /channels/delivered (MarkDelivered): delivery receipts, shown in the channel's
    `read` state as `last_delivered_at` / `last_delivered_message_id`.

    UNCONFIRMED: a message id the channel does not hold is accepted and ignored (the
    SDK's own test sends made-up ids and expects success).
    """
    app, body = call.app, call.body
    user_id = acting_user(call, {"user_id": call.query.get("user_id"), **body})
    receipts = required(body, "latest_delivered_messages", list)
    if not receipts:
        raise input_error(texts.REQUIRED_FIELD.format(path="latest_delivered_messages"))
    check_batch(receipts, "latest_delivered_messages")
    found: list[tuple[Channel, Message | None]] = []
    for index, item in enumerate(receipts):
        path = f"latest_delivered_messages[{index}]"
        expect(item, dict, path)
        cid = required(item, "cid", str, f"{path}.cid")
        message_id = required(item, "id", str, f"{path}.id")
        channel = app.live_channel(cid)
        if channel is None:
            raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=cid))
        message = app.messages.get(message_id)
        found.append((channel, message if message is not None and message.cid == cid else None))
    now = call.now
    for channel, message in found:
        if message is not None and user_id in channel.members:
            read = channel.reads.setdefault(user_id, Read(last_read=channel.created_at))
            read.last_delivered_at = now
            read.last_delivered_message_id = message.id
    return {}


def _unread_counts(app: AppState, user_id: str) -> dict[str, Any]:
    """A user's unread channels (the latest 100 by last message), per type, and threads."""
    channels = []
    by_type: dict[str, dict[str, Any]] = {}
    for channel in app.channels.values():
        if channel.deleted_at is not None or user_id not in channel.members:
            continue
        count = unread.unread_for(app, user_id, channel)
        summary = by_type.setdefault(
            channel.type, {"channel_type": channel.type, "channel_count": 0, "unread_count": 0}
        )
        if not count:
            continue
        summary["channel_count"] += 1
        summary["unread_count"] += count
        read = channel.reads.get(user_id)
        channels.append(
            (
                channel.last_message_at or channel.created_at,
                {
                    "channel_id": channel.cid,
                    "unread_count": count,
                    "last_read": stream_time(read.last_read if read else channel.created_at),
                },
            )
        )
    channels.sort(key=lambda pair: pair[0], reverse=True)
    threads = [
        {
            "parent_message_id": parent_id,
            "unread_count": count,
            "last_read": stream_time(read.last_read),
            "last_read_message_id": read.last_read_message_id,
        }
        for parent_id, reads in app.thread_reads.items()
        if (read := reads.get(user_id)) is not None
        and _live_thread(app, parent_id)
        and (count := unread.thread_unread_for(app, user_id, parent_id))
    ]
    return {
        "total_unread_count": sum(c["unread_count"] for _, c in channels),
        "total_unread_threads_count": len(threads),
        "channels": [c for _, c in channels[:MAX_UNREAD_CHANNELS]],
        "channel_type": [s for s in by_type.values() if s["channel_count"]],
        "threads": threads,
    }


def _live_thread(app: AppState, parent_id: str) -> bool:
    parent = app.messages.get(parent_id)
    return (
        parent is not None
        and parent.deleted_at is None
        and app.live_channel(parent.cid) is not None
    )


def unread_counts(call: Call) -> dict[str, Any]:
    """GET /unread?user_id= (UnreadCounts): totals, per channel and type, and threads."""
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    return _unread_counts(call.app, user_id)


def unread_counts_batch(call: Call) -> dict[str, Any]:
    """POST /unread_batch (UnreadCountsBatch): the same per user; a user Stream cannot
    find is left out of `counts_by_user` (docs unread.md)."""
    app = call.app
    user_ids = required(call.body, "user_ids", list)
    check_batch(user_ids, "user_ids", MAX_BATCH)
    if not user_ids:
        raise input_error(texts.REQUIRED_FIELD.format(path="user_ids"))
    for index, user_id in enumerate(user_ids):
        check_user_id(user_id, f"user_ids[{index}]")
    return {
        "counts_by_user": {
            uid: _unread_counts(app, uid) for uid in user_ids if app.live_user(uid) is not None
        }
    }
