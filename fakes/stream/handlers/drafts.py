"""A user's own message state: drafts, reminders, the threads they take part in, and
their live locations."""

from __future__ import annotations

import copy
from typing import Any

from .. import render, texts, unread
from ..call import Call
from ..clock import parse_stream_time, stream_time
from ..errors import input_error, not_found
from ..models import AppState, Channel, Message
from ..paging import query_page
from ..permissions import acting_user
from ..posting import check_content, custom_fields
from ..validation import int_in_range, optional, required

# -- drafts ------------------------------------------------------------------------


def _draft_key(channel: Channel, user_id: str, parent_id: str | None) -> tuple[str, str, str]:
    return (user_id, channel.cid, parent_id or "")


def create_draft(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/draft (CreateDraft): one draft per user, channel and
    thread (`parent_id`); a new one replaces the last."""
    app = call.app
    channel = call.channel()
    raw = required(call.body, "message", dict)
    user_id = acting_user(call, raw, "message")
    check_content(app, channel, raw)
    parent_id = optional(raw, "parent_id", str, "message.parent_id")
    if parent_id is not None and (
        parent_id not in app.messages or app.messages[parent_id].cid != channel.cid
    ):
        raise input_error(
            texts.MESSAGE_NOT_IN_CHANNEL.format(message_id=parent_id, cid=channel.cid)
        )
    now = stream_time(call.now)
    message = {
        **custom_fields(raw),
        "id": optional(raw, "id", str, "message.id") or app.ids.uuid(),
        "text": raw.get("text") or "",
        "attachments": copy.deepcopy(raw.get("attachments") or []),
        **({"parent_id": parent_id} if parent_id else {}),
    }
    draft = {"channel_cid": channel.cid, "created_at": now, "message": message, "user_id": user_id}
    if parent_id:
        draft["parent_id"] = parent_id
    app.drafts[_draft_key(channel, user_id, parent_id)] = draft
    return {"draft": copy.deepcopy(draft)}


def _stored_draft(call: Call) -> tuple[tuple[str, str, str], dict[str, Any]]:
    channel = call.channel()
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    key = _draft_key(channel, user_id, call.query.get("parent_id"))
    draft = call.app.drafts.get(key)
    if draft is None:
        raise not_found(texts.DRAFT_NOT_FOUND.format(cid=channel.cid, user_id=user_id))
    return key, draft


def get_draft(call: Call) -> dict[str, Any]:
    """GET /channels/{type}/{id}/draft?user_id=[&parent_id=] (GetDraft)."""
    _, draft = _stored_draft(call)
    return {"draft": {**copy.deepcopy(draft), "channel": render.channel(call.app, call.channel())}}


def delete_draft(call: Call) -> dict[str, Any]:
    """DELETE /channels/{type}/{id}/draft?user_id=[&parent_id=] (DeleteDraft)."""
    key, _ = _stored_draft(call)
    del call.app.drafts[key]
    return {}


def query_drafts(call: Call) -> dict[str, Any]:
    """POST /drafts/query (QueryDrafts): the user's drafts, newest first by default."""
    user_id = acting_user(call, call.body)
    drafts = [d for key, d in call.app.drafts.items() if key[0] == user_id]
    docs = [({**d, "parent_id": d.get("parent_id")}, d) for d in drafts]
    chosen, following, previous = query_page(call.body, docs, [("created_at", -1)], 25)
    return {"drafts": copy.deepcopy(chosen), "next": following, "prev": previous}


# -- reminders -----------------------------------------------------------------------


def _reminders_on(app: AppState, message: Message) -> bool:
    """Reminders need the channel type's `user_message_reminders`, or the channel's
    `config_overrides.user_message_reminders` (what the SDK's own test sets)."""
    channel = app.channels.get(message.cid)
    overrides = channel.custom.get("config_overrides") if channel else None
    if isinstance(overrides, dict) and "user_message_reminders" in overrides:
        return bool(overrides["user_message_reminders"])
    kind = message.cid.split(":", 1)[0]
    return bool(app.channel_types.get(kind, {}).get("user_message_reminders", False))


def _reminder_target(call: Call) -> tuple[Message, str]:
    app = call.app
    message = app.messages.get(call.params["message_id"])
    if message is None or message.deleted_at is not None:
        raise not_found(texts.MESSAGE_NOT_FOUND.format(message_id=call.params["message_id"]))
    source = call.body if call.body else {"user_id": call.query.get("user_id")}
    user_id = acting_user(call, source)
    if not _reminders_on(app, message):
        raise input_error(texts.REMINDERS_DISABLED.format(cid=message.cid))
    return message, user_id


def _remind_at(call: Call) -> str | None:
    value = optional(call.body, "remind_at", str)
    if value is None:
        return None
    try:
        return stream_time(parse_stream_time(value))
    except ValueError:
        raise input_error(texts.NOT_A_TIMESTAMP.format(path="remind_at")) from None


def _reminder_body(app: AppState, reminder: dict[str, Any]) -> dict[str, Any]:
    message = app.messages.get(reminder["message_id"])
    return {
        **reminder,
        "user": render.user_ref(app, reminder["user_id"]),
        **({"message": render.message(app, message)} if message is not None else {}),
    }


def create_reminder(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id}/reminders (CreateReminder): `remind_at` optional."""
    app = call.app
    message, user_id = _reminder_target(call)
    if (user_id, message.id) in app.reminders:
        raise input_error(texts.REMINDER_EXISTS.format(message_id=message.id))
    now = stream_time(call.now)
    reminder = {
        "message_id": message.id,
        "user_id": user_id,
        "channel_cid": message.cid,
        "remind_at": _remind_at(call),
        "created_at": now,
        "updated_at": now,
    }
    app.reminders[(user_id, message.id)] = reminder
    return {"reminder": _reminder_body(app, reminder)}


def _stored_reminder(call: Call) -> dict[str, Any]:
    message, user_id = _reminder_target(call)
    reminder = call.app.reminders.get((user_id, message.id))
    if reminder is None:
        raise not_found(texts.REMINDER_NOT_FOUND.format(message_id=message.id))
    return reminder


def update_reminder(call: Call) -> dict[str, Any]:
    """PATCH /messages/{message_id}/reminders (UpdateReminder): a new `remind_at`."""
    reminder = _stored_reminder(call)
    reminder.update(remind_at=_remind_at(call), updated_at=stream_time(call.now))
    return {"reminder": _reminder_body(call.app, reminder)}


def delete_reminder(call: Call) -> dict[str, Any]:
    """DELETE /messages/{message_id}/reminders?user_id= (DeleteReminder)."""
    reminder = _stored_reminder(call)
    del call.app.reminders[(reminder["user_id"], reminder["message_id"])]
    return {}


def query_reminders(call: Call) -> dict[str, Any]:
    """POST /reminders/query (QueryReminders): the user's reminders, by `remind_at` first."""
    app = call.app
    user_id = acting_user(call, call.body)
    docs = [(r, r) for (uid, _), r in app.reminders.items() if uid == user_id]
    chosen, following, previous = query_page(call.body, docs, [("remind_at", 1)], 100)
    return {
        "reminders": [_reminder_body(app, r) for r in chosen],
        "next": following,
        "prev": previous,
    }


# -- threads ---------------------------------------------------------------------------


def query_threads(call: Call) -> dict[str, Any]:
    """POST /threads (QueryThreads): the threads the user takes part in (the parent's
    author and every replier), latest activity first by default."""
    app = call.app
    user_id = acting_user(call, call.body)
    reply_limit = int_in_range(call.body.get("reply_limit", 2), "reply_limit", 0, 10)
    docs = []
    for parent_id, reads in app.thread_reads.items():
        parent = app.messages.get(parent_id)
        channel = app.live_channel(parent.cid) if parent is not None else None
        if (
            parent is None
            or channel is None
            or parent.deleted_at is not None
            or user_id not in reads
        ):
            continue
        replies = sorted(
            (
                m
                for m in app.messages.values()
                if m.parent_id == parent_id and not m.pending and m.deleted_at is None
            ),
            key=lambda m: m.seq,
        )
        last = replies[-1].created_at if replies else parent.created_at
        doc = {
            "parent_message_id": parent_id,
            "channel_cid": parent.cid,
            "created_by_user_id": parent.user_id,
            "created_at": stream_time(parent.created_at),
            "updated_at": stream_time(last),
            "last_message_at": stream_time(last),
            "reply_count": len(replies),
            "participant_count": len(reads),
        }
        thread = {
            **doc,
            "parent_message": render.message(app, parent),
            "channel": render.channel(app, channel),
            "thread_participants": [
                {"user_id": uid, "user": render.user_ref(app, uid)} for uid in reads
            ],
            "latest_replies": [render.message(app, m) for m in replies[-reply_limit:]]
            if reply_limit
            else [],
            "read": [
                {
                    "user": render.user_ref(app, user_id),
                    "unread_messages": unread.thread_unread_for(app, user_id, parent_id),
                    "last_read": stream_time(reads[user_id].last_read),
                }
            ],
        }
        docs.append((doc, thread))
    chosen, following, previous = query_page(call.body, docs, [("last_message_at", -1)], 25)
    return {"threads": chosen, "next": following, "prev": previous}


# -- live locations ----------------------------------------------------------------------


def _location(message: Message) -> dict[str, Any]:
    shared = message.custom.get("shared_location")
    return {
        **(copy.deepcopy(shared) if isinstance(shared, dict) else {}),
        "message_id": message.id,
        "channel_cid": message.cid,
        "user_id": message.user_id,
        "created_at": stream_time(message.created_at),
        "updated_at": stream_time(message.updated_at),
    }


def _live(app: AppState, message: Message) -> bool:
    """A message sharing a location until `end_at` (a live location), not yet ended."""
    shared = message.custom.get("shared_location")
    if message.deleted_at is not None or not isinstance(shared, dict):
        return False
    try:
        return parse_stream_time(str(shared.get("end_at"))) > app.clock.now()
    except ValueError:
        return False


def get_user_locations(call: Call) -> dict[str, Any]:
    """GET /users/live_locations?user_id= (GetUserLiveLocations): the user's messages that
    share a location whose `end_at` has not passed."""
    app = call.app
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    live = [m for m in app.messages.values() if m.user_id == user_id and _live(app, m)]
    return {"active_live_locations": [_location(m) for m in sorted(live, key=lambda m: m.seq)]}


def update_user_location(call: Call) -> dict[str, Any]:
    """PUT /users/live_locations?user_id= (UpdateLiveLocation): new coordinates (or
    `end_at`) for the location one of the user's messages shares."""
    app, body = call.app, call.body
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    message_id = required(body, "message_id", str)
    message = app.messages.get(message_id)
    if (
        message is None
        or message.user_id != user_id
        or not isinstance(message.custom.get("shared_location"), dict)
    ):
        raise not_found(texts.LOCATION_NOT_FOUND.format(message_id=message_id))
    changes = {}
    for key in ("latitude", "longitude"):
        value = optional(body, key, (int, float))
        if value is not None:
            changes[key] = value
    for key in ("end_at", "created_by_device_id"):
        value = optional(body, key, str)
        if value is not None:
            changes[key] = value
    message.custom["shared_location"].update(changes)
    message.updated_at = call.now
    return _location(message)
