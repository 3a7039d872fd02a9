"""Turn models into Stream's JSON shapes (custom fields flattened on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import unread
from .call import Call
from .channel_config import config_for
from .clock import stream_time
from .models import AppState, Channel, Member, Message, Reaction, Role, Task, User


def viewer_of(call: Call) -> str | None:
    """Whom an answer is for: the token's user client-side; None server-side, which
    sees every message as stored (shadowed ones flagged) and has no own reactions."""
    return None if call.principal.server else call.principal.user_id


def hidden_from(record: Message, viewer: str | None) -> bool:
    """True if `viewer` may not see the message at all: another user's shadowed message
    (a shadow-banned user's messages reach nobody but their author)."""
    return viewer is not None and record.shadowed and record.user_id != viewer


def _time(value: Any) -> Any:
    return stream_time(value) if value is not None else None


def _stamp(body: dict[str, Any], **times: datetime | None) -> None:
    """Add each optional timestamp that is set; Stream omits the unset ones."""
    for name, value in times.items():
        if value is not None:
            body[name] = stream_time(value)


def user(record: User, app: AppState | None = None) -> dict[str, Any]:
    """A FullUser as the v1 API returns it; `app` adds ban and block state."""
    ban = app.active_ban(record.id) if app is not None else None
    blocked = (
        sorted(b.blocked_user_id for b in app.blocks.values() if b.user_id == record.id)
        if app is not None and app.blocks
        else []
    )
    # A custom field of a fixed name keeps its place and takes the fixed value, as
    # dict.update would do.
    body: dict[str, Any] = {
        **record.custom,
        "id": record.id,
        "role": record.role,
        "teams": list(record.teams),
        "language": record.language,
        "created_at": stream_time(record.created_at),
        "updated_at": stream_time(record.updated_at),
        "banned": ban is not None and not ban.shadow,
        "online": False,
        "invisible": record.invisible,
        "shadow_banned": ban is not None and ban.shadow,
        "blocked_user_ids": blocked,
    }
    if record.teams_role is not None:
        body["teams_role"] = dict(record.teams_role)
    _stamp(body, deactivated_at=record.deactivated_at, deleted_at=record.deleted_at)
    return body


def user_ref(app: AppState, user_id: str | None) -> dict[str, Any] | None:
    """The embedded user object; a minimal stub if the user was hard-deleted."""
    if user_id is None:
        return None
    record = app.users.get(user_id)
    if record is None:
        return {"id": user_id, "role": "user", "banned": False, "online": False}
    return user(record, app)


def member(app: AppState, record: Member, cid: str | None = None) -> dict[str, Any]:
    """A ChannelMember of channel `cid`; `role` is the deprecated field kept by the API.

    `banned` / `shadow_banned` come from the member's ban (in the channel or app-wide),
    `notifications_muted` from its mute of the channel; without `cid` only app-wide
    bans count and nothing is muted.
    """
    if record.is_owner:
        legacy_role = "owner"
    elif record.is_moderator:
        legacy_role = "moderator"
    else:
        legacy_role = "member"
    ban = app.active_ban(record.user_id, cid)
    body: dict[str, Any] = dict(record.custom)
    body.update(
        user_id=record.user_id,
        user=user_ref(app, record.user_id),
        created_at=stream_time(record.created_at),
        updated_at=stream_time(record.updated_at),
        banned=ban is not None and not ban.shadow,
        shadow_banned=ban is not None and ban.shadow,
        role=legacy_role,
        channel_role=record.channel_role,
        is_moderator=record.is_moderator,
        notifications_muted=cid is not None and app.channel_muted(record.user_id, cid),
    )
    if record.invited:
        body["invited"] = True
    _stamp(
        body,
        invite_accepted_at=record.invite_accepted_at,
        invite_rejected_at=record.invite_rejected_at,
        pinned_at=record.pinned_at,
        archived_at=record.archived_at,
    )
    return body


def channel(app: AppState, record: Channel) -> dict[str, Any]:
    """A ChannelResponse: fixed fields plus flattened custom data."""
    body: dict[str, Any] = dict(record.custom)
    config = config_for(app, record)
    body.update(
        id=record.id,
        type=record.type,
        cid=record.cid,
        created_at=stream_time(record.created_at),
        updated_at=stream_time(record.updated_at),
        created_by=user_ref(app, record.created_by_id),
        frozen=bool(record.custom.get("frozen", False)),
        disabled=bool(record.custom.get("disabled", False)),
        member_count=len(record.members),
        filter_tags=list(record.filter_tags),
        config={k: _time(v) if k in ("created_at", "updated_at") else v for k, v in config.items()},
    )
    _stamp(
        body,
        last_message_at=record.last_message_at,
        deleted_at=record.deleted_at,
        truncated_at=record.truncated_at,
    )
    return body


def message(
    app: AppState,
    record: Message,
    *,
    viewer: str | None = None,
    show_deleted: bool = False,
    quote: bool = True,
) -> dict[str, Any]:
    """A MessageResponse as `viewer` sees it (see `viewer_of`); a soft-deleted message, or one
    the viewer deleted for themselves, loses its text unless asked for. A quoting
    message carries the quoted one as `quoted_message` (one level deep)."""
    for_me = viewer is not None and viewer in record.deleted_for
    deleted = record.deleted_at is not None or for_me
    body: dict[str, Any] = {} if deleted and not show_deleted else dict(record.custom)
    text = "" if deleted and not show_deleted else record.text
    body.update(
        id=record.id,
        text=text,
        html=f"<p>{text}</p>\n" if text else "",
        type="deleted" if deleted else record.type,
        user=user_ref(app, record.user_id),
        attachments=list(record.attachments),
        **reaction_summary(app, record.id),
        own_reactions=[
            reaction(app, r) for r in app.reactions.get(record.id, []) if r.user_id == viewer
        ],
        reply_count=record.reply_count,
        deleted_reply_count=_deleted_replies(app, record),
        cid=record.cid,
        created_at=stream_time(record.created_at),
        updated_at=stream_time(record.updated_at),
        shadowed=record.shadowed,
        mentioned_users=[user_ref(app, uid) for uid in record.mentioned_users],
        silent=record.silent,
        restricted_visibility=[],
        **_pin(app, record),
    )
    if record.i18n:
        body["i18n"] = dict(record.i18n)
    if record.command is not None:
        body["command"] = record.command
    if record.parent_id is not None:
        body["parent_id"] = record.parent_id
        if record.show_in_channel is not None:
            body["show_in_channel"] = record.show_in_channel
    quoted = app.messages.get(body.get("quoted_message_id") or "")
    if quote and quoted is not None:
        body["quoted_message"] = message(app, quoted, viewer=viewer, quote=False)
    if for_me:
        # The JS SDK's MessageResponse has `deleted_for_me`; UNCONFIRMED that Stream's
        # reads show the message as `type: deleted` (the JS SDK does after the delete).
        body["deleted_for_me"] = True
    if record.deleted_at is not None:
        body["deleted_at"] = stream_time(record.deleted_at)
    return body


def _deleted_replies(app: AppState, record: Message) -> int:
    """The soft-deleted replies of a thread parent (a thread has read state from its
    first reply on, so other messages are not scanned)."""
    if record.id not in app.thread_reads:
        return 0
    return sum(
        1 for m in app.messages.values() if m.parent_id == record.id and m.deleted_at is not None
    )


def _pin(app: AppState, record: Message) -> dict[str, Any]:
    """pinned, pinned_at, pinned_by and pin_expires; an expired pin reads as unpinned."""
    if not record.pinned(app.clock.now()):
        return {"pinned": False, "pinned_at": None, "pinned_by": None, "pin_expires": None}
    return {
        "pinned": True,
        "pinned_at": _time(record.pinned_at),
        "pinned_by": user_ref(app, record.pinned_by_id),
        "pin_expires": _time(record.pin_expires),
    }


def reaction(app: AppState, record: Reaction) -> dict[str, Any]:
    body: dict[str, Any] = dict(record.custom)
    body.update(
        message_id=record.message_id,
        user_id=record.user_id,
        user=user_ref(app, record.user_id),
        type=record.type,
        score=record.score,
        created_at=stream_time(record.created_at),
        updated_at=stream_time(record.updated_at),
    )
    return body


def reaction_summary(app: AppState, message_id: str) -> dict[str, Any]:
    """latest_reactions (newest 10), reaction_counts, reaction_scores, reaction_groups."""
    reactions = app.reactions.get(message_id, [])
    counts: dict[str, int] = {}
    scores: dict[str, int] = {}
    groups: dict[str, dict[str, Any]] = {}
    for r in reactions:
        counts[r.type] = counts.get(r.type, 0) + 1
        scores[r.type] = scores.get(r.type, 0) + r.score
        group = groups.setdefault(
            r.type, {"count": 0, "sum_scores": 0, "first_reaction_at": stream_time(r.created_at)}
        )
        group["count"] += 1
        group["sum_scores"] += r.score
        group["last_reaction_at"] = stream_time(r.created_at)
    return {
        "latest_reactions": [reaction(app, r) for r in reversed(reactions[-10:])],
        "reaction_counts": counts,
        "reaction_scores": scores,
        "reaction_groups": groups or None,
    }


def channel_state(
    app: AppState,
    record: Channel,
    *,
    message_limit: int = 25,
    member_limit: int | None = None,
    member_offset: int = 0,
    viewer: str | None = None,
) -> dict[str, Any]:
    """A ChannelStateResponse as `viewer` sees it: channel, members, latest messages
    (without others' shadowed ones) and read state."""
    visible = [
        app.messages[mid]
        for mid in record.message_ids
        if mid in app.messages
        and not app.messages[mid].pending
        and not hidden_from(app.messages[mid], viewer)
        and (app.messages[mid].parent_id is None or app.messages[mid].show_in_channel)
        and (record.truncated_at is None or app.messages[mid].created_at > record.truncated_at)
    ]
    latest = visible[-message_limit:] if message_limit > 0 else []
    now = app.clock.now()
    # The channel's latest pinned messages, newest pin first (UNCONFIRMED: 10, as the docs say).
    pinned = sorted(
        (m for m in visible if m.pinned(now)), key=lambda m: m.pinned_at or now, reverse=True
    )[:10]
    members = list(record.members.values())[member_offset:]
    if member_limit is not None:
        members = members[:member_limit]
    return {
        "channel": channel(app, record),
        "members": [member(app, m, record.cid) for m in members],
        "messages": [message(app, m, viewer=viewer) for m in latest],
        "pinned_messages": [message(app, m, viewer=viewer) for m in pinned],
        "threads": [],
        "read": [_read(app, record, uid) for uid in record.members],
        "watcher_count": 0,
        "watchers": [],
    }


def _read(app: AppState, channel: Channel, user_id: str) -> dict[str, Any]:
    """A member's read state (read from when they joined until they read or send), its
    unread count from the stored messages; the message ids and delivery once known."""
    record = channel.reads.get(user_id)
    body: dict[str, Any] = {
        "user": user_ref(app, user_id),
        "last_read": stream_time(
            record.last_read if record is not None else channel.members[user_id].created_at
        ),
        "unread_messages": unread.unread_for(app, user_id, channel),
    }
    if record is None:
        return body
    if record.last_read_message_id:
        body["last_read_message_id"] = record.last_read_message_id
    if record.last_delivered_message_id:
        body["last_delivered_message_id"] = record.last_delivered_message_id
    _stamp(body, last_delivered_at=record.last_delivered_at)
    return body


def task(record: Task) -> dict[str, Any]:
    """A GetTaskResponse body (without duration)."""
    body: dict[str, Any] = {
        "task_id": record.id,
        "status": record.status,
        "created_at": stream_time(record.created_at),
        "updated_at": stream_time(record.updated_at),
        "result": record.result,
    }
    if record.error is not None:
        body["error"] = record.error
    return body


def role(record: Role) -> dict[str, Any]:
    """A Role (spec `Role`). UNCONFIRMED: `scopes` is empty, the fake keeps no grants."""
    return {
        "name": record.name,
        "custom": record.custom,
        "scopes": [],
        "created_at": stream_time(record.created_at),
        "updated_at": stream_time(record.updated_at),
    }
