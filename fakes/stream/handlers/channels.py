"""Channel operations: get-or-create (by id or distinct), query, update, delete."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from .. import blocks, render, texts, unread
from ..call import Call
from ..clock import parse_stream_time, stream_time
from ..errors import input_error, not_allowed, not_found
from ..filters import compile_filter, parse_sort, sort_documents
from ..models import CHANNEL_ROLES, AppState, Channel, Member, distinct_channel_id
from ..permissions import (
    act_as,
    acting_user,
    can_read,
    require_channel_access,
    require_create_channel,
)
from ..posting import post_message
from ..validation import (
    MAX_BATCH,
    RESERVED_CHANNEL_FIELDS,
    check_batch,
    check_channel_id,
    check_reserved,
    check_user_id,
    expect,
    int_in_range,
    optional,
    query_bool,
    required,
)

# The UpdateChannel body fields update_channel reads; the SDK's channel methods
# (add_members, invite_members, ...) all POST to that one route.
UPDATE_CHANNEL_FIELDS = frozenset(
    {
        "data",
        "add_members",
        "remove_members",
        "add_moderators",
        "demote_moderators",
        "assign_roles",
        "message",
        "invites",
        "accept_invite",
        "reject_invite",
        "user",
        "user_id",
        "add_filter_tags",
        "remove_filter_tags",
    }
)
MAX_FILTER_TAG = 255  # UNCONFIRMED bound


def missing_users_reason(missing: list[str], operation: str) -> str:
    """The exact "don't exist" text; several ids are space-separated (UNCONFIRMED, Go %v)."""
    return texts.USERS_DONT_EXIST.format(operation=operation, ids=" ".join(missing))


def _require_users(app: AppState, user_ids: list[str], operation: str) -> None:
    missing = [uid for uid in user_ids if not app.visible_user(uid)]
    app.propagation.channel_operation()
    if missing:
        raise input_error(missing_users_reason(list(dict.fromkeys(missing)), operation))


def _channel_type(app: AppState, name: str) -> None:
    if name not in app.channel_types:
        raise not_found(texts.CHANNEL_TYPE_NOT_FOUND.format(name=name))


def _member_entries(raw: Any, path: str) -> list[tuple[str, str | None]]:
    """Members given as ids or `{user_id, channel_role}` objects, de-duplicated."""
    expect(raw, list, path)
    check_batch(raw, path, MAX_BATCH)
    entries: dict[str, str | None] = {}
    for index, item in enumerate(raw):
        where = f"{path}[{index}]"
        role = None
        if isinstance(item, dict):
            user_id = item.get("user_id")
            if user_id is None and isinstance(item.get("user"), dict):
                user_id = item["user"].get("id")
            role = optional(item, "channel_role", str, f"{where}.channel_role")
            if role is not None and role not in CHANNEL_ROLES:
                raise input_error(f'{where}.channel_role "{role}" doesn\'t exist')
        else:
            user_id = item
        check_user_id(user_id, f"{where}.user_id" if isinstance(item, dict) else where)
        # UNCONFIRMED: duplicates are collapsed (a 2019 API rejected them).
        entries.setdefault(user_id, role)
    return list(entries.items())


def _creator(call: Call, data: dict[str, Any]) -> str:
    """The channel's creator; client-side always the token's user.

    UNCONFIRMED: live Stream's answer to a user token naming another creator is
    not on record; the fake refuses it like any other act on another's behalf.
    """
    created_by = data.get("created_by")
    created_by_id = data.get("created_by_id")
    if created_by is not None and created_by_id is not None:
        raise input_error("cannot set both data.created_by and data.created_by_id.")
    if created_by is not None:
        expect(created_by, dict, "data.created_by")
        created_by_id = created_by.get("id")
    created_by_id = act_as(call, created_by_id)
    if created_by_id is None:
        raise input_error(
            "either data.created_by or data.created_by_id must be provided when using "
            "server side auth."
        )
    return check_user_id(created_by_id, "data.created_by.id")


def _custom_data(data: dict[str, Any]) -> dict[str, Any]:
    check_reserved(data, RESERVED_CHANNEL_FIELDS, "data.")
    custom = {
        k: copy.deepcopy(v)
        for k, v in data.items()
        if k not in ("members", "created_by", "created_by_id", "id", "type")
    }
    optional(custom, "name", str, "data.name")
    optional(custom, "image", str, "data.image")
    optional(custom, "frozen", bool, "data.frozen")
    optional(custom, "disabled", bool, "data.disabled")
    return custom


def _state_options(body: dict[str, Any]) -> dict[str, Any]:
    messages = optional(body, "messages", dict) or {}
    members = optional(body, "members", dict) or {}
    return {
        "message_limit": int_in_range(messages.get("limit", 25), "messages.limit", 0, 300),
        "member_limit": int_in_range(members.get("limit", 100), "members.limit", 0, 300),
        "member_offset": int_in_range(members.get("offset", 0), "members.offset", 0, 10000),
    }


def get_or_create_channel(call: Call) -> dict[str, Any]:
    """POST /channels/{type}[/{id}]/query: GetOrCreateChannel / GetOrCreateDistinctChannel."""
    app = call.app
    channel_type = call.params["type"]
    _channel_type(app, channel_type)
    data = optional(call.body, "data", dict) or {}
    options = _state_options(call.body)
    creator = _creator(call, data)
    raw_members = data.get("members")
    entries = _member_entries(raw_members, "data.members") if raw_members is not None else []
    member_ids = [uid for uid, _ in entries]
    channel_id = call.params.get("id")
    distinct = channel_id is None
    if distinct:
        if len(member_ids) < 2:
            raise input_error("When using member based IDs specify at least 2 members")
        channel_id = distinct_channel_id(member_ids)
    channel = app.live_channel(f"{channel_type}:{channel_id}")
    if channel is None:
        require_create_channel(call, channel_type)
        if not distinct:
            check_channel_id(channel_id)
        custom = _custom_data(data)
        # "involved" covers the creator too (UNCONFIRMED; the 2020 API auto-created it).
        _require_users(app, [*member_ids, creator], "create")
        blocks.refuse_blocked_add(app, creator, member_ids)
        channel = app.create_channel(
            channel_type, channel_id, creator, entries, distinct=distinct, custom=custom
        )
    else:
        require_channel_access(call, channel)
    # On an existing channel `data` is ignored: create is a get-or-create.
    state = render.channel_state(app, channel, viewer=render.viewer_of(call), **options)
    _add_membership(call, channel, state)
    return state


def _add_membership(call: Call, channel: Channel, state: dict[str, Any]) -> None:
    """Client-side answers carry the caller's own member object as `membership`."""
    member = channel.members.get(call.principal.user_id or "")
    if member is not None:
        state["membership"] = render.member(call.app, member, channel.cid)


