"""Message operations: send (pending or not), commit, get, update (full and partial),
pin, delete, undelete, translate and the edit history."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from .. import render, texts
from ..call import Call
from ..channel_config import config_for
from ..clock import parse_stream_time, stream_time
from ..errors import input_error, not_allowed, not_found
from ..filters import compile_filter, parse_sort, sort_documents
from ..models import Message
from ..paging import decode_cursor, page
from ..permissions import acting_user, checks_disabled, require_channel_access
from ..posting import (
    CHANNEL_FROZEN,
    check_content,
    custom_fields,
    error_message,
    giphy_attachment,
    may_use,
    post_message,
)
from ..validation import (
    RESERVED_MESSAGE_FIELDS,
    check_batch,
    check_reserved,
    check_user_id,
    expect,
    int_in_range,
    optional,
    query_bool,
    required,
)

# Stream's translation languages (docs features/translation.md, "Available Languages").
LANGUAGES = frozenset(
    [
        "af",
        "sq",
        "am",
        "ar",
        "az",
        "bn",
        "bs",
        "bg",
        "zh",
        "zh-TW",
        "hr",
        "cs",
        "da",
        "fa-AF",
        "nl",
        "en",
        "et",
        "fi",
        "fr",
        "fr-CA",
        "ka",
        "de",
        "el",
        "ht",
        "ha",
        "he",
        "hi",
        "hu",
        "id",
        "it",
        "ja",
        "ko",
        "lv",
        "lt",
        "ms",
        "no",
        "fa",
        "ps",
        "pl",
        "pt",
        "ro",
        "ru",
        "sr",
        "sk",
        "sl",
        "so",
        "es",
        "es-MX",
        "sw",
        "sv",
        "tl",
        "ta",
        "th",
        "tr",
        "uk",
        "ur",
        "vi",
    ]
)
# Fields a partial update may not set or unset (UNCONFIRMED beyond the reserved ones).
_FIXED_FIELDS = RESERVED_MESSAGE_FIELDS | {"id", "type", "user", "user_id", "parent_id"}
# Ten years, the bound the fake puts on ban and mute timeouts too (UNCONFIRMED).
_MAX_PIN_SECONDS = 10 * 365 * 24 * 3600


def send_message(call: Call) -> dict[str, Any]:
    """POST /channels/{type}/{id}/message (SendMessage); `pending` keeps it from everyone
    but its author until CommitMessage (server-side only, like Stream)."""
    channel = call.channel()
    asked = optional(call.body, "pending", bool)
    if asked and not call.principal.server:
        raise input_error(texts.PENDING_SERVER_ONLY)
    # The channel type's `mark_messages_pending` makes every message pending (docs).
    by_type = config_for(call.app, channel).get("mark_messages_pending", False)
    pending = bool(by_type if asked is None else asked)
    # The metadata goes to pending-message hooks, which the fake does not call.
    optional(call.body, "pending_message_metadata", dict)
    optional(call.body, "skip_push", bool)
    optional(call.body, "skip_enrich_url", bool)
    raw = required(call.body, "message", dict)
    now = call.now
    pinned = raw.get("pinned") is True
    pin = _pin_request(now, raw, "message.") if pinned else None
    record = post_message(call, channel, raw, pending=pending)
    if pinned and record.type != "error":
        record.pinned_at, record.pinned_by_id, record.pin_expires = now, record.user_id, pin
    return _answer(call, record)


def _answer(call: Call, record: Message) -> dict[str, Any]:
    """`{message}` as the caller sees it."""
    return {"message": render.message(call.app, record, viewer=render.viewer_of(call))}


def _message(call: Call, *, allow_deleted: bool = True) -> Message:
    """The addressed message; a pending one only for its author or the server, another
    user's shadowed one not for a user token."""
    record = call.app.messages.get(call.params["message_id"])
    hidden = record is not None and (
        (record.pending and not _sees_pending(call, record))
        or render.hidden_from(record, render.viewer_of(call))
    )
    if record is None or hidden or (record.deleted_at is not None and not allow_deleted):
        raise not_found(texts.MESSAGE_NOT_FOUND.format(message_id=call.params["message_id"]))
    return record


