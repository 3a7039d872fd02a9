"""User operations: upsert, query, partial update, (de)activate, delete, restore."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from .. import render, texts
from ..call import Call
from ..clock import stream_time
from ..errors import ErrorCode, StreamError, input_error, not_found
from ..filters import compile_filter, parse_sort, sort_documents
from ..models import AppState, User
from ..validation import (
    RESERVED_USER_FIELDS,
    check_batch,
    check_reserved,
    check_user_id,
    expect,
    int_in_range,
    optional,
    query_bool,
    required,
)

# Fields with a fixed meaning; everything else is custom data, flattened.
_TYPED_FIELDS: dict[str, type | tuple[type, ...]] = {
    "role": str,
    "teams": list,
    "teams_role": dict,
    "language": str,
    "invisible": bool,
}

_TYPED_DEFAULTS: dict[str, Any] = {
    "role": "user",
    "teams": list,
    "teams_role": None,
    "language": "",
    "invisible": False,
}


def _check_fields(app: AppState, fields: dict[str, Any], where: str) -> None:
    for key, kind in _TYPED_FIELDS.items():
        if fields.get(key) is not None:
            expect(fields[key], kind, f"{where}.{key}")
    role = fields.get("role")
    if role is not None and not app.is_user_role(role):
        # UNCONFIRMED live text; this is Stream's importer wording (contract §5.6).
        raise input_error(f'{where}.role "{role}" doesn\'t exist')
    for team in fields.get("teams") or []:
        expect(team, str, f"{where}.teams[]")


def _apply_fields(record: User, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "id":
            continue
        if key in _TYPED_FIELDS:
            if value is None:
                continue
            setattr(record, key, copy.deepcopy(value))
        else:
            record.custom[key] = copy.deepcopy(value)


# Code 6 is the docs' (DuplicateUsernameError); the text is UNCONFIRMED. Names compare
# exactly, and soft-deleted users hold none.
DUPLICATE_USERNAME = 'username "{name}" is already taken'


def _check_unique_names(app: AppState, named: dict[str, tuple[Any, list[str]]]) -> None:
    """Code 6 if the app enforces unique usernames (`enforce_unique_usernames`: `app`,
    or `team` for users sharing a team) and a name in `named` (user id -> (name, teams)
    after the request) belongs to another user, stored or in the same request."""
    scope = app.settings.get("enforce_unique_usernames") or "no"
    if scope == "no":
        return
    holders = {
        uid: (user.custom.get("name"), user.teams)
        for uid, user in app.users.items()
        if user.deleted_at is None
    }
    holders.update(named)
    for user_id, (name, teams) in named.items():
        if name is None:
            continue
        for other, (other_name, other_teams) in holders.items():
            if (
                other != user_id
                and other_name == name
                and (scope == "app" or {*teams} & {*other_teams})
            ):
                raise StreamError(
                    ErrorCode.DUPLICATE_USERNAME, DUPLICATE_USERNAME.format(name=name)
                )


def _upserted_teams(app: AppState, user_id: str, raw: dict[str, Any]) -> list[str]:
    """The user's teams after an upsert: the ones given, else the ones it had."""
    if raw.get("teams") is not None:
        return list(raw["teams"])
    existing = app.users.get(user_id)
    return existing.teams if existing is not None else []


def upsert_users(call: Call) -> dict[str, Any]:
    """POST /users (UpdateUsers): create or fully replace each user."""
    users = required(call.body, "users", dict)
    check_batch(users, "users")
    if not users:
        raise input_error(texts.REQUIRED_FIELD.format(path="users"))
    app, now = call.app, call.now
    for key, raw in users.items():
        where = f"users[{key}]"
        expect(raw, dict, where)
        user_id = raw.get("id", key)
        check_user_id(user_id, f"{where}.id")
        if user_id != key:
            raise input_error(f'{where}.id "{user_id}" does not match the key "{key}"')
        check_reserved(raw, RESERVED_USER_FIELDS, f"{where}.")
        _check_fields(app, raw, where)
    _check_unique_names(
        app, {key: (raw.get("name"), _upserted_teams(app, key, raw)) for key, raw in users.items()}
    )
    out: dict[str, Any] = {}
    for key, raw in users.items():
        existing = app.users.get(key)
        record = User(
            id=key,
            role=existing.role if existing else "user",
            created_at=existing.created_at if existing else now,
            updated_at=now,
            seq=existing.seq if existing else app.next_seq(),
            teams=list(existing.teams) if existing else [],
            teams_role=existing.teams_role if existing else None,
            deactivated_at=existing.deactivated_at if existing else None,
            deleted_at=existing.deleted_at if existing else None,
        )
        # Upsert replaces custom data entirely; role/teams survive when omitted
        # (UNCONFIRMED for role: the docs only say a re-upsert can change it).
        _apply_fields(record, raw)
        app.users[key] = record
        if existing is None:
            app.propagation.upserted(key, now)
        out[key] = render.user(record, app)
    return {"users": out}


