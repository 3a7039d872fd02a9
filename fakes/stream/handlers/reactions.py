"""Reactions and thread replies."""

from __future__ import annotations

import copy
from typing import Any

from .. import render, texts
from ..call import Call
from ..channel_config import require_feature
from ..errors import input_error, not_found
from ..models import AppState, Channel, Message, Reaction
from ..permissions import acting_user, denied, require_channel_access
from ..posting import may_use
from ..validation import expect, int_in_range, optional, query_bool, query_int, required

MAX_REACTION_TYPE = 30
_KNOWN = frozenset({"type", "score", "user", "user_id", "message_id", "created_at", "updated_at"})


def _live_message(call: Call) -> tuple[Message, Channel | None]:
    """The addressed message (not deleted, not another user's shadowed one) and its channel."""
    record = call.app.messages.get(call.params["message_id"])
    if (
        record is None
        or record.deleted_at is not None
        or render.hidden_from(record, render.viewer_of(call))
    ):
        raise not_found(texts.MESSAGE_NOT_FOUND.format(message_id=call.params["message_id"]))
    channel = call.app.channels.get(record.cid)
    if channel is not None:
        require_channel_access(call, channel)
    return record, channel


def _unfrozen(call: Call, channel: Channel | None, user_id: str, action: str) -> None:
    """Code 17 for a reaction in a frozen channel the user may not use (docs: "403 Not
    Allowed"; UNCONFIRMED: the text is the permission error's, action CreateReaction or
    DeleteReaction)."""
    if channel is not None and not may_use(call, channel, user_id):
        raise denied(call.app, user_id, action, channel.type)


def _answer(call: Call, message: Message, reaction: Reaction) -> dict[str, Any]:
    viewer = render.viewer_of(call)
    return {
        "message": render.message(call.app, message, viewer=viewer),
        "reaction": render.reaction(call.app, reaction),
    }


def _check_type(kind: Any, path: str) -> str:
    expect(kind, str, path)
    if not kind:
        raise input_error(texts.REQUIRED_FIELD.format(path=path))
    if len(kind) > MAX_REACTION_TYPE:
        raise input_error(texts.MAX_LENGTH_EXCEEDED.format(path=path, limit=MAX_REACTION_TYPE))
    return kind


def send_reaction(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id}/reaction (SendReaction)."""
    app = call.app
    message, channel = _live_message(call)
    if channel is not None:
        require_feature(app, channel, "reactions")
    raw = required(call.body, "reaction", dict)
    kind = _check_type(raw.get("type"), "reaction.type")
    score = optional(raw, "score", int, "reaction.score")
    user_id = acting_user(call, raw, "reaction")
    _unfrozen(call, channel, user_id, "CreateReaction")
    enforce_unique = bool(optional(call.body, "enforce_unique", bool))
    now = call.now
    reactions = app.reactions.setdefault(message.id, [])
    existing = next((r for r in reactions if r.user_id == user_id and r.type == kind), None)
    replaced = [r for r in reactions if r.user_id == user_id and r is not existing]
    if enforce_unique:
        reactions[:] = [r for r in reactions if r.user_id != user_id or r is existing]
    call.updated_reaction = existing is not None or bool(enforce_unique and replaced)
    custom = {k: copy.deepcopy(v) for k, v in raw.items() if k not in _KNOWN}
    if existing is not None:
        existing.score = score if score is not None else existing.score
        existing.updated_at = now
        existing.custom = custom
        record = existing
    else:
        # A reaction that replaces the user's others (enforce_unique) keeps the first one's
        # creation time: it is an update of the user's reaction.
        created = replaced[0].created_at if enforce_unique and replaced else now
        record = Reaction(message.id, user_id, kind, score or 1, created, now, custom)
        reactions.append(record)
    message.updated_at = now
    return _answer(call, message, record)


def delete_reaction(call: Call) -> dict[str, Any]:
    """DELETE /messages/{message_id}/reaction/{type}?user_id= (DeleteReaction)."""
    app = call.app
    message, channel = _live_message(call)
    kind = call.params["type"]
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    _unfrozen(call, channel, user_id, "DeleteReaction")
    reactions = app.reactions.get(message.id, [])
    found = next((r for r in reactions if r.user_id == user_id and r.type == kind), None)
    if found is None:
        # UNCONFIRMED text.
        raise not_found(
            f'reaction "{kind}" of user {user_id} does not exist on message {message.id}'
        )
    reactions.remove(found)
    message.updated_at = call.now
    return _answer(call, message, found)


def get_reactions(call: Call) -> dict[str, Any]:
    """GET /messages/{message_id}/reactions (GetReactions): newest first."""
    message, _ = _live_message(call)
    limit = int_in_range(query_int(call.query, "limit", 10), "limit", 0, 300)
    offset = int_in_range(query_int(call.query, "offset", 0), "offset", 0, 1000)
    newest_first = list(reversed(call.app.reactions.get(message.id, [])))
    page = newest_first[offset : offset + limit]
    return {"reactions": [render.reaction(call.app, r) for r in page]}


def get_replies(call: Call) -> dict[str, Any]:
    """GET /messages/{parent_id}/replies (GetReplies): the latest `limit` replies, oldest first.

    UNCONFIRMED: `offset` is accepted and ignored. The SDK's own test expects the
    latest replies whatever the offset; paginate with id_lt/id_gt instead.
    """
    app = call.app
    parent = app.messages.get(call.params["message_id"])
    if parent is None:
        raise not_found(texts.MESSAGE_NOT_FOUND.format(message_id=call.params["message_id"]))
    channel = app.channels.get(parent.cid)
    if channel is not None:
        require_channel_access(call, channel)
    limit = int_in_range(query_int(call.query, "limit", 25), "limit", 0, 300)
    show_deleted = query_bool(call.query, "show_deleted_message")
    viewer = render.viewer_of(call)
    replies = sorted(
        (
            m
            for m in app.messages.values()
            if m.parent_id == parent.id and not m.pending and not render.hidden_from(m, viewer)
        ),
        key=lambda m: m.seq,
    )
    replies = [m for m in replies if m.deleted_at is None or show_deleted]
    replies = _paginate_by_id(app, replies, call.query)
    page = replies[-limit:] if limit else []
    return {
        "messages": [render.message(app, m, viewer=viewer, show_deleted=show_deleted) for m in page]
    }


def _paginate_by_id(app: AppState, messages: list[Message], query: dict[str, str]) -> list[Message]:
    for key, keep in (
        ("id_lt", lambda m, ref: m.seq < ref),
        ("id_lte", lambda m, ref: m.seq <= ref),
        ("id_gt", lambda m, ref: m.seq > ref),
        ("id_gte", lambda m, ref: m.seq >= ref),
    ):
        ref_id = query.get(key)
        if not ref_id:
            continue
        ref = app.messages.get(ref_id)
        if ref is None:
            raise input_error(f"{key} message {ref_id} does not exist")
        messages = [m for m in messages if keep(m, ref.seq)]
    return messages