def _sees_pending(call: Call, record: Message) -> bool:
    return call.principal.server or call.principal.user_id == record.user_id


def get_message(call: Call) -> dict[str, Any]:
    """GET /messages/{message_id} (GetMessage): the message with its channel; a deleted
    one as `type: deleted` without its text unless `show_deleted_message=true`."""
    app = call.app
    record = _message(call)
    channel = app.channels.get(record.cid)
    if channel is not None:
        require_channel_access(call, channel)
    body = render.message(
        app,
        record,
        viewer=render.viewer_of(call),
        show_deleted=query_bool(call.query, "show_deleted_message"),
    )
    if channel is not None:
        body["channel"] = render.channel(app, channel)
    return {"message": body}


def get_many_messages(call: Call) -> dict[str, Any]:
    """GET /channels/{type}/{id}/messages?ids=a,b (GetManyMessages): the channel's messages
    among `ids`, in the order asked; unknown ids and others' pending messages are left out."""
    app = call.app
    channel = call.channel()
    require_channel_access(call, channel)
    ids = [i for i in (call.query.get("ids") or "").split(",") if i]
    if not ids:
        # Live text (contract §5.7).
        raise input_error(texts.REQUIRED_FIELD.format(path="ids"))
    check_batch(ids, "ids")
    found = [app.messages.get(i) for i in dict.fromkeys(ids)]
    viewer = render.viewer_of(call)
    return {
        "messages": [
            render.message(app, m, viewer=viewer)
            for m in found
            if m is not None
            and m.cid == channel.cid
            and (not m.pending or _sees_pending(call, m))
            and not render.hidden_from(m, viewer)
        ]
    }


def _editor(call: Call, raw: dict[str, Any], record: Message, path: str = "") -> str | None:
    """Who edits: the named user (checked), or the token's user, who must be the author
    unless the app's `disable_permissions_checks` is on (UNCONFIRMED that it covers this)."""
    if raw.get("user") is None and raw.get("user_id") is None and call.principal.server:
        return None
    editor = acting_user(call, raw, path)
    if not call.principal.server and not checks_disabled(call.app) and editor != record.user_id:
        raise not_allowed(texts.NOT_MESSAGE_AUTHOR.format(user_id=editor, author_id=record.user_id))
    return editor


def _editable(call: Call, record: Message) -> None:
    if record.pending:
        raise input_error(texts.PENDING_NOT_UPDATABLE)
    channel = call.app.live_channel(record.cid)
    if channel is None:
        raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=record.cid))


def _apply_edit(call: Call, record: Message, merged: dict[str, Any], editor: str | None) -> None:
    """Store `merged` (text, attachments, mentions, custom) as the message's new content,
    keeping the old one in its history and re-translating its translations."""
    call.app.record_version(record, editor)
    record.text = merged.get("text") or ""
    record.attachments = copy.deepcopy(merged.get("attachments") or [])
    record.mentioned_users = list(merged.get("mentioned_users") or [])
    record.custom = custom_fields(merged)
    record.updated_at = call.now
    for language in [k.removesuffix("_text") for k in record.i18n if k.endswith("_text")]:
        record.i18n[f"{language}_text"] = _translate(record.text, record.i18n["language"], language)


def update_message(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id} (UpdateMessage): replace text, attachments, custom."""
    app = call.app
    record = _message(call, allow_deleted=False)
    raw = required(call.body, "message", dict)
    if raw.get("id") not in (None, record.id):
        raise input_error(f"message.id {raw['id']} does not match the id in the path")
    editor = _editor(call, raw, record, "message")
    _editable(call, record)
    check_content(app, app.channels[record.cid], raw)
    _apply_edit(call, record, raw, editor)
    return _answer(call, record)


def _content(record: Message) -> dict[str, Any]:
    """The message's editable content as a request body would carry it."""
    return {
        **copy.deepcopy(record.custom),
        "text": record.text,
        "attachments": copy.deepcopy(record.attachments),
        "mentioned_users": list(record.mentioned_users),
    }


