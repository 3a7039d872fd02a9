"""Read state: mark read, and unread counts."""

from __future__ import annotations

from typing import Any

from ..call import Call
from ..clock import stream_time
from ..errors import input_error
from ..models import Read
from ..permissions import acting_user, require_channel_access
from ..render import user_ref
from ..validation import optional


def mark_read(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/read (MarkRead): the user has read up to now (or a message)."""
    app = call.app
    channel = call.channel()
    user_id = acting_user(call, call.body)
    require_channel_access(call, channel)
    message_id = optional(call.body, "message_id", str)
    if message_id is not None and (
        message_id not in app.messages or app.messages[message_id].cid != channel.cid
    ):
        raise input_error(f"message {message_id} does not exist in channel {channel.cid}")
    now = call.now
    read = channel.reads.setdefault(user_id, Read(last_read=now))
    read.last_read = now
    read.unread_messages = 0
    read.last_read_message_id = message_id or (
        channel.message_ids[-1] if channel.message_ids else None
    )
    return {
        "event": {
            "type": "message.read",
            "user": user_ref(app, user_id),
            "cid": channel.cid,
            "channel_type": channel.type,
            "channel_id": channel.id,
            "created_at": stream_time(now),
            "last_read_message_id": read.last_read_message_id,
        }
    }


def unread_counts(call: Call) -> dict[str, Any]:
    """GET /unread?user_id= (UnreadCounts): totals and per channel for one user."""
    app = call.app
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    channels = []
    by_type: dict[str, dict[str, Any]] = {}
    for channel in app.channels.values():
        if channel.deleted_at is not None or user_id not in channel.members:
            continue
        read = channel.reads.get(user_id)
        unread = read.unread_messages if read else 0
        channels.append(
            {
                "channel_id": channel.cid,
                "unread_count": unread,
                "last_read": stream_time(read.last_read if read else channel.created_at),
            }
        )
        summary = by_type.setdefault(
            channel.type, {"channel_type": channel.type, "channel_count": 0, "unread_count": 0}
        )
        summary["channel_count"] += 1
        summary["unread_count"] += unread
    return {
        "total_unread_count": sum(c["unread_count"] for c in channels),
        "total_unread_threads_count": 0,
        "channels": channels,
        "channel_type": list(by_type.values()),
        "threads": [],
    }