def query_channels(call: Call) -> dict[str, Any]:
    """POST /channels (QueryChannels): filter, sort and paginate channel states."""
    body, app = call.body, call.app
    match = compile_filter(required(body, "filter_conditions", dict))
    sort = parse_sort(body.get("sort")) or [("last_updated", -1)]
    limit = int_in_range(body.get("limit", 10), "limit", 0, 30)
    offset = int_in_range(body.get("offset", 0), "offset", 0, 1000)
    message_limit = int_in_range(body.get("message_limit", 25), "message_limit", 0, 300)
    member_limit = int_in_range(body.get("member_limit", 100), "member_limit", 0, 100)
    if call.principal.server and (body.get("watch") is True or body.get("presence") is True):
        # UNCONFIRMED text: the live API answers 400 (contract §4.2).
        raise input_error("watch and presence are only allowed with client side auth")
    user_id = optional(body, "user_id", str)
    if user_id is not None and app.live_user(check_user_id(user_id, "user_id")) is None:
        raise input_error(texts.USER_DOES_NOT_EXIST.format(user_id=user_id))
    viewer = call.principal.user_id or user_id
    conditions = body["filter_conditions"]
    want_hidden = conditions.get("hidden") is True
    docs = []
    for channel in sorted(app.channels.values(), key=lambda c: c.seq):
        if channel.deleted_at is not None or not can_read(call, channel):
            continue
        if viewer is not None and (viewer in channel.hidden_for) != want_hidden:
            continue
        doc = render.channel(app, channel)
        doc["members"] = list(channel.members)
        doc["hidden"] = viewer in channel.hidden_for if viewer else False
        doc["muted"] = app.channel_muted(viewer, channel.cid) if viewer else False
        own = channel.members.get(viewer or "")
        doc["pinned"] = own is not None and own.pinned_at is not None
        doc["archived"] = own is not None and own.archived_at is not None
        doc["last_updated"] = stream_time(
            max(channel.last_message_at or channel.created_at, channel.updated_at)
        )
        if match(doc):
            docs.append((doc, channel))
    page = sort_documents(docs, sort)[offset : offset + limit]
    states = []
    for _, channel in page:
        state = render.channel_state(
            app,
            channel,
            message_limit=message_limit,
            member_limit=member_limit,
            viewer=render.viewer_of(call),
        )
        _add_membership(call, channel, state)
        states.append(state)
    return {"channels": states}