def update_message_partial(call: Call) -> dict[str, Any]:
    """PUT /messages/{message_id} (UpdateMessagePartial): `set` and `unset` fields;
    `set.pinned` pins (until `set.pin_expires`: seconds from now, or a timestamp)."""
    app, body = call.app, call.body
    record = _message(call, allow_deleted=False)
    to_set = dict(optional(body, "set", dict) or {})
    to_unset = optional(body, "unset", list) or []
    for index, key in enumerate(to_unset):
        expect(key, str, f"unset[{index}]")
    check_reserved(to_set, _FIXED_FIELDS, "set.")
    check_reserved(dict.fromkeys(to_unset), _FIXED_FIELDS, "unset.")
    pinned = optional(to_set, "pinned", bool, "set.pinned")
    if "pinned" in to_unset:
        pinned = False
    now = call.now
    pin = _pin_request(now, to_set, "set.") if pinned else None
    content_keys = (set(to_set) | set(to_unset)) - {"pinned", "pin_expires"}
    acting = _pin_actor(call, body, record) if pinned is not None and not content_keys else None
    editor = _editor(call, body, record) if content_keys else acting
    _editable(call, record)
    merged = {k: v for k, v in _content(record).items() if k not in to_unset}
    merged.update({k: v for k, v in to_set.items() if k not in ("pinned", "pin_expires")})
    check_content(app, app.channels[record.cid], merged)
    if content_keys:
        _apply_edit(call, record, merged, editor)
    if pinned is True:
        record.pinned_at, record.pinned_by_id, record.pin_expires = now, editor, pin
    elif pinned is False:
        record.pinned_at = record.pinned_by_id = record.pin_expires = None
    return _answer(call, record)


def _pin_actor(call: Call, body: dict[str, Any], record: Message) -> str | None:
    """Who pins: any member may (PinMessage is a member grant), not only the author."""
    if body.get("user") is None and body.get("user_id") is None and call.principal.server:
        return None
    user_id = acting_user(call, body)
    channel = call.app.channels.get(record.cid)
    if channel is not None:
        require_channel_access(call, channel, "PinMessage")
    return user_id


def _pin_request(now: datetime, source: dict[str, Any], prefix: str) -> datetime | None:
    """When a pin asked for in `source` ends: `pin_expires` as seconds (what the SDK's
    pin_message sends) or an RFC 3339 timestamp; None for a pin without end."""
    value = source.get("pin_expires")
    path = f"{prefix}pin_expires"
    if value is None:
        return None
    if isinstance(value, str):
        try:
            ends = parse_stream_time(value)
        except ValueError:
            raise input_error(texts.PIN_EXPIRES_INVALID.format(path=path)) from None
    else:
        seconds = int_in_range(value, path, 1, _MAX_PIN_SECONDS)
        ends = now + timedelta(seconds=seconds)
    if ends <= now:
        raise input_error(texts.PIN_EXPIRES_INVALID.format(path=path))
    return ends


def deletes_for_me(call: Call) -> bool:
    """True for a DeleteMessage "for me" (body `delete_for_me`, or the JS SDK's query)."""
    return call.body.get("delete_for_me") is True or query_bool(call.query, "delete_for_me")


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
    if deletes_for_me(call):
        user_id = acting_user(call, call.body)
        # The answer is the message as it was: the JS SDK marks it deleted itself, "as
        # the server does not return the message in the response as deleted".
        answer = _answer(call, record)
        record.deleted_for.add(user_id)
        return answer
    if record.pending and not hard:
        raise input_error(texts.PENDING_SOFT_DELETE)
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
    return _answer(call, record)


def commit_message(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id}/commit (CommitMessage): a pending message becomes a
    normal one, seen and counted as unread by the channel; a second commit fails."""
    app = call.app
    record = _message(call, allow_deleted=False)
    if not record.pending:
        raise input_error(texts.MESSAGE_NOT_PENDING.format(message_id=record.id))
    channel = app.live_channel(record.cid)
    if channel is None:
        raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=record.cid))
    app.publish(channel, record)
    return _answer(call, record)


def undelete_message(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id}/undelete (UndeleteMessage): a soft-deleted message
    comes back with its text; a hard-deleted one is gone (404)."""
    app = call.app
    record = _message(call)
    user_id = required(call.body, "undeleted_by", str)
    check_user_id(user_id, "undeleted_by")
    if app.live_user(user_id) is None:
        raise input_error(texts.USER_DOES_NOT_EXIST.format(user_id=user_id))
    if record.deleted_at is None:
        raise input_error(texts.MESSAGE_NOT_DELETED.format(message_id=record.id))
    record.deleted_at = None
    record.updated_at = call.now
    parent = app.messages.get(record.parent_id) if record.parent_id else None
    if parent is not None:
        parent.reply_count += 1
    return _answer(call, record)


