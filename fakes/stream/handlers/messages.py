"""Message operations: send, get, update, delete."""

from __future__ import annotations

import copy
from typing import Any

from .. import render, texts
from ..call import Call
from ..clock import stream_time
from ..errors import input_error, not_allowed, not_found
from ..models import Message
from ..permissions import acting_user, require_channel_access
from ..posting import check_content, custom_fields, post_message
from ..validation import (
    check_user_id,
    query_bool,
    required,
)


def send_message(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/message (SendMessage)."""
    channel = call.channel()
    record = post_message(call, channel, required(call.body, "message", dict))
    return {"message": render.message(call.app, record)}


def _message(call: Call, *, allow_deleted: bool = True) -> Message:
    record = call.app.messages.get(call.params["message_id"])
    if record is None or (record.deleted_at is not None and not allow_deleted):
        raise not_found(texts.MESSAGE_NOT_FOUND.format(message_id=call.params["message_id"]))
    return record


def get_message(call: Call) -> dict[str, Any]:
    """GET /messages/{message_id} (GetMessage): the message with its channel."""
    app = call.app
    record = _message(call)
    channel = app.channels.get(record.cid)
    if channel is not None:
        require_channel_access(call, channel)
    body = render.message(app, record, show_deleted=query_bool(call.query, "show_deleted_message"))
    if channel is not None:
        body["channel"] = render.channel(app, channel)
    return {"message": body}


def update_message(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id} (UpdateMessage): replace text, attachments, custom."""
    app = call.app
    record = _message(call, allow_deleted=False)
    raw = required(call.body, "message", dict)
    if raw.get("id") not in (None, record.id):
        raise input_error(f"message.id {raw['id']} does not match the id in the path")
    if raw.get("user") is not None or raw.get("user_id") is not None or not call.principal.server:
        editor = acting_user(call, raw, "message")
        if not call.principal.server and editor != record.user_id:
            raise not_allowed(f"user {editor} cannot update a message of user {record.user_id}")
    channel = app.live_channel(record.cid)
    if channel is None:
        raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=record.cid))
    check_content(app, channel, raw)
    record.text = raw.get("text") or ""
    record.attachments = copy.deepcopy(raw.get("attachments") or [])
    record.mentioned_users = list(raw.get("mentioned_users") or [])
    record.custom = custom_fields(raw)
    record.updated_at = call.now
    return {"message": render.message(app, record)}


def delete_message(call: Call) -> dict[str, Any]:
    """DELETE /messages/{message_id} (DeleteMessage): soft, hard, or for one user."""
    app = call.app
    record = _message(call)
    hard = query_bool(call.query, "hard")
    if hard and not call.principal.server:
        raise input_error("hard delete messages is only allowed with server side auth")
    deleted_by = call.query.get("deleted_by")
    if deleted_by is not None:
        check_user_id(deleted_by, "deleted_by")
    if call.body.get("delete_for_me") is True or query_bool(call.query, "delete_for_me"):
        user = call.body.get("user") or {}
        user_id = user.get("id") if isinstance(user, dict) else None
        user_id = user_id or call.principal.user_id
        if not user_id:
            raise input_error("delete_for_me requires a user")
        record.deleted_for.add(user_id)
        return {"message": render.message(app, record)}
    now = call.now
    body_before = render.message(app, record)
    if hard:
        app.remove_message(record)
        body_before.update(type="deleted", deleted_at=stream_time(now))
        return {"message": body_before}
    if record.deleted_at is None:
        record.deleted_at = now
        record.updated_at = now
        parent = app.messages.get(record.parent_id) if record.parent_id else None
        if parent is not None:
            parent.reply_count = max(0, parent.reply_count - 1)
    return {"message": render.message(app, record)}