def _user_list(body: dict[str, Any], key: str) -> list[str]:
    value = optional(body, key, list)
    if value is None:
        return []
    return [uid for uid, _ in _member_entries(value, key)]


def update_channel(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id} (UpdateChannel): data, members, moderators, roles, message."""
    app, body = call.app, call.body
    channel = call.channel()
    data = optional(body, "data", dict)
    custom = _custom_data(data) if data is not None else None
    add = _member_entries(body["add_members"], "add_members") if body.get("add_members") else []
    remove = _user_list(body, "remove_members")
    promote = _user_list(body, "add_moderators")
    demote = _user_list(body, "demote_moderators")
    roles = (
        _member_entries(body["assign_roles"], "assign_roles") if body.get("assign_roles") else []
    )
    invites = _user_list(body, "invites")
    add_tags = _tags(body, "add_filter_tags")
    remove_tags = _tags(body, "remove_filter_tags")
    if add and channel.distinct:
        raise not_allowed(
            "cannot add members to the distinct channel they don't belong to, please create a "
            "new distinct channel with the desired members"
        )
    if invites and channel.distinct:
        raise not_allowed(texts.DISTINCT_INVITE)
    _require_users(app, [uid for uid, _ in add] + promote + invites, "update")
    adder = call.principal.user_id or optional(body, "user_id", str)
    blocks.refuse_blocked_add(app, adder, [uid for uid, _ in add] + invites)
    answer = _invite_answer(call, channel)
    for user_id, role in roles:
        if user_id not in channel.members:
            # UNCONFIRMED text (the spec only says the request fails).
            raise input_error(texts.NOT_A_MEMBER.format(user_id=user_id, cid=channel.cid))
        if role is None:
            raise input_error(texts.REQUIRED_FIELD.format(path="assign_roles[].channel_role"))
    message_raw = optional(body, "message", dict)
    now = call.now
    # Everything else is validated; post_message validates before it writes,
    # so a bad message still leaves the channel untouched.
    message = post_message(call, channel, message_raw) if message_raw is not None else None
    if custom is not None:
        channel.custom = custom
    call.added_members = [uid for uid, _ in add if uid not in channel.members]
    for user_id, role in add:
        channel.add_member(user_id, now, role)
    for user_id in remove:
        channel.members.pop(user_id, None)
        channel.reads.pop(user_id, None)
    for user_id in promote:
        channel.add_member(user_id, now, "channel_moderator")
    for user_id in demote:
        if user_id in channel.members:
            channel.add_member(user_id, now, "channel_member")
    for user_id, role in roles:
        channel.add_member(user_id, now, role)
    for user_id in invites:
        if user_id not in channel.members:
            channel.add_member(user_id, now, None).invited = True
    if answer is not None:
        member, accepted = answer
        member.invite_accepted_at = now if accepted else None
        member.invite_rejected_at = None if accepted else now
        member.updated_at = now
    channel.filter_tags = [
        tag for tag in dict.fromkeys(channel.filter_tags + add_tags) if tag not in remove_tags
    ]
    channel.updated_at = now
    response: dict[str, Any] = {
        "channel": render.channel(app, channel),
        "members": [render.member(app, m, channel.cid) for m in channel.members.values()],
    }
    if message is not None:
        response["message"] = render.message(app, message)
    return response


def _tags(body: dict[str, Any], key: str) -> list[str]:
    tags = optional(body, key, list) or []
    check_batch(tags, key)
    for index, tag in enumerate(tags):
        expect(tag, str, f"{key}[{index}]")
        if not tag or len(tag) > MAX_FILTER_TAG:
            raise input_error(
                texts.MAX_LENGTH_EXCEEDED.format(path=f"{key}[{index}]", limit=MAX_FILTER_TAG)
            )
    return list(tags)


def _invite_answer(call: Call, channel: Channel) -> tuple[Member, bool] | None:
    """The invited member accepting (True) or rejecting (False), or None."""
    accept = optional(call.body, "accept_invite", bool)
    reject = optional(call.body, "reject_invite", bool)
    if not accept and not reject:
        return None
    if accept and reject:
        raise input_error(texts.ACCEPT_AND_REJECT)
    user_id = acting_user(call, call.body)
    member = channel.members.get(user_id)
    if member is None or not member.invited:
        raise input_error(texts.NOT_INVITED.format(user_id=user_id, cid=channel.cid))
    return member, bool(accept)


def delete_channel(call: Call) -> dict[str, Any]:
    """DELETE /channels/{type}/{id} (DeleteChannel): soft by default, hard on request."""
    app = call.app
    channel = call.channel()
    now = call.now
    channel.deleted_at = now
    body = render.channel(app, channel)
    app.delete_channel(channel, hard=query_bool(call.query, "hard_delete"), now=now)
    return {"channel": body}


def update_channel_partial(call: Call) -> dict[str, Any]:
    """PATCH /channels/{type}/{id} (UpdateChannelPartial): set and unset custom fields."""
    app, body = call.app, call.body
    channel = call.channel()
    to_set = optional(body, "set", dict) or {}
    to_unset = optional(body, "unset", list) or []
    custom = _custom_data(to_set)
    for index, key in enumerate(to_unset):
        expect(key, str, f"unset[{index}]")
    channel.custom.update(custom)
    for key in to_unset:
        channel.custom.pop(key, None)
    channel.updated_at = call.now
    return {
        "channel": render.channel(app, channel),
        "members": [render.member(app, m, channel.cid) for m in channel.members.values()],
    }


def truncate_channel(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/truncate (TruncateChannel): hide (or delete) the history."""
    app, body = call.app, call.body
    channel = call.channel()
    hard = bool(optional(body, "hard_delete", bool))
    truncated_at = optional(body, "truncated_at", str)
    now = call.now
    cutoff = _timestamp(truncated_at, "truncated_at") if truncated_at else now
    message_raw = optional(body, "message", dict)
    if message_raw is not None and body.get("user_id") and "user_id" not in message_raw:
        message_raw = {**message_raw, "user_id": body["user_id"]}
    for message_id in list(channel.message_ids):
        message = app.messages.get(message_id)
        if message is None or message.created_at > cutoff:
            continue
        if hard:
            app.remove_message(message)
        else:
            message.deleted_at = message.deleted_at or now
    channel.truncated_at = cutoff
    channel.updated_at = now
    response: dict[str, Any] = {"channel": render.channel(app, channel)}
    if message_raw is not None:
        response["message"] = render.message(app, post_message(call, channel, message_raw))
    return response


