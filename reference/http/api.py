"""The reference backend's routes as one dispatch function.

    POST /api/chat/token?profile_type=user|company&company_id=<uuid>
    POST /api/chat/conversations          {conversation_type, participant_ids, name?, company_id?}
    GET  /api/chat/conversations/{id}     participants and the creator only
    POST /api/test/provider-state         test mode only (see provider_state.py)
    GET  /healthz

Every answer is JSON: `{"success": true, "data": ...}` or `{"success": false, "error": "..."}`.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from chatgate.reference.sync.service import ConversationService, CreateConversation, SyncError

from .auth import BackendAuth
from .provider_state import apply_provider_state

log = logging.getLogger("chatgate.reference.http")

MAX_BODY_BYTES = 1024 * 1024
CREATE_FIELDS = ("conversation_type", "participant_ids", "name", "company_id")
_CONVERSATION = re.compile(r"^/api/chat/conversations/(?P<id>[^/]+)$")


@dataclass
class ApiAnswer:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: {"content-type": "application/json"})
    delay_s: float = 0.0
    drop: bool = False

    def json(self) -> Any:
        return json.loads(self.body)


def _answer(status: int, payload: dict[str, Any]) -> ApiAnswer:
    return ApiAnswer(status, json.dumps(payload).encode())


def _ok(data: Any, status: int = 200) -> ApiAnswer:
    return _answer(status, {"success": True, "data": data})


def _json_object(raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BODY_BYTES:
        raise SyncError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")
    try:
        body = json.loads(raw) if raw.strip() else None
    except (ValueError, UnicodeDecodeError):
        raise SyncError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise SyncError(400, "the request body must be a JSON object")
    return body


class ChatApi:
    """Routes HTTP requests to the service; never raises, always answers JSON."""

    def __init__(
        self, service: ConversationService, auth: BackendAuth, *, test_mode: bool = False
    ) -> None:
        self.service = service
        self.auth = auth
        self.test_mode = test_mode

    def dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> ApiAnswer:
        """Answer one request: `(method, path, raw query, headers, raw body)`."""
        lowered = {k.lower(): v for k, v in headers.items()}
        params = dict(parse_qsl(query, keep_blank_values=True))
        try:
            return self._route(method.upper(), path.rstrip("/") or "/", params, lowered, body)
        except SyncError as error:
            return _answer(error.status, {"success": False, "error": error.message})
        except Exception:
            log.exception("the reference backend failed on %s %s", method, path)
            return _answer(500, {"success": False, "error": "internal error"})

    def _route(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], raw: bytes
    ) -> ApiAnswer:
        if path == "/healthz":
            self._allow(method, "GET", path)
            return _ok({"status": "ok"})
        if path == "/api/test/provider-state" and self.test_mode:
            self._allow(method, "POST", path)
            body = _json_object(raw)
            return _ok(apply_provider_state(self.service.database_url, body, self.auth.issue))
        if path == "/api/chat/token":
            self._allow(method, "POST", path)
            user_id = self.auth.user_id(headers.get("authorization"))
            token = self.service.issue_token(
                user_id, params.get("profile_type"), params.get("company_id") or None
            )
            return _ok(token.to_json())
        if path == "/api/chat/conversations":
            self._allow(method, "POST", path)
            user_id = self.auth.user_id(headers.get("authorization"))
            return _ok(self.service.create(user_id, self._create_request(raw)).to_json(), 201)
        found = _CONVERSATION.match(path)
        if found:
            self._allow(method, "GET", path)
            user_id = self.auth.user_id(headers.get("authorization"))
            return _ok(self.service.get(user_id, found["id"]).to_json())
        raise SyncError(404, f"no route {method} {path}")

    @staticmethod
    def _allow(method: str, allowed: str, path: str) -> None:
        if method != allowed:
            raise SyncError(405, f"{method} is not allowed on {path}; use {allowed}")

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
