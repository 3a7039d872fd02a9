"""Exports and guests: a user's data, users and channels as tasks, and guest users.

UNCONFIRMED: export tasks complete at once (like every task of the fake) and their
`url` names where Stream would put the file; the fake does not serve it.
"""

from __future__ import annotations

from typing import Any

import jwt

from .. import render, texts
from ..call import Call
from ..clock import parse_stream_time, stream_time
from ..errors import input_error, not_found
from ..models import User
from ..uploads import DEFAULT_BASE_URL
from ..validation import check_batch, check_user_id, expect, optional, required


def _user(call: Call, user_id: str) -> User:
    record = call.app.live_user(check_user_id(user_id, "user_id"))
    if record is None:
        raise not_found(texts.USER_NOT_FOUND.format(user_id=user_id))
    return record


def export_user(call: Call) -> dict[str, Any]:
    """GET /users/{user_id}/export (ExportUser): the user, their messages and reactions."""
    app = call.app
    record = _user(call, call.params["user_id"])
    messages = [m for m in app.messages.values() if m.user_id == record.id and not m.pending]
    reactions = [r for rs in app.reactions.values() for r in rs if r.user_id == record.id]
    return {
        "user": render.user(record, app),
        "messages": [render.message(app, m) for m in sorted(messages, key=lambda m: m.seq)],
        "reactions": [render.reaction(app, r) for r in reactions],
    }


def _export_task(call: Call, kind: str, result: dict[str, Any]) -> dict[str, Any]:
    task = call.app.new_task(result)
    task.result["url"] = f"{DEFAULT_BASE_URL}/exports/{kind}/{task.id}.json"
    return {"task_id": task.id}


def export_users(call: Call) -> dict[str, Any]:
    """POST /export/users (ExportUsers): a task whose result has the export's `url`."""
    user_ids = required(call.body, "user_ids", list)
    if not user_ids:
        raise input_error(texts.REQUIRED_FIELD.format(path="user_ids"))
    check_batch(user_ids, "user_ids")
    for index, user_id in enumerate(user_ids):
        check_user_id(user_id, f"user_ids[{index}]")
    return _export_task(call, "users", {"user_ids": list(dict.fromkeys(user_ids))})


def export_channels(call: Call) -> dict[str, Any]:
    """POST /export_channels (ExportChannels): each channel must exist ("Can't find
    channel", as the SDK's own test expects); the task's result has the `url`."""
    app = call.app
    channels = required(call.body, "channels", list)
    if not channels:
        raise input_error(texts.REQUIRED_FIELD.format(path="channels"))
    check_batch(channels, "channels", 25)
    cids = []
    for index, item in enumerate(channels):
        path = f"channels[{index}]"
        expect(item, dict, path)
        kind = required(item, "type", str, f"{path}.type")
        cid = f"{kind}:{required(item, 'id', str, f'{path}.id')}"
        if app.live_channel(cid) is None:
            raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=cid))
        for key in ("messages_since", "messages_until"):
            value = optional(item, key, str, f"{path}.{key}")
            if value is not None:
                try:
                    parse_stream_time(value)
                except ValueError:
                    raise input_error(texts.NOT_A_TIMESTAMP.format(path=f"{path}.{key}")) from None
        cids.append(cid)
    optional(call.body, "include_truncated_messages", bool)
    return _export_task(call, "channels", {"cids": cids})


def get_export_channels_status(call: Call) -> dict[str, Any]:
    """GET /export_channels/{task_id} (GetExportChannelsStatus): the export's task."""
    task = call.app.tasks.get(call.params["task_id"])
    if task is None:
        raise not_found(texts.TASK_NOT_FOUND.format(task_id=call.params["task_id"]))
    return render.task(task)


def create_guest(call: Call) -> dict[str, Any]:
    """POST /guest (CreateGuest): a new user with role `guest` and a user token for it.

    UNCONFIRMED: live apps need guest access switched on; the fake always allows it.
    """
    app = call.app
    raw = required(call.body, "user", dict)
    user_id = check_user_id(raw.get("id"), "user.id")
    if user_id in app.users:
        raise input_error(texts.USER_EXISTS.format(user_id=user_id))
    now = call.now
    custom = {k: v for k, v in raw.items() if k not in ("id", "role")}
    record = User(user_id, "guest", now, now, app.next_seq(), custom=custom)
    app.users[user_id] = record
    token = jwt.encode({"user_id": user_id}, app.api_secret, algorithm="HS256")
    return {"access_token": token, "user": render.user(record, app), "created_at": stream_time(now)}
