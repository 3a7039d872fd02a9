"""Message operations: send, get, update, delete."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from .. import render
from ..call import Call
from ..clock import stream_time
from ..errors import ErrorCode, StreamError, input_error, not_allowed, not_found
from ..models import AppState, Channel, Message, Read
from ..permissions import acting_user, require_channel_access
from ..validation import (
    MAX_MESSAGE_ID,
    RESERVED_MESSAGE_FIELDS,
    check_reserved,
    check_user_id,
    expect,
    optional,
    query_bool,
    required,
)

# Fields with a fixed meaning; everything else is custom data, flattened.
_KNOWN_FIELDS = frozenset(
    {
        "id",
        "text",
        "type",
        "user",
        "user_id",
        "parent_id",
        "show_in_channel",
        "attachments",
        "mentioned_users",
        "silent",
        "html",
        "mml",
    }
)
_SENDABLE_TYPES = ("regular", "system")
_MAX_ATTACHMENTS = 30


def _check_content(app: AppState, channel: Channel, raw: dict[str, Any]) -> None:
    check_reserved(raw, RESERVED_MESSAGE_FIELDS, "message.")
    text = optional(raw, "text", str, "message.text") or ""
    limit = app.channel_types.get(channel.type, {}).get("max_message_length", 5000)
    if len(text) > limit:
        raise StreamError(
            ErrorCode.MESSAGE_TOO_LONG,
            f"message is too long: {len(text)} characters, the maximum is {limit}",
        )
    attachments = optional(raw, "attachments", list, "message.attachments") or []
    if len(attachments) > _MAX_ATTACHMENTS:
        raise input_error(f"message.attachments must contain at most {_MAX_ATTACHMENTS} items")
    for index, item in enumerate(attachments):
        expect(item, dict, f"message.attachments[{index}]")
    for index, uid in enumerate(optional(raw, "mentioned_users", list) or []):
        check_user_id(uid, f"message.mentioned_users[{index}]")
        if app.live_user(uid) is None:
            raise input_error(f"the user {uid} does not exist")
    optional(raw, "silent", bool, "message.silent")
    optional(raw, "show_in_channel", bool, "message.show_in_channel")


def _custom(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in raw.items() if k not in _KNOWN_FIELDS}


def post_message(call: Call, channel: Channel, raw: Any) -> Message:
    """Validate and store a new message in `channel`; shared by send and channel update."""
    expect(raw, dict, "message")
    app = call.app
    author = acting_user(call, raw, "message")
    require_channel_access(call, channel, "CreateMessage")
    _check_content(app, channel, raw)
    message_id = optional(raw, "id", str, "message.id")
    if message_id is not None:
        if not message_id or len(message_id) > MAX_MESSAGE_ID:
            raise input_error(f"message.id must be 1 to {MAX_MESSAGE_ID} characters")
        if "," in message_id or "%" in message_id:
            raise input_error('message.id cannot contain "," or "%"')
        if message_id in app.messages:
            # UNCONFIRMED text.
            raise input_error(f"a message with ID {message_id} already exists")
    kind = optional(raw, "type", str, "message.type") or "regular"
    if kind not in _SENDABLE_TYPES:
        raise input_error(f'message.type "{kind}" is not allowed, use one of regular, system')
    parent = _parent(app, channel, optional(raw, "parent_id", str, "message.parent_id"))
    now = call.now
    record = Message(
        id=message_id or app.ids.uuid(),
        cid=channel.cid,
        user_id=author,
        text=raw.get("text") or "",
        created_at=now,
        updated_at=now,
        seq=app.next_seq(),
        type="reply" if parent is not None else kind,
        parent_id=parent.id if parent is not None else None,
        show_in_channel=raw.get("show_in_channel"),
        attachments=copy.deepcopy(raw.get("attachments") or []),
        mentioned_users=list(raw.get("mentioned_users") or []),
        silent=bool(raw.get("silent", False)),
        custom=_custom(raw),
    )
    ban = app.active_ban(author, channel.cid)
    record.shadowed = ban is not None and ban.shadow
    channel.hidden_for.clear()  # a new message shows a hidden channel again
    app.messages[record.id] = record
    channel.message_ids.append(record.id)
    if parent is not None:
        parent.reply_count += 1
    if parent is None or record.show_in_channel:
        _count_unread(channel, author, record, now)
    return record


def _parent(app: AppState, channel: Channel, parent_id: str | None) -> Message | None:
    if parent_id is None:
        return None
    parent = app.messages.get(parent_id)
    if parent is None or parent.cid != channel.cid or parent.deleted_at is not None:
        # UNCONFIRMED text.
        raise input_error(f"parent message {parent_id} does not exist in channel {channel.cid}")
    if parent.parent_id is not None:
        raise StreamError(ErrorCode.MULTIPLE_NESTING_LEVEL, "replies to a reply are not allowed")
    return parent


def _count_unread(channel: Channel, author: str, record: Message, now: datetime) -> None:
    channel.last_message_at = now
    channel.updated_at = now
    for uid in channel.members:
        read = channel.reads.setdefault(uid, Read(last_read=channel.created_at))
        if uid == author:
            read.last_read = now
            read.unread_messages = 0
            read.last_read_message_id = record.id
        else:
            read.unread_messages += 1


def live_channel(call: Call) -> Channel:
    """The channel addressed by the path's type and id, or Stream's not-found error."""
    cid = f"{call.params['type']}:{call.params['id']}"
    channel = call.app.live_channel(cid)
    if channel is None:
        # UNCONFIRMED text; the live API mentions "Can't find channel".
        raise not_found(f'Can\'t find channel with id "{cid}"')
    return channel


def send_message(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/message (SendMessage)."""
    channel = live_channel(call)
    record = post_message(call, channel, required(call.body, "message", dict))
    return {"message": render.message(call.app, record)}


def _message(call: Call, *, allow_deleted: bool = True) -> Message:
    record = call.app.messages.get(call.params["message_id"])
    if record is None or (record.deleted_at is not None and not allow_deleted):
        # UNCONFIRMED text.
        raise not_found(f"message with id {call.params['message_id']} doesn't exist")
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
        raise not_found(f'Can\'t find channel with id "{record.cid}"')
    _check_content(app, channel, raw)
    record.text = raw.get("text") or ""
    record.attachments = copy.deepcopy(raw.get("attachments") or [])
    record.mentioned_users = list(raw.get("mentioned_users") or [])
    record.custom = _custom(raw)
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
