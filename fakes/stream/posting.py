"""New messages from request bodies: checked and built, then stored by the state model.

Shared by SendMessage and the message an UpdateChannel or TruncateChannel may carry.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

from . import blocks, texts
from .call import Call
from .channel_config import config_for, require_feature
from .errors import ErrorCode, StreamError, input_error, not_allowed
from .models import AppState, Channel, Flag, Message
from .permissions import acting_user, require_channel_access, role_of
from .validation import (
    MAX_MESSAGE_ID,
    RESERVED_MESSAGE_FIELDS,
    check_reserved,
    check_user_id,
    expect,
    optional,
)

# Fields with a fixed meaning; everything else is custom data, flattened. The checked
# `quoted_message_id` stays with the custom data, where render finds it.
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
        "pinned",
        "pin_expires",
    }
)
_SENDABLE_TYPES = ("regular", "system")
_MAX_ATTACHMENTS = 30
# The grant that lets a role use a frozen channel (docs "Freezing Channels"; no role
# has it by default).
USE_FROZEN_CHANNEL = "use-frozen-channel"
# UNCONFIRMED: the text of the error message a send to a frozen channel answers.
CHANNEL_FROZEN = "Message was not sent: the channel is frozen"


def check_content(app: AppState, channel: Channel, raw: dict[str, Any]) -> None:
    check_reserved(raw, RESERVED_MESSAGE_FIELDS, "message.")
    text = optional(raw, "text", str, "message.text") or ""
    limit = config_for(app, channel).get("max_message_length", 5000)
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
            raise input_error(texts.USER_DOES_NOT_EXIST.format(user_id=uid))
    optional(raw, "silent", bool, "message.silent")
    optional(raw, "show_in_channel", bool, "message.show_in_channel")
    _check_quote(app, channel, optional(raw, "quoted_message_id", str, "message.quoted_message_id"))


def _check_quote(app: AppState, channel: Channel, quoted_id: str | None) -> None:
    """A quote needs the channel's `quotes` and a message of the same channel."""
    if quoted_id is None:
        return
    require_feature(app, channel, "quotes")
    quoted = app.messages.get(quoted_id)
    if quoted is None or quoted.cid != channel.cid:
        # UNCONFIRMED text.
        raise input_error(f"quoted message {quoted_id} does not exist in channel {channel.cid}")


def may_use(call: Call, channel: Channel, user_id: str) -> bool:
    """False if the channel is frozen for `user_id`. Server-side calls skip Stream's
    permission checks, so they may; a client-side user may if the channel's grants give
    its role `use-frozen-channel` (UNCONFIRMED: grants are matched by role name only)."""
    if not channel.custom.get("frozen") or call.principal.server:
        return True
    grants = config_for(call.app, channel).get("grants") or {}
    return USE_FROZEN_CHANNEL in grants.get(role_of(call.app, user_id), [])


def error_message(record: Message, text: str) -> Message:
    """The `type: error` message Stream answers instead of storing `record`."""
    return dataclasses.replace(record, type="error", text=text, custom={})


def custom_fields(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in raw.items() if k not in _KNOWN_FIELDS}


def post_message(
    call: Call,
    channel: Channel,
    raw: Any,
    *,
    pending: bool = False,
) -> Message:
    """Check `raw` and store it as a new message in `channel`; nothing is written if it fails."""
    expect(raw, dict, "message")
    app = call.app
    author = acting_user(call, raw, "message")
    require_channel_access(call, channel, "CreateMessage")
    ban = app.active_ban(author, channel.cid)
    if ban is not None and not ban.shadow and not call.principal.server:
        # A shadow ban still lets the user post (the message is `shadowed`).
        raise not_allowed(texts.BANNED_FROM_SENDING)
    blocks.refuse_blocked_send(app, author, channel)
    check_content(app, channel, raw)
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
        custom=custom_fields(raw),
        pending=pending,
    )
    if not may_use(call, channel, author):
        # Docs: "Sending a message to a frozen channel returns an error message".
        return error_message(record, CHANNEL_FROZEN)
    if _giphy_query(app, channel, record.text) is not None:
        record.type, record.command = "ephemeral", "giphy"
        record.attachments = [giphy_attachment(record)]
    behavior = app.blocked_by(channel, record.text)
    if behavior == "block":
        # Not stored: the sender gets an error message back (UNCONFIRMED shape and text).
        return error_message(record, texts.MESSAGE_BLOCKED)
    app.add_message(channel, record)
    if behavior == "flag":
        app.flags.append(
            Flag(
                author,
                now,
                target_message_id=record.id,
                reason="blocklist",
                created_by_automod=True,
            )
        )
    return record


def _parent(app: AppState, channel: Channel, parent_id: str | None) -> Message | None:
    if parent_id is None:
        return None
    require_feature(app, channel, "replies")
    parent = app.messages.get(parent_id)
    if parent is None or parent.cid != channel.cid or parent.deleted_at is not None:
        # UNCONFIRMED text.
        raise input_error(f"parent message {parent_id} does not exist in channel {channel.cid}")
    if parent.parent_id is not None:
        raise StreamError(ErrorCode.MULTIPLE_NESTING_LEVEL, "replies to a reply are not allowed")
    return parent


_GIPHY = "/giphy "


def _giphy_query(app: AppState, channel: Channel, text: str) -> str | None:
    """The search of a `/giphy <query>` message, when the channel type has the command."""
    commands = config_for(app, channel).get("commands", [])
    if not text.startswith(_GIPHY) or "giphy" not in commands:
        return None
    return text[len(_GIPHY) :].strip() or None


def giphy_attachment(message: Message) -> dict[str, Any]:
    """The fake's deterministic giphy: the query and the shuffle count name the image.

    UNCONFIRMED: the fields beyond Stream's documented `type`, `title`, `thumb_url`.
    """
    query = message.text[len(_GIPHY) :].strip()
    slug = "-".join(query.split()) or "giphy"
    url = f"https://media.giphy.com/media/chatgate-{slug}-{message.shuffles}/giphy.gif"
    return {"type": "giphy", "title": query, "title_link": url, "thumb_url": url}
