"""Moderation: bans, mutes, user-level blocks and flags."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .. import render, texts
from ..call import Call
from ..clock import stream_time
from ..errors import input_error, not_found
from ..filters import compile_filter, parse_sort, sort_documents
from ..models import AppState, Ban, Block, ChannelMute, Flag, Mute
from ..permissions import acting_user
from ..validation import check_user_id, int_in_range, optional, query_bool, required


def _existing(app: AppState, user_id: Any, path: str) -> str:
    check_user_id(user_id, path)
    if app.live_user(user_id) is None:
        raise input_error(texts.USER_DOES_NOT_EXIST.format(user_id=user_id))
    return str(user_id)


def _ban_scope(call: Call, source: dict[str, Any]) -> str | None:
    """The channel a ban applies to (`type`+`id` or `channel_cid`), None for app-wide."""
    cid = source.get("channel_cid")
    if source.get("type") and source.get("id"):
        cid = f"{source['type']}:{source['id']}"
    if cid is None:
        return None
    if call.app.live_channel(str(cid)) is None:
        raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=cid))
    return str(cid)


# Ten years in minutes; UNCONFIRMED upper bound (the live limit is not documented).
MAX_TIMEOUT_MINUTES = 10 * 365 * 24 * 60


def _expiry(call: Call, body: dict[str, Any]) -> datetime | None:
    """When a ban or mute with `timeout` (minutes) ends; None without a timeout.

    The timeout is bounded, and an end past year 9999 is still code 4, never a crash.
    """
    value = body.get("timeout")
    if value is None:
        return None
    minutes = int_in_range(value, "timeout", 1, MAX_TIMEOUT_MINUTES)
    try:
        return call.now + timedelta(minutes=minutes)
    except OverflowError:
        # UNCONFIRMED text.
        raise input_error(f"timeout of {minutes} minutes ends after the year 9999") from None


def _ban_json(app: AppState, ban: Ban) -> dict[str, Any]:
    body: dict[str, Any] = {
        "user": render.user_ref(app, ban.target_id),
        "banned_by": render.user_ref(app, ban.created_by_id),
        "created_at": stream_time(ban.created_at),
        "shadow": ban.shadow,
    }
    if ban.channel_cid is not None:
        channel = app.channels.get(ban.channel_cid)
        body["channel"] = render.channel(app, channel) if channel else {"cid": ban.channel_cid}
    if ban.reason is not None:
        body["reason"] = ban.reason
    if ban.expires is not None:
        body["expires"] = stream_time(ban.expires)
    return body


def ban_user(call: Call) -> dict[str, Any]:
    """POST /moderation/ban (Ban): app-wide or in one channel; `timeout` in minutes."""
    app, body = call.app, call.body
    target = _existing(app, required(body, "target_user_id", str), "target_user_id")
    by = body.get("banned_by_id") or body.get("user_id")
    if isinstance(body.get("banned_by"), dict):
        by = body["banned_by"].get("id", by)
    if by is not None:
        by = _existing(app, by, "banned_by_id")
    elif not call.principal.server:
        by = call.principal.user_id
    expires = _expiry(call, body)
    reason = optional(body, "reason", str)
    shadow = bool(optional(body, "shadow", bool))
    future_channels = bool(optional(body, "ban_from_future_channels", bool))
    cid = _ban_scope(call, body)
    now = call.now
    app.bans = [b for b in app.bans if not (b.target_id == target and b.channel_cid == cid)]
    app.bans.append(
        Ban(
            target_id=target,
            created_by_id=by,
            created_at=now,
            channel_cid=cid,
            reason=reason,
            expires=expires,
            shadow=shadow,
            future_channels=future_channels,
        )
    )
    return {}


def unban_user(call: Call) -> dict[str, Any]:
    """DELETE /moderation/ban?target_user_id= (Unban): lifts the user's ban in its scope;
    with `shadow=true` (`remove_shadow_ban`) only a shadow ban.

    UNCONFIRMED: that a plain unban lifts a shadow ban too.
    """
    app = call.app
    target = call.query.get("target_user_id")
    if not target:
        raise input_error(texts.REQUIRED_FIELD.format(path="target_user_id"))
    check_user_id(target, "target_user_id")
    cid = _ban_scope(call, call.query)
    shadow_only = query_bool(call.query, "shadow")
    app.bans = [
        b
        for b in app.bans
        if not (b.target_id == target and b.channel_cid == cid and (b.shadow or not shadow_only))
    ]
    return {}


def _expired(ban: Ban, now: datetime) -> bool:
    return ban.expires is not None and ban.expires <= now


def query_banned_users(call: Call) -> dict[str, Any]:
    """GET /query_banned_users?payload= (QueryBannedUsers): expired bans too, unless
    `exclude_expired_bans` (an opt-in in both SDKs' options: UNCONFIRMED default)."""
    app = call.app
    payload = call.payload()
    match = compile_filter(required(payload, "filter_conditions", dict))
    sort = parse_sort(payload.get("sort")) or [("created_at", -1)]
    limit = int_in_range(payload.get("limit", 25), "limit", 0, 100)
    offset = int_in_range(payload.get("offset", 0), "offset", 0, 1000)
    exclude_expired = bool(optional(payload, "exclude_expired_bans", bool))
    now = call.now
    docs = []
    for ban in app.bans:
        if exclude_expired and _expired(ban, now):
            continue
        doc = {
            "user_id": ban.target_id,
            "banned_by_id": ban.created_by_id,
            "channel_cid": ban.channel_cid,
            "reason": ban.reason,
            "shadow": ban.shadow,
            "created_at": stream_time(ban.created_at),
        }
        if match(doc):
            docs.append((doc, ban))
    page = sort_documents(docs, sort)[offset : offset + limit]
    return {"bans": [_ban_json(app, ban) for _, ban in page]}


def _mute_json(app: AppState, mute: Mute) -> dict[str, Any]:
    body = {
        "user": render.user_ref(app, mute.user_id),
        "target": render.user_ref(app, mute.target_id),
        "created_at": stream_time(mute.created_at),
        "updated_at": stream_time(mute.updated_at),
    }
    if mute.expires is not None:  # absent, not null, without a timeout (SDK test)
        body["expires"] = stream_time(mute.expires)
    return body


def _targets(app: AppState, body: dict[str, Any]) -> list[str]:
    if body.get("target_ids") is not None:
        ids = required(body, "target_ids", list)
        return [_existing(app, t, f"target_ids[{i}]") for i, t in enumerate(ids)]
    return [_existing(app, required(body, "target_id", str), "target_id")]


def mute_user(call: Call) -> dict[str, Any]:
    """POST /moderation/mute (MuteUser): `mute` for one target, `mutes` for several."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    targets = _targets(app, body)
    expires = _expiry(call, body)
    now = call.now
    mutes = []
    for target in targets:
        mute = Mute(user_id, target, now, now, expires)
        previous = app.mutes.get((user_id, target))
        if previous is not None:
            mute.created_at = previous.created_at
        app.mutes[(user_id, target)] = mute
        mutes.append(_mute_json(app, mute))
    if body.get("target_ids") is not None:
        return {"mutes": mutes}
    return {"mute": mutes[0]}


def unmute_user(call: Call) -> dict[str, Any]:
    """POST /moderation/unmute (UnmuteUser)."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    for target in _targets(app, body):
        app.mutes.pop((user_id, target), None)
    return {}


def block_user(call: Call) -> dict[str, Any]:
    """POST /users/block (BlockUsers): user-level block."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    blocked = _existing(app, required(body, "blocked_user_id", str), "blocked_user_id")
    if blocked == user_id:
        raise input_error("a user cannot block themselves")
    block = app.blocks.get((user_id, blocked)) or Block(user_id, blocked, call.now)
    app.blocks[(user_id, blocked)] = block
    return {
        "blocked_by_user_id": user_id,
        "blocked_user_id": blocked,
        "created_at": stream_time(block.created_at),
    }


def unblock_user(call: Call) -> dict[str, Any]:
    """POST /users/unblock (UnblockUsers)."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    blocked = _existing(app, required(body, "blocked_user_id", str), "blocked_user_id")
    app.blocks.pop((user_id, blocked), None)
    return {}


def get_blocked_users(call: Call) -> dict[str, Any]:
    """GET /users/block?user_id= (GetBlockedUsers)."""
    app = call.app
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    return {
        "blocks": [
            {
                "user": render.user_ref(app, b.user_id),
                "user_id": b.user_id,
                "blocked_user": render.user_ref(app, b.blocked_user_id),
                "blocked_user_id": b.blocked_user_id,
                "created_at": stream_time(b.created_at),
            }
            for b in app.blocks.values()
            if b.user_id == user_id
        ]
    }


def _flag_target(app: AppState, body: dict[str, Any]) -> tuple[str | None, str | None]:
    user_target = body.get("target_user_id")
    message_target = body.get("target_message_id")
    if (user_target is None) == (message_target is None):
        raise input_error("either target_user_id or target_message_id must be provided")
    if user_target is not None:
        return _existing(app, user_target, "target_user_id"), None
    message = app.messages.get(str(message_target))
    if message is None:
        raise not_found(texts.MESSAGE_NOT_FOUND.format(message_id=message_target))
    return None, message.id


def _flag_json(app: AppState, flag: Flag) -> dict[str, Any]:
    body: dict[str, Any] = {
        "created_by_automod": flag.created_by_automod,
        "user": render.user_ref(app, flag.user_id),
        "created_at": stream_time(flag.created_at),
        "updated_at": stream_time(flag.created_at),
    }
    if flag.target_user_id is not None:
        body["target_user"] = render.user_ref(app, flag.target_user_id)
    if flag.target_message_id is not None:
        body["target_message_id"] = flag.target_message_id
    if flag.reason is not None:
        body["reason"] = flag.reason
    return body


def flag(call: Call) -> dict[str, Any]:
    """POST /moderation/flag (Flag): a user or a message."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    target_user, target_message = _flag_target(app, body)
    record = Flag(user_id, call.now, target_user, target_message, optional(body, "reason", str))
    app.flags.append(record)
    return {"flag": _flag_json(app, record)}


def unflag(call: Call) -> dict[str, Any]:
    """POST /moderation/unflag (Unflag)."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    target_user, target_message = _flag_target(app, body)
    for record in app.flags:
        if (record.user_id, record.target_user_id, record.target_message_id) == (
            user_id,
            target_user,
            target_message,
        ):
            app.flags.remove(record)
            return {"flag": _flag_json(app, record)}
    # UNCONFIRMED text.
    raise not_found("flag does not exist")


# `expiration` of a channel mute is in milliseconds (PROTO MuteChannelRequest); ten years at most.
MAX_CHANNEL_MUTE_MS = MAX_TIMEOUT_MINUTES * 60 * 1000


def _muted_channel(call: Call) -> str:
    cid = required(call.body, "channel_cid", str)
    if call.app.live_channel(cid) is None:
        raise input_error(texts.CHANNELS_DO_NOT_EXIST.format(cids=cid))
    return cid


def mute_channel(call: Call) -> dict[str, Any]:
    """POST /moderation/mute/channel (MuteChannel): the user mutes a channel; query
    channels then filters it with `muted`."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    cid = _muted_channel(call)
    expiration = body.get("expiration")
    now = call.now
    expires = (
        now + timedelta(milliseconds=int_in_range(expiration, "expiration", 1, MAX_CHANNEL_MUTE_MS))
        if expiration is not None
        else None
    )
    previous = app.channel_mutes.get((user_id, cid))
    mute = ChannelMute(user_id, cid, previous.created_at if previous else now, now, expires)
    app.channel_mutes[(user_id, cid)] = mute
    body_out: dict[str, Any] = {
        "user": render.user_ref(app, user_id),
        "channel": render.channel(app, app.channels[cid]),
        "created_at": stream_time(mute.created_at),
        "updated_at": stream_time(mute.updated_at),
    }
    if expires is not None:
        body_out["expires"] = stream_time(expires)
    return {"channel_mute": body_out}


def unmute_channel(call: Call) -> dict[str, Any]:
    """POST /moderation/unmute/channel (UnmuteChannel)."""
    user_id = acting_user(call, call.body)
    cid = _muted_channel(call)
    call.app.channel_mutes.pop((user_id, cid), None)
    return {}


def query_message_flags(call: Call) -> dict[str, Any]:
    """GET /moderation/flags/message?payload= (QueryMessageFlags): flags on messages,
    filtered by `channel_cid`, `user_id` (the flagged message's author, as the SDK's test
    filters), `message_id`, `created_at`; newest first."""
    app = call.app
    payload = call.payload()
    match = compile_filter(optional(payload, "filter_conditions", dict) or {})
    limit = int_in_range(payload.get("limit", 25), "limit", 0, 100)
    offset = int_in_range(payload.get("offset", 0), "offset", 0, 1000)
    docs = []
    for record in reversed(app.flags):
        message = app.messages.get(record.target_message_id or "")
        if message is None:
            continue
        doc = {
            "message_id": message.id,
            "channel_cid": message.cid,
            "user_id": message.user_id,
            "flagged_by_id": record.user_id,
            "created_at": stream_time(record.created_at),
        }
        if match(doc):
            docs.append({**_flag_json(app, record), "message": render.message(app, message)})
    return {"flags": docs[offset : offset + limit]}


def query_future_channel_bans(call: Call) -> dict[str, Any]:
    """GET /query_future_channel_bans?payload= (QueryFutureChannelBans): the bans made with
    `ban_from_future_channels`, by `user_id` when given, newest first."""
    app = call.app
    payload = call.payload()
    by = optional(payload, "user_id", str)
    target = optional(payload, "target_user_id", str)
    exclude_expired = bool(optional(payload, "exclude_expired_bans", bool))
    limit = int_in_range(payload.get("limit", 25), "limit", 0, 100)
    offset = int_in_range(payload.get("offset", 0), "offset", 0, 1000)
    now = call.now
    bans = [
        ban
        for ban in reversed(app.bans)
        if ban.future_channels
        and by in (None, ban.created_by_id)
        and target in (None, ban.target_id)
        and not (exclude_expired and _expired(ban, now))
    ]
    return {"bans": [_ban_json(app, ban) for ban in bans[offset : offset + limit]]}
