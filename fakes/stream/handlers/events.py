"""Events a backend sends: to a channel's members (SendEvent) or to one user
(SendUserCustomEvent). The fake has no WebSocket, so an event is checked and
answered; nobody receives it."""

from __future__ import annotations

import copy
from typing import Any

from .. import render, texts
from ..call import Call
from ..channel_config import require_feature
from ..clock import stream_time
from ..errors import ErrorCode, StreamError, input_error, not_found
from ..permissions import acting_user, require_channel_access
from ..validation import check_user_id, required

# Event types Stream itself sends (docs webhooks/webhook_events.md and features/events.md);
# a client may not send them. UNCONFIRMED: the live check and its code (18) are not on record.
STREAM_EVENT_TYPES = frozenset(
    {
        "channel.created",
        "channel.deleted",
        "channel.hidden",
        "channel.truncated",
        "channel.updated",
        "channel.visible",
        "health.check",
        "member.added",
        "member.removed",
        "member.updated",
        "message.deleted",
        "message.new",
        "message.read",
        "message.updated",
        "notification.added_to_channel",
        "notification.message_new",
        "notification.removed_from_channel",
        "reaction.deleted",
        "reaction.new",
        "reaction.updated",
        "user.banned",
        "user.deleted",
        "user.muted",
        "user.presence.changed",
        "user.unbanned",
        "user.updated",
        "user.watching.start",
        "user.watching.stop",
    }
)
_TYPING = frozenset({"typing.start", "typing.stop"})


def _event_type(event: dict[str, Any]) -> str:
    kind = required(event, "type", str, "event.type")
    if not kind:
        raise input_error(texts.REQUIRED_FIELD.format(path="event.type"))
    if kind in STREAM_EVENT_TYPES:
        raise StreamError(
            ErrorCode.EVENT_NOT_SUPPORTED, texts.EVENT_TYPE_RESERVED.format(type=kind)
        )
    return kind


def _custom(event: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in event.items() if k not in ("user", "user_id")}


def send_event(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/event (SendEvent): typing or a custom event; each needs
    its channel type's `typing_events` / `custom_events` (code 19 otherwise)."""
    app = call.app
    channel = call.channel()
    event = required(call.body, "event", dict)
    kind = _event_type(event)
    user_id = acting_user(call, event, "event")
    require_channel_access(call, channel, "SendCustomEvent")
    require_feature(app, channel, "typing_events" if kind in _TYPING else "custom_events")
    return {
        "event": {
            **_custom(event),
            "type": kind,
            "cid": channel.cid,
            "channel_id": channel.id,
            "channel_type": channel.type,
            "user": render.user_ref(app, user_id),
            "created_at": stream_time(call.now),
        }
    }


def send_user_custom_event(call: Call) -> dict[str, Any]:
    """POST /users/{user_id}/event (SendUserCustomEvent): a custom event to one user."""
    user_id = check_user_id(call.params["user_id"], "user_id")
    event = required(call.body, "event", dict)
    _event_type(event)
    if call.app.live_user(user_id) is None:
        raise not_found(texts.USER_NOT_FOUND.format(user_id=user_id))
    return {}