def _translate(text: str, source: str, language: str) -> str:
    """The fake's deterministic translation: the text prefixed with `[<language>] `
    (the text itself into its own language)."""
    return text if language == source else f"[{language}] {text}"


def translate_message(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id}/translate (TranslateMessage): adds `i18n` with
    `<language>_text` and the source `language` (the author's, or `en`; UNCONFIRMED:
    the fake detects nothing)."""
    app = call.app
    record = _message(call, allow_deleted=False)
    channel = app.channels.get(record.cid)
    if channel is not None:
        require_channel_access(call, channel)
    language = required(call.body, "language", str)
    if language not in LANGUAGES:
        raise input_error(texts.LANGUAGE_NOT_SUPPORTED.format(language=language))
    author = app.users.get(record.user_id)
    source = record.i18n.get("language") or (author.language if author else "") or "en"
    record.i18n["language"] = source
    record.i18n[f"{language}_text"] = _translate(record.text, source, language)
    return _answer(call, record)


def query_message_history(call: Call) -> dict[str, Any]:
    """POST /messages/history (QueryMessageHistory): earlier versions of edited messages,
    newest edit first by default, paginated by `next` / `prev` cursors."""
    app, body = call.app, call.body
    match = compile_filter(required(body, "filter", dict), "filter")
    limit = int_in_range(body.get("limit", 10), "limit", 1, 300)
    cursor = optional(body, "next", str) or optional(body, "prev", str)
    offset, sort = decode_cursor(cursor, "next") if cursor else (0, [])
    sort = sort or parse_sort(body.get("sort")) or [("message_updated_at", -1)]
    docs = []
    for version in app.message_history:
        doc = {
            **copy.deepcopy(version.custom),
            "message_id": version.message_id,
            "text": version.text,
            "attachments": copy.deepcopy(version.attachments),
            "message_updated_at": stream_time(version.updated_at),
            "message_updated_by_id": version.updated_by_id,
        }
        if match(doc):
            docs.append((doc, version))
    ordered = [doc for doc, _ in sort_documents(docs, sort)]
    chosen, following, previous = page(ordered, offset, limit, sort)
    return {"message_history": chosen, "next": following, "prev": previous}


GIPHY_ACTIONS = ("send", "shuffle", "cancel")


def run_message_action(call: Call) -> dict[str, Any]:
    """POST /messages/{message_id}/action (RunMessageAction): the giphy preview's buttons,
    `form_data.image_action`: `send` posts it to the channel, `shuffle` picks another
    image, `cancel` drops it. Only its author may act on it."""
    app, body = call.app, call.body
    record = _message(call, allow_deleted=False)
    user_id = acting_user(call, body)
    form = required(body, "form_data", dict)
    action = required(form, "image_action", str, "form_data.image_action")
    if record.type != "ephemeral" or record.command != "giphy":
        raise input_error(texts.NOT_AN_ACTION_MESSAGE.format(message_id=record.id))
    if user_id != record.user_id:
        raise not_allowed(
            texts.NOT_MESSAGE_AUTHOR.format(user_id=user_id, author_id=record.user_id)
        )
    if action not in GIPHY_ACTIONS:
        raise input_error(texts.UNKNOWN_ACTION.format(actions=", ".join(GIPHY_ACTIONS)))
    channel = app.live_channel(record.cid)
    if channel is None:
        raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=record.cid))
    if action == "cancel":
        del app.messages[record.id]
        return {"message": {**render.message(app, record), "type": "deleted"}}
    if action == "send" and not may_use(call, channel, user_id):
        # The preview stays; the send answers the frozen channel's error message.
        return _answer(call, error_message(record, CHANNEL_FROZEN))
    record.updated_at = call.now
    if action == "shuffle":
        record.shuffles += 1
        record.attachments = [giphy_attachment(record)]
    else:
        app.send_ephemeral(channel, record)
    return _answer(call, record)
