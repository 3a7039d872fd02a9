"""The chat's HTTP API: one dispatch function over the route table (`routes.ROUTES`).

Every answer is `{"success": true, "data": ...}` or `{"success": false, "error": "..."}`
(docs/chat-contract.md), except a media download and the OpenAPI document. The acting
user is decided in one place, `ChatApi.acting_user`, from the bearer token alone.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from chatgate.http.answer import HttpAnswer, json_answer
from chatgate.http.jsonbody import Undecodable, decode_json, find_unclean_text
from chatgate.lifecycle import Lifecycle
from chatgate.reference.http.auth import BackendAuth

from .. import errors as chat_errors
from .. import store
from ..errors import ChatError
from ..seams import ReadMark
from ..service import (
    MAX_GROUP_NAME_CHARS,
    ChatService,
    ConversationSummary,
    ConversationView,
    Message,
)
from . import errors
from .openapi import document
from .provider_state import apply_provider_state
from .routes import MAX_ID, MAX_JSON_BYTES, RAW, Param, Route, match, routes
from .schema import validate

log = logging.getLogger("chatgate.reference.chat.http")

WORKERS = 8
MAX_JSON_DEPTH = 16
NO_CLAIM = "application/octet-stream"
_DECIMAL = re.compile(r"-?[0-9]+")
_USER_ID = re.compile(r"[1-9][0-9]{0,9}")


def _ok(data: Any, status: int = 200) -> HttpAnswer:
    return json_answer(status, {"success": True, "data": data})


def _time(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def message_json(message: Message) -> dict[str, Any]:
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "sender_user_id": message.sender_user_id,
        "message_type": message.type,
        "text": message.text,
        "media_url": message.media_url,
        "sent_at": _time(message.sent_at),
    }


def conversation_json(view: ConversationView | ConversationSummary) -> dict[str, Any]:
    return {
        "id": view.id,
        "type": view.type,
        "name": view.name,
        "participant_user_ids": sorted(view.participant_user_ids),
    }


def summary_json(summary: ConversationSummary) -> dict[str, Any]:
    last = summary.last_message
    return {
        **conversation_json(summary),
        "last_message": None if last is None else message_json(last),
        "unread_count": summary.unread,
    }


def read_mark_json(mark: ReadMark) -> dict[str, Any]:
    return {"user_id": mark.user_id, "read_up_to": mark.read_up_to}


def call_json(call: dict[str, Any]) -> dict[str, Any]:
    return {name: _time(call[name]) for name in store.CALL_FIELDS}


@dataclass(frozen=True)
class Call:
    """One validated request: the acting user (None on routes without one), the path and
    query parameters as typed values, and the body (decoded JSON, raw bytes or None)."""

    me: int | None
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    headers: dict[str, str]

    @property
    def user(self) -> int:
        assert self.me is not None, "an authenticated route always has an acting user"
        return self.me


def _read_param(param: Param, text: str) -> Any:
    """A parameter's text as its schema's type, then checked against the schema."""
    value: Any = text
    if param.schema.get("type") == "integer":
        if not _DECIMAL.fullmatch(text):
            raise errors.not_whole_number(param.name, text)
        value = int(text)
    validate(value, param.schema, param.name)
    return value


class ChatApi(Lifecycle):
    """Routes HTTP requests to the chat service; never raises, always answers.

    `start()` (or `with api:`) opens the database pool and checks the database is
    migrated; `stop()` lets running requests finish and closes the pool."""

    def __init__(self, service: ChatService, auth: BackendAuth, *, test_mode: bool = False) -> None:
        self.service = service
        self.auth = auth
        self.test_mode = test_mode
        self.table = routes(test_mode=test_mode, call_types=service.call_types)
        self.document = document(self.table)
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="chat-api")

    def executor_for(self, _method: str, _path: str) -> Executor:
        """The pool every request runs on (nothing here waits on anything but the database)."""
        return self._pool

    def start(self) -> ChatApi:
        """Open the database pool (one connection per worker); refuse a database that is
        not migrated to user identities (ChatError)."""
        self.service.database.open(WORKERS)
        with self.service.database.connection() as conn:
            if not store.is_migrated(conn):
                raise chat_errors.not_migrated()
        return self

    def stop(self) -> None:
        """Let running requests finish, stop the workers, close the database pool."""
        self._pool.shutdown(wait=True)
        self.service.database.close()

    def too_large(self, method: str, path: str) -> HttpAnswer:
        """The 413 sent before a body over every route's limit is read whole, naming the
        limit of the route asked for."""
        found = match(self.table, path.rstrip("/") or "/")
        route = found.route_for(method.upper()) if found else None
        return errors.body_too_large(route.body_limit if route else MAX_JSON_BYTES).answer()

    # -- dispatch ------------------------------------------------------------------------
    def dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> HttpAnswer:
        """Answer one request: `(method, path, raw query, headers, raw body)`."""
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            return self._dispatch(method.upper(), path.rstrip("/") or "/", query, lowered, body)
        except ChatError as error:
            return errors.of_service(error).answer()
        except errors.ApiError as error:
            return error.answer()
        except Exception:
            log.exception("the chat API failed on %s %s", method, path)
            return errors.INTERNAL.answer()

    def _dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], raw: bytes
    ) -> HttpAnswer:
        pairs = self._query(query)
        problem = find_unclean_text(path, "the path")
        if problem:
            raise errors.bad_request(problem)
        found = match(self.table, path)
        if found is None:
            raise errors.no_route(method, path)
        route = found.route_for(method)
        if route is None:
            raise errors.method_not_allowed(method, path, found.allowed)
        body = self._body(route, headers, raw)
        me = self.acting_user(headers, dict(pairs), body) if route.authenticated else None
        path_values = {p.name: _read_param(p, found.params[p.name]) for p in route.path_params}
        query_values = self._query_values(route, pairs)
        if isinstance(route.body, dict):
            validate(body, route.body, "the body")
        handler = getattr(self, route.operation)
        return handler(Call(me, path_values, query_values, body, headers))

    def acting_user(self, headers: dict[str, str], params: dict[str, str], body: Any) -> int:  # noqa: ARG002
        """Who is acting: the user the bearer token names, and nothing else: not a query
        parameter (`params`) nor a body field (`body`), which never decide identity.
        A token naming no user of this backend is refused (401)."""
        sub = self.auth.user_id(headers.get("authorization"))
        if not _USER_ID.fullmatch(sub) or int(sub) > MAX_ID:
            raise errors.bearer_sub_not_a_user_id()
        with self.service.database.connection() as conn:
            if not store.user_exists(conn, int(sub)):
                raise errors.bearer_names_no_user()
        return int(sub)

    @staticmethod
    def _query(query: str) -> list[tuple[str, str]]:
        """The query's (name, value) pairs, every one clean text."""
        pairs = parse_qsl(query, keep_blank_values=True)
        problem = find_unclean_text(dict(pairs), "the query")
        if problem:
            raise errors.bad_request(problem)
        return pairs

    @staticmethod
    def _query_values(route: Route, pairs: list[tuple[str, str]]) -> dict[str, Any]:
        """The route's query parameters, typed and checked (each at most once); the
        others are ignored."""
        values: dict[str, Any] = {}
        for param in route.query:
            given = [value for name, value in pairs if name == param.name]
            if len(given) > 1:
                raise errors.repeated_parameter(param.name)
            if given:
                values[param.name] = _read_param(param, given[0])
            elif param.required:
                raise errors.parameter_required(param.name)
            else:
                values[param.name] = param.schema.get("default")
        return values

    @staticmethod
    def _body(route: Route, headers: dict[str, str], raw: bytes) -> Any:
        """The body as the route takes it: None, raw bytes, or decoded JSON (400/413)."""
        if len(raw) > route.body_limit:
            raise errors.body_too_large(route.body_limit)
        if route.body is None:
            if raw.strip():
                raise errors.no_body_taken(route.method, route.path)
            return None
        if route.body == RAW:
            return raw
        if not raw.strip():
            raise errors.body_required()
        media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media != "application/json":
            raise errors.wrong_content_type(media or "none")
        decoded = decode_json(raw, MAX_JSON_DEPTH)
        if isinstance(decoded, Undecodable):
            raise errors.not_json(decoded.error)
        problem = find_unclean_text(decoded, "the body")
        if problem:
            raise errors.bad_request(problem)
        return decoded

    # -- the operations (one per route, named by its `operation`) ---------------------------
    def health(self, _call: Call) -> HttpAnswer:
        return _ok({"status": "ok"})

    def openapi(self, _call: Call) -> HttpAnswer:
        return json_answer(200, self.document)

    def provider_state(self, call: Call) -> HttpAnswer:
        issued = apply_provider_state(
            self.service.database, call.body, lambda user: self.auth.issue(str(user))
        )
        return _ok(issued)

    def start_conversation(self, call: Call) -> HttpAnswer:
        body, me = call.body, call.user
        others = body["participant_user_ids"]
        if body["type"] == "direct":
            if "name" in body:
                raise errors.direct_has_no_name()
            if len(others) != 1:
                raise errors.direct_needs_one_other()
            started = self.service.start_direct(me, others[0])
            view = self.service.conversation(me, started.conversation_id)
            return _ok(conversation_json(view), 201 if started.created else 200)
        if "name" not in body:
            raise errors.group_needs_a_name(MAX_GROUP_NAME_CHARS)
        return _ok(conversation_json(self.service.create_group(me, body["name"], others)), 201)

    def list_conversations(self, call: Call) -> HttpAnswer:
        found = self.service.conversations(
            call.user, limit=call.query["limit"], offset=call.query["offset"]
        )
        return _ok([summary_json(s) for s in found])

    def search_conversations(self, call: Call) -> HttpAnswer:
        found = self.service.search(call.user, call.query["q"], limit=call.query["limit"])
        return _ok([summary_json(s) for s in found])

    def get_conversation(self, call: Call) -> HttpAnswer:
        view = self.service.conversation(call.user, call.path["conversation_id"])
        return _ok(conversation_json(view))

    def add_participant(self, call: Call) -> HttpAnswer:
        view = self.service.add_participant(
            call.user, call.path["conversation_id"], call.body["user_id"]
        )
        return _ok(conversation_json(view))

    def history(self, call: Call) -> HttpAnswer:
        page = self.service.history(
            call.user,
            call.path["conversation_id"],
            before=call.query["before"],
            limit=call.query["limit"],
        )
        messages = [message_json(m) for m in page.messages]
        return _ok({"messages": messages, "next_before": page.next_before})

    def send_message(self, call: Call) -> HttpAnswer:
        me, conversation, body = call.user, call.path["conversation_id"], call.body
        if "text" in body:
            sent = self.service.send_text(me, conversation, body["text"])
        elif "media_id" in body:
            sent = self.service.send_media(me, conversation, body["media_id"])
        else:
            kind = "voice" if body["message_type"] == "audio" else body["message_type"]
            sent = self.service.send_media_url(me, conversation, kind, body["media_url"])
        return _ok(message_json(sent), 201)

    def mark_read(self, call: Call) -> HttpAnswer:
        read_up_to = self.service.mark_read(
            call.user, call.path["conversation_id"], call.body["up_to_message_id"]
        )
        return _ok({"read_up_to": read_up_to})

    def read_status(self, call: Call) -> HttpAnswer:
        marks = self.service.read_status(call.user, call.path["conversation_id"])
        return _ok([read_mark_json(m) for m in marks])

    def delete_for_me(self, call: Call) -> HttpAnswer:
        self.service.delete_for_me(call.user, call.path["conversation_id"])
        return _ok({"cleared": True})

    def upload(self, call: Call) -> HttpAnswer:
        claim = call.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        claimed = None if claim in ("", NO_CLAIM) else claim
        stored = self.service.upload(call.user, call.query["kind"], call.body, claimed)
        return _ok(stored, 201)

    def download(self, call: Call) -> HttpAnswer:
        mime, content = self.service.media(call.user, call.path["media_id"])
        headers = {"content-type": mime, "x-content-type-options": "nosniff"}
        return HttpAnswer(200, content, headers)

    def start_call(self, call: Call) -> HttpAnswer:
        started = self.service.start_call(
            call.user, call.body["conversation_id"], call.body["call_type"]
        )
        return _ok(call_json(started), 201)

    def call_event(self, call: Call) -> HttpAnswer:
        moved = self.service.call_event(call.user, call.path["call_id"], call.body["event"])
        return _ok(call_json(moved))

    def call_log(self, call: Call) -> HttpAnswer:
        return _ok([call_json(c) for c in self.service.calls(call.user, limit=call.query["limit"])])

    def _blocked(self, me: int) -> HttpAnswer:
        return _ok({"blocked_user_ids": self.service.blocked(me)})

    def block(self, call: Call) -> HttpAnswer:
        self.service.block(call.user, call.body["user_id"])
        return self._blocked(call.user)

    def unblock(self, call: Call) -> HttpAnswer:
        self.service.unblock(call.user, call.path["user_id"])
        return self._blocked(call.user)

    def blocked(self, call: Call) -> HttpAnswer:
        return self._blocked(call.user)

    def settings(self, call: Call) -> HttpAnswer:
        return _ok(self.service.settings(call.user))

    def update_settings(self, call: Call) -> HttpAnswer:
        return _ok(self.service.update_settings(call.user, call.body))