def query_users(call: Call) -> dict[str, Any]:
    """GET /users?payload= (QueryUsers): filter, sort, paginate."""
    payload = call.payload()
    match = compile_filter(required(payload, "filter_conditions", dict))
    sort = parse_sort(payload.get("sort"))
    limit = int_in_range(payload.get("limit", 30), "limit", 0, 100)
    offset = int_in_range(payload.get("offset", 0), "offset", 0, 1000)
    include_deactivated = bool(optional(payload, "include_deactivated_users", bool))
    app = call.app
    docs = []
    for record in sorted(app.users.values(), key=lambda u: u.seq):
        if record.deleted_at is not None:
            continue
        if record.deactivated_at is not None and not include_deactivated:
            continue
        doc = render.user(record, app)
        if match(doc):
            docs.append((doc, record))
    ordered = sort_documents(docs, sort)
    return {"users": [doc for doc, _ in ordered[offset : offset + limit]]}


def _check_partial_key(key: Any, where: str) -> str:
    expect(key, str, where)
    if not key or ".." in key or " " in key or key.startswith(".") or key.endswith("."):
        raise input_error(f'{where} "{key}" is not a valid field path')
    if key.split(".")[0] == "id" or key.split(".")[0] in RESERVED_USER_FIELDS:
        raise input_error(f"{where} {key} is a reserved field")
    return key


def update_users_partial(call: Call) -> dict[str, Any]:
    """PATCH /users (UpdateUsersPartial): set/unset fields, dotted paths allowed."""
    updates = required(call.body, "users", list)
    check_batch(updates, "users")
    app = call.app
    for index, item in enumerate(updates):
        where = f"users[{index}]"
        expect(item, dict, where)
        user_id = check_user_id(item.get("id"), f"{where}.id")
        if app.live_user(user_id) is None:
            raise input_error(texts.USER_DOES_NOT_EXIST.format(user_id=user_id))
        to_set = optional(item, "set", dict, f"{where}.set") or {}
        to_unset = optional(item, "unset", list, f"{where}.unset") or []
        for key in to_set:
            _check_partial_key(key, f"{where}.set")
        for key in to_unset:
            _check_partial_key(key, f"{where}.unset")
        _check_fields(app, {k: v for k, v in to_set.items() if "." not in k}, f"{where}.set")
    _check_unique_names(
        app,
        {
            item["id"]: _name_after(app.users[item["id"]], item)
            for item in updates
            if {"name", "teams"} & {*(item.get("set") or {}), *(item.get("unset") or [])}
        },
    )
    out: dict[str, Any] = {}
    now = call.now
    for item in updates:
        record = app.users[item["id"]]
        for key, value in (item.get("set") or {}).items():
            head, _, rest = key.partition(".")
            if rest:
                _set_path(record.custom, key.split("."), copy.deepcopy(value))
            else:
                _apply_fields(record, {head: value})
        for key in item.get("unset") or []:
            if key in _TYPED_FIELDS:
                default = _TYPED_DEFAULTS[key]
                setattr(record, key, default() if callable(default) else default)
            else:
                _unset_path(record.custom, key.split("."))
        record.updated_at = now
        out[record.id] = render.user(record, app)
    return {"users": out}


def _name_after(record: User, item: dict[str, Any]) -> tuple[Any, list[str]]:
    """The user's (name, teams) once a partial update `item` is applied."""
    to_set, to_unset = item.get("set") or {}, item.get("unset") or []
    name = None if "name" in to_unset else to_set.get("name", record.custom.get("name"))
    teams = [] if "teams" in to_unset else to_set.get("teams", record.teams)
    return name, teams


