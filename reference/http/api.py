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
from chatgate.lifecycle import Lifecycle
from chatgate.reference.sync.errors import SyncError
from chatgate.reference.sync.model import (
    DEFAULT_LIST_LIMIT,
    Conversation,
    CreateConversation,
    Profile,
)
from chatgate.reference.sync.service import ConversationService

from . import errors
from .auth import BackendAuth
from .errors import MAX_BODY_BYTES, ApiError
from .provider_state import apply_provider_state

log = logging.getLogger("chatgate.reference.http")

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


def _ok(data: Any, status: int = 200) -> HttpAnswer:
    return json_answer(status, {"success": True, "data": data})


def too_large(_method: str, _path: str) -> HttpAnswer:
    """The 413 sent before an oversized body is read whole."""
    return errors.body_too_large().answer()


def _json_object(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise errors.body_too_large()
    if not raw.strip():
        raise errors.not_an_object()
    body = decode_json(raw, MAX_JSON_DEPTH)
    if isinstance(body, Undecodable):
        raise errors.not_json(body.error)
    if not isinstance(body, dict):
        raise errors.not_an_object()
    problem = find_unclean_text(body)
    if problem:
        raise errors.bad_request(problem)
    return body


def _check_content_type(headers: dict[str, str], raw: bytes) -> None:
    if not raw:
        return
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        shown = media or "none"
        raise errors.wrong_content_type(shown)


def _check_request_text(path: str, params: dict[str, str]) -> None:
    """The path and query must be clean text too: they reach SQL and Stream."""
    problem = find_unclean_text(path, "the path") or find_unclean_text(params, "the query")
    if problem:
        raise errors.bad_request(problem)


def _int_param(params: dict[str, str], name: str, default: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise errors.not_whole_number(name, text) from None


def _profile(params: dict[str, str]) -> Profile:
    return Profile(params.get("profile_type") or "user", params.get("company_id") or None)


class ChatApi(Lifecycle):
    """Routes HTTP requests to the service; never raises, always answers JSON.

    `start()` (or `with api:`) pools the database connections until `stop()`; an API
    never started opens a fresh connection per use."""

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

    def start(self) -> ChatApi:
        """Open the database pool: one connection per worker (Stream and local)."""
        self.service.database.open(STREAM_WORKERS + LOCAL_WORKERS)
        return self

    def stop(self) -> None:
        """Let running requests finish, stop the workers, close the database pool."""
        self._stream_pool.shutdown(wait=True)
        self._local_pool.shutdown(wait=True)
        self.service.database.close()

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
            return ApiError.of(error).answer()
        except ApiError as error:
            return error.answer()
        except Exception:
            log.exception("the reference backend failed on %s %s", method, path)
            return errors.INTERNAL.answer()

    def _user(self, headers: dict[str, str]) -> str:
        """The signed-in human: a valid bearer naming a user the backend knows (401)."""
        return self.service.authenticate(self.auth.user_id(headers.get("authorization")))

    def _create(self, headers: dict[str, str], raw: bytes) -> Conversation:
        """A create by the signed-in human: as `_user` then the service's create, but the
        user is looked up with what the create reads (one round trip fewer); a 401 still
        comes before a 400."""
        subject = self.auth.user_id(headers.get("authorization"))
        try:
            request = self._create_request(raw)
        except ApiError:
            self.service.authenticate(subject)
            raise
        return self.service.create(subject, request, check_user=True)

    def _route(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> HttpAnswer:
        if path == "/healthz":
            self._allow(method, ("GET",), path)
            return _ok({"status": "ok"})
        if path == "/api/test/provider-state" and self.test_mode:
            self._allow(method, ("POST",), path)
            body = _json_object(raw)
            return _ok(apply_provider_state(self.service.database, body, self.auth.issue))
        if path == "/api/chat/token":
            self._allow(method, ("POST",), path)
            token = self.service.issue_token(self._user(headers), _profile(params))
            return _ok(token.to_json())
        if path == "/api/chat/conversations":
            self._allow(method, ("GET", "POST"), path)
            if method == "POST":
                return _ok(self._create(headers, raw).to_json(), 201)
            user_id = self._user(headers)
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
                raise errors.bad_conversation_id()
            return _ok(self.service.get(user_id, found["id"]).to_json())
        raise errors.no_route(method, path)

    @staticmethod
    def _allow(method: str, allowed: tuple[str, ...], path: str) -> None:
        if method not in allowed:
            raise errors.method_not_allowed(method, path, allowed)

    @staticmethod
    def _create_request(raw: bytes) -> CreateConversation:
        body = _json_object(raw)
        unknown = sorted(set(body) - set(CREATE_FIELDS))
        if unknown:
            raise errors.unknown_fields(unknown)
        kind = body.get("conversation_type")
        if not isinstance(kind, str):
            raise errors.conversation_type_not_text()
        participants = body.get("participant_ids")
        if not isinstance(participants, list) or not all(isinstance(p, str) for p in participants):
            raise errors.participant_ids_not_texts()
        company_id = body.get("company_id")
        if company_id is not None and not isinstance(company_id, str):
            raise errors.company_id_not_text()
        return CreateConversation(kind, participants, body.get("name"), company_id)