def _timestamp(text: str, path: str) -> datetime:
    try:
        return parse_stream_time(text)
    except ValueError:
        raise input_error(f'{path} "{text}" is not an RFC 3339 timestamp') from None


def hide_channel(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/hide (HideChannel): out of the user's lists until a message."""
    channel = call.channel()
    user_id = acting_user(call, call.body)
    require_channel_access(call, channel)
    channel.hidden_for.add(user_id)
    if optional(call.body, "clear_history", bool) and user_id in channel.members:
        unread.mark_read(call.app, channel, user_id, call.now)
    return {}


def show_channel(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/show (ShowChannel)."""
    channel = call.channel()
    user_id = acting_user(call, call.body)
    channel.hidden_for.discard(user_id)
    return {}


def delete_channels(call: Call) -> dict[str, Any]:
    """POST /channels/delete (DeleteChannels): batch, answered with a task id."""
    app, body = call.app, call.body
    cids = required(body, "cids", list)
    check_batch(cids, "cids")
    if not cids:
        raise input_error(texts.REQUIRED_FIELD.format(path="cids"))
    for index, cid in enumerate(cids):
        expect(cid, str, f"cids[{index}]")
        if ":" not in cid:
            raise input_error(f'cids[{index}] "{cid}" is not a valid cid (type:id)')
    hard = bool(optional(body, "hard_delete", bool))
    now = call.now
    result: dict[str, Any] = {}
    for cid in cids:
        channel = app.live_channel(cid)
        if channel is None:
            result[cid] = {"status": "error", "error": texts.CHANNEL_NOT_FOUND.format(cid=cid)}
            continue
        app.delete_channel(channel, hard=hard, now=now)
        result[cid] = {"status": "ok"}
    return {"task_id": app.new_task(result).id}


# Member fields a partial update may not touch (UNCONFIRMED beyond the server-owned ones).
_FIXED_MEMBER_FIELDS = frozenset(
    {"user_id", "user", "created_at", "updated_at", "channel_role", "role", "is_moderator"}
    | {"invited", "invite_accepted_at", "invite_rejected_at", "pinned_at", "archived_at"}
)


def update_member_partial(call: Call) -> dict[str, Any]:
    """PATCH /channels/{type}/{id}/member/{user_id} (UpdateMemberPartial): custom member
    fields, and `pinned` / `archived`, which set `pinned_at` / `archived_at` for that member
    (query channels with `user_id` filters on them)."""
    app, body = call.app, call.body
    channel = call.channel()
    user_id = check_user_id(act_as(call, call.params["user_id"]), "user_id")
    member = channel.members.get(user_id)
    if member is None:
        raise not_found(texts.NOT_A_MEMBER.format(user_id=user_id, cid=channel.cid))
    to_set = dict(optional(body, "set", dict) or {})
    to_unset = optional(body, "unset", list) or []
    for index, key in enumerate(to_unset):
        expect(key, str, f"unset[{index}]")
    check_reserved(to_set, _FIXED_MEMBER_FIELDS, "set.")
    check_reserved(dict.fromkeys(to_unset), _FIXED_MEMBER_FIELDS, "unset.")
    now = call.now
    for flag in ("pinned", "archived"):
        value = optional(to_set, flag, bool, f"set.{flag}")
        if flag in to_unset:
            value = False
        if value is not None:
            setattr(member, f"{flag}_at", now if value else None)
        to_set.pop(flag, None)
    member.custom.update(copy.deepcopy(to_set))
    for key in to_unset:
        member.custom.pop(key, None)
    member.updated_at = now
    return {"channel_member": render.member(app, member, channel.cid)}


def query_members(call: Call) -> dict[str, Any]:
    """GET /members?payload= (QueryMembers): one channel's members, filtered on the member
    (`id`/`user_id`, `name`, `channel_role`, `invite`, `created_at`, custom fields, ...)."""
    app = call.app
    payload = call.payload()
    kind = required(payload, "type", str)
    channel_id = required(payload, "id", str)
    cid = f"{kind}:{channel_id}"
    channel = app.live_channel(cid)
    if channel is None:
        raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=cid))
    require_channel_access(call, channel)
    match = compile_filter(optional(payload, "filter_conditions", dict) or {})
    sort = parse_sort(payload.get("sort")) or [("created_at", 1)]
    limit = int_in_range(payload.get("limit", 100), "limit", 0, 300)
    offset = int_in_range(payload.get("offset", 0), "offset", 0, 10000)
    docs = []
    for member in channel.members.values():
        body = render.member(app, member, cid)
        user = body.get("user") or {}
        doc = {
            **body,
            "id": member.user_id,
            "name": user.get("name"),
            "banned": app.active_ban(member.user_id, cid) is not None,
            "invite": _invite_state(member),
            "joined": not member.invited or member.invite_accepted_at is not None,
        }
        if match(doc):
            docs.append((doc, body))
    page = sort_documents(docs, sort)[offset : offset + limit]
    return {"members": [body for _, body in page]}


def _invite_state(member: Member) -> str:
    if member.invite_accepted_at is not None:
        return "accepted"
    if member.invite_rejected_at is not None:
        return "rejected"
    return "pending" if member.invited else "member"


BATCH_OPERATIONS = (
    "addMembers",
    "removeMembers",
    "inviteMembers",
    "assignRoles",
    "addModerators",
    "demoteModerators",
    "hide",
    "show",
    "archive",
    "unarchive",
    "updateData",
)
# ChannelDataUpdate's fields (the SDK's types/channel_batch.py); `custom` is merged flat.
_BATCH_DATA = ("frozen", "disabled", "custom", "team", "config_overrides")
_BATCH_DATA_MORE = ("auto_translation_enabled", "auto_translation_language")


def _batch_channels(app: AppState, conditions: dict[str, Any]) -> list[Channel]:
    """The live channels `filter` selects by `cids` and `types` (a list means $in)."""
    normal = {
        key: {"$in": value} if isinstance(value, list) else value
        for key, value in conditions.items()
    }
    match = compile_filter(normal, "filter")
    return [
        c
        for c in sorted(app.channels.values(), key=lambda c: c.seq)
        if c.deleted_at is None and match({"cids": c.cid, "types": c.type})
    ]


def update_channels_batch(call: Call) -> dict[str, Any]:
    """PUT /channels/batch (UpdateChannelBatch): one operation on every channel the filter
    selects, answered with a task whose result has `{cid: {status}}` per channel."""
    app, body = call.app, call.body
    operation = required(body, "operation", str)
    if operation not in BATCH_OPERATIONS:
        raise input_error(texts.BATCH_OPERATION.format(operations=", ".join(BATCH_OPERATIONS)))
    conditions = required(body, "filter", dict)
    if not conditions:
        raise input_error(texts.REQUIRED_FIELD.format(path="filter"))
    entries = _member_entries(body.get("members") or [], "members")
    user_ids = [uid for uid, _ in entries]
    data = optional(body, "data", dict) or {}
    custom: dict[str, Any] = {}
    if operation == "updateData":
        unknown = sorted(set(data) - set(_BATCH_DATA) - set(_BATCH_DATA_MORE))
        if unknown:
            raise input_error(texts.UNKNOWN_SETTING.format(key=unknown[0]))
        custom = _custom_data(
            {
                **(optional(data, "custom", dict) or {}),
                **{k: v for k, v in data.items() if k != "custom"},
            }
        )
    elif not entries:
        raise input_error(texts.REQUIRED_FIELD.format(path="members"))
    if operation in ("addMembers", "inviteMembers", "addModerators"):
        _require_users(app, user_ids, "update")
    now = call.now
    result: dict[str, Any] = {}
    for channel in _batch_channels(app, conditions):
        if operation == "updateData":
            channel.custom.update(custom)
        else:
            _batch_members(channel, operation, entries, now)
        channel.updated_at = now
        result[channel.cid] = {"status": "ok"}
    return {"task_id": app.new_task(result).id}


def _batch_members(
    channel: Channel, operation: str, entries: list[tuple[str, str | None]], now: datetime
) -> None:
    for user_id, role in entries:
        member = channel.members.get(user_id)
        if operation in ("addMembers", "inviteMembers") and member is None:
            channel.add_member(user_id, now, role).invited = operation == "inviteMembers"
        elif operation == "removeMembers":
            channel.members.pop(user_id, None)
            channel.reads.pop(user_id, None)
        elif operation == "addModerators":
            channel.add_member(user_id, now, "channel_moderator")
        elif member is None:
            continue
        elif operation in ("demoteModerators", "assignRoles"):
            channel.add_member(
                user_id, now, role if operation == "assignRoles" else "channel_member"
            )
        elif operation in ("hide", "show"):
            (channel.hidden_for.add if operation == "hide" else channel.hidden_for.discard)(user_id)
        elif operation in ("archive", "unarchive"):
            member.archived_at = now if operation == "archive" else None