def _set_path(target: dict[str, Any], parts: list[str], value: Any) -> None:
    for part in parts[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            child = target[part] = {}
        target = child
    target[parts[-1]] = value


def _unset_path(target: dict[str, Any], parts: list[str]) -> None:
    for part in parts[:-1]:
        child = target.get(part)
        if not isinstance(child, dict):
            return
        target = child
    target.pop(parts[-1], None)


def _existing_user(app: AppState, user_id: str) -> User:
    record = app.live_user(user_id)
    if record is None:
        raise not_found(texts.USER_NOT_FOUND.format(user_id=user_id))
    return record


def _delete_messages(app: AppState, user_id: str, mode: str | None, now: datetime) -> None:
    if mode is None:
        return
    for msg in list(app.messages.values()):
        if msg.user_id != user_id:
            continue
        if mode == "soft":
            msg.deleted_at = msg.deleted_at or now
        else:  # hard or pruning: the message is gone
            app.remove_message(msg)


def delete_user_record(
    app: AppState,
    user_id: str,
    *,
    hard: bool,
    messages: str | None,
    conversations: str | None,
    now: datetime,
) -> None:
    """Delete one user the way both delete endpoints do."""
    record = app.users[user_id]
    _delete_messages(app, user_id, "hard" if hard and messages is None else messages, now)
    if conversations is not None:
        for channel in list(app.channels.values()):
            if channel.distinct and user_id in channel.members and channel.deleted_at is None:
                app.delete_channel(channel, hard=conversations == "hard", now=now)
    if hard:
        del app.users[user_id]
        for channel in app.channels.values():
            channel.members.pop(user_id, None)
            channel.reads.pop(user_id, None)
    else:
        record.deleted_at = now
        record.updated_at = now


def delete_user(call: Call) -> dict[str, Any]:
    """DELETE /users/{user_id} (DeleteUser): soft or hard delete one user."""
    app, now = call.app, call.now
    record = _existing_user(app, call.params["user_id"])
    hard = query_bool(call.query, "hard_delete")
    body_user = render.user(record, app)
    delete_user_record(
        app,
        record.id,
        hard=hard,
        messages="soft" if query_bool(call.query, "mark_messages_deleted") else None,
        conversations="soft" if query_bool(call.query, "delete_conversation_channels") else None,
        now=now,
    )
    if not hard:
        body_user = render.user(record, app)
    else:
        body_user["deleted_at"] = stream_time(now)
    return {"user": body_user}


_DELETE_MODES = ("soft", "pruning", "hard")


def _enum(body: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str | None:
    value = optional(body, key, str)
    if value is not None and value not in allowed:
        raise input_error(f"{key} must be one of [{' '.join(allowed)}]")
    return value


def delete_users(call: Call) -> dict[str, Any]:
    """POST /users/delete (DeleteUsers): batch delete, answered with a task id."""
    body = call.body
    user_ids = required(body, "user_ids", list)
    check_batch(user_ids, "user_ids")
    if not user_ids:
        raise input_error(texts.REQUIRED_FIELD.format(path="user_ids"))
    for index, uid in enumerate(user_ids):
        check_user_id(uid, f"user_ids[{index}]")
    mode = _enum(body, "user", _DELETE_MODES) or "soft"
    messages = _enum(body, "messages", _DELETE_MODES)
    conversations = _enum(body, "conversations", ("soft", "hard"))
    app, now = call.app, call.now
    result: dict[str, Any] = {}
    for uid in user_ids:
        if app.live_user(uid) is None:
            # UNCONFIRMED: how the live task reports an id naming no user.
            result[uid] = {"status": "error", "error": texts.USER_NOT_FOUND.format(user_id=uid)}
            continue
        delete_user_record(
            app, uid, hard=mode != "soft", messages=messages, conversations=conversations, now=now
        )
        result[uid] = {"status": "ok"}
    return {"task_id": app.new_task(result).id}


def restore_users(call: Call) -> dict[str, Any]:
    """POST /users/restore (RestoreUsers): undo soft deletes."""
    user_ids = required(call.body, "user_ids", list)
    check_batch(user_ids, "user_ids")
    app = call.app
    for index, uid in enumerate(user_ids):
        check_user_id(uid, f"user_ids[{index}]")
        record = app.users.get(uid)
        if record is None or record.deleted_at is None:
            raise input_error(f"user {uid} is not deleted and cannot be restored")
    for uid in user_ids:
        record = app.users[uid]
        record.deleted_at = None
        record.updated_at = call.now
    return {}


def _deactivate(app: AppState, record: User, mark_messages_deleted: bool, now: datetime) -> None:
    record.deactivated_at = now
    record.updated_at = now
    if mark_messages_deleted:
        _delete_messages(app, record.id, "soft", now)


def deactivate_user(call: Call) -> dict[str, Any]:
    """POST /users/{user_id}/deactivate (DeactivateUser)."""
    app = call.app
    record = _existing_user(app, call.params["user_id"])
    mark = bool(optional(call.body, "mark_messages_deleted", bool))
    _deactivate(app, record, mark, call.now)
    return {"user": render.user(record, app)}


def deactivate_users(call: Call) -> dict[str, Any]:
    """POST /users/deactivate (DeactivateUsers): batch, answered with a task id."""
    user_ids = required(call.body, "user_ids", list)
    check_batch(user_ids, "user_ids")
    app = call.app
    records = []
    for index, uid in enumerate(user_ids):
        check_user_id(uid, f"user_ids[{index}]")
        records.append(_existing_user(app, uid))
    mark = bool(optional(call.body, "mark_messages_deleted", bool))
    for record in records:
        _deactivate(app, record, mark, call.now)
    users = [render.user(record, app) for record in records]
    return {"task_id": app.new_task({"users": users}).id}


def reactivate_user(call: Call) -> dict[str, Any]:
    """POST /users/{user_id}/reactivate (ReactivateUser)."""
    app = call.app
    record = _existing_user(app, call.params["user_id"])
    if record.deactivated_at is None:
        # UNCONFIRMED text.
        raise input_error(f"user {record.id} is not deactivated")
    restore = bool(optional(call.body, "restore_messages", bool))
    name = optional(call.body, "name", str)
    now = call.now
    if restore:
        for msg in app.messages.values():
            if msg.user_id == record.id and msg.deleted_at is not None:
                msg.deleted_at = None
    record.deactivated_at = None
    record.updated_at = now
    if name is not None:
        record.custom["name"] = name
    return {"user": render.user(record, app)}


def get_task(call: Call) -> dict[str, Any]:
    """GET /tasks/{task_id} (GetTask)."""
    task = call.app.tasks.get(call.params["task_id"])
    if task is None:
        raise not_found(texts.TASK_NOT_FOUND.format(task_id=call.params["task_id"]))
    return render.task(task)
