"""The reference backend's routes as one dispatch function.

    POST /api/chat/token?profile_type=user|company&company_id=<uuid>
    POST /api/chat/conversations          {conversation_type, participant_ids, name?, company_id?}
    GET  /api/chat/conversations?profile_type=user|company&company_id=&limit=&offset=
    GET  /api/chat/conversations/{id}     participants and the creator only
    POST /api/test/provider-state         test mode only (see provider_state.py)
    GET  /healthz

Every answer is JSON: `{"success": true, "data": ...}` or `{"success": false, "error": "..."}`.
"""

from __future__ import annotations

import logging
import re
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qsl

from chatgate.http.answer import HttpAnswer, json_answer
from chatgate.http.jsonbody import Undecodable, decode_json, find_unclean_text
from chatgate.reference.sync.model import CreateConversation, Profile, SyncError
from chatgate.reference.sync.service import DEFAULT_LIST_LIMIT, ConversationService

from .auth import BackendAuth
from .provider_state import apply_provider_state

log = logging.getLogger("chatgate.reference.http")

MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 16
CREATE_FIELDS = ("conversation_type", "participant_ids", "name", "company_id")
_CONVERSATION = re.compile(r"^/api/chat/conversations/(?P<id>[^/]+)$")
_CHANNEL_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Routes that call Stream run on their own bounded pool, so /healthz and reads
# never queue behind a slow Stream.
STREAM_ROUTES = {
    ("POST", "/api/chat/token"),
    ("POST", "/api/chat/conversations"),
    ("GET", "/api/chat/conversations"),
}
STREAM_WORKERS = 16
LOCAL_WORKERS = 8


def _answer(status: int, payload: dict[str, Any]) -> HttpAnswer:
    return json_answer(status, payload)


def _ok(data: Any, status: int = 200) -> HttpAnswer:
    return _answer(status, {"success": True, "data": data})


def error_answer(status: int, message: str) -> HttpAnswer:
    return _answer(status, {"success": False, "error": message})


def too_large(_method: str, _path: str) -> HttpAnswer:
    """The 413 sent before an oversized body is read whole."""
    return error_answer(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")


def _json_object(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise SyncError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    if not raw.strip():
        raise SyncError(400, "the request body must be a JSON object")
    body = decode_json(raw, MAX_JSON_DEPTH)
    if isinstance(body, Undecodable):
        raise SyncError(400, f"the request body is not valid JSON: {body.error}")
    if not isinstance(body, dict):
        raise SyncError(400, "the request body must be a JSON object")
    problem = find_unclean_text(body)
    if problem:
        raise SyncError(400, problem)
    return body


def _check_content_type(headers: dict[str, str], raw: bytes) -> None:
    if not raw:
        return
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        shown = media or "none"
        raise SyncError(415, f"Content-Type must be application/json, got {shown}")


def _check_request_text(path: str, params: dict[str, str]) -> None:
    """The path and query must be clean text too: they reach SQL and Stream."""
    problem = find_unclean_text(path, "the path") or find_unclean_text(params, "the query")
    if problem:
        raise SyncError(400, problem)


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise SyncError(400, f"{name} must be a whole number, got {text!r}") from None


def _profile(params: dict[str, str]) -> Profile:
    return Profile(params.get("profile_type") or "user", params.get("company_id") or None)


class ChatApi:
    """Routes HTTP requests to the service; never raises, always answers JSON."""

    def __init__(
        self, service: ConversationService, auth: BackendAuth, *, test_mode: bool = False
    ) -> None:
        self.service = service
        self.auth = auth
        self.test_mode = test_mode
        self._stream_pool = ThreadPoolExecutor(STREAM_WORKERS, thread_name_prefix="api-stream")
        self._local_pool = ThreadPoolExecutor(LOCAL_WORKERS, thread_name_prefix="api-local")

    def executor_for(self, method: str, path: str) -> Executor:
        """The pool a request runs on: Stream-calling routes apart from the rest."""
        route = (method.upper(), path.rstrip("/") or "/")
        return self._stream_pool if route in STREAM_ROUTES else self._local_pool

    def close(self) -> None:
        """Let running requests finish and stop the pools."""
        self._stream_pool.shutdown(wait=True)
        self._local_pool.shutdown(wait=True)

    def dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> HttpAnswer:
        """Answer one request: `(method, path, raw query, headers, raw body)`."""
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            params = dict(parse_qsl(query, keep_blank_values=True))
            _check_request_text(path, params)
            _check_content_type(lowered, body)
            return self._route(method.upper(), path.rstrip("/") or "/", params, lowered, body)
        except SyncError as error:
            return error_answer(error.status, error.message)
        except Exception:
            log.exception("the reference backend failed on %s %s", method, path)
            return error_answer(500, "internal error")

    def _user(self, headers: dict[str, str]) -> str:
        """The signed-in human: a valid bearer naming a user the backend knows (401)."""
        return self.service.authenticate(self.auth.user_id(headers.get("authorization")))

    def _route(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> HttpAnswer:
        if path == "/healthz":
            self._allow(method, ("GET",), path)
            return _ok({"status": "ok"})
        if path == "/api/test/provider-state" and self.test_mode:
            self._allow(method, ("POST",), path)
            body = _json_object(raw)
            return _ok(apply_provider_state(self.service.database_url, body, self.auth.issue))
        if path == "/api/chat/token":
            self._allow(method, ("POST",), path)
            token = self.service.issue_token(self._user(headers), _profile(params))
            return _ok(token.to_json())
        if path == "/api/chat/conversations":
            self._allow(method, ("GET", "POST"), path)
            user_id = self._user(headers)
            if method == "POST":
                created = self.service.create(user_id, self._create_request(raw))
                return _ok(created.to_json(), 201)
            listed = self.service.list(
                user_id,
                _profile(params),
                limit=_int_param(params, "limit", DEFAULT_LIST_LIMIT),
                offset=_int_param(params, "offset", 0),
            )
            return _ok([item.to_json() for item in listed])
        found = _CONVERSATION.match(path)
        if found:
            self._allow(method, ("GET",), path)
            user_id = self._user(headers)
            if not _CHANNEL_ID.match(found["id"]):
                raise SyncError(400, "a conversation id is 1 to 64 letters, digits, '-' or '_'")
            return _ok(self.service.get(user_id, found["id"]).to_json())
        raise SyncError(404, f"no route {method} {path}")

    @staticmethod
    def _allow(method: str, allowed: tuple[str, ...], path: str) -> None:
        if method not in allowed:
            raise SyncError(405, f"{method} is not allowed on {path}; use {' or '.join(allowed)}")

    @staticmethod
    def _create_request(raw: bytes) -> CreateConversation:
        body = _json_object(raw)
        unknown = sorted(set(body) - set(CREATE_FIELDS))
        if unknown:
            raise SyncError(400, f"unknown field(s): {', '.join(unknown)}")
        kind = body.get("conversation_type")
        if not isinstance(kind, str):
            raise SyncError(400, "conversation_type is required and must be a string")
        participants = body.get("participant_ids")
        if not isinstance(participants, list) or not all(isinstance(p, str) for p in participants):
            raise SyncError(400, "participant_ids must be a list of id strings")
        company_id = body.get("company_id")
        if company_id is not None and not isinstance(company_id, str):
            raise SyncError(400, "company_id must be a string")
        return CreateConversation(kind, participants, body.get("name"), company_id)
