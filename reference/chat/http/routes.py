"""The chat's HTTP routes, each declared once: method, path, what it takes (path and query
parameters, a JSON body or raw bytes, as JSON Schemas), what it answers and with which
statuses. The dispatcher (`api.ChatApi`) matches and validates requests with this table
and the OpenAPI document (`openapi`) is generated from it, so they cannot disagree."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from ..media import MAX_BYTES
from ..seams import AUDIENCES, CALL_TYPES
from ..service import (
    CALL_EVENTS,
    DEFAULT_PAGE,
    MAX_GROUP_MEMBERS,
    MAX_GROUP_NAME_CHARS,
    MAX_PAGE,
    MAX_SEARCH_CHARS,
    MAX_TEXT_CHARS,
    VISIBILITIES,
)
from .schema import check_supported

MAX_JSON_BYTES = 1024 * 1024
# The largest upload the service takes, plus room for a client's framing slack: a body a
# little over a kind's limit gets the service's words (400), a far bigger one 413.
MAX_UPLOAD_BYTES = max(MAX_BYTES.values()) + 64 * 1024
MEDIA_KINDS = tuple(MAX_BYTES)
MESSAGE_MEDIA_TYPES = ("image", "file", "audio")  # "audio": a voice note

MAX_ID = 2**31 - 1  # ids are PostgreSQL integers
ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}
TIME = {"type": "string", "description": "an ISO 8601 time"}
NULLABLE_TIME = {"type": ["string", "null"], "description": "an ISO 8601 time, or null"}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        "additionalProperties": False,
    }


# -- what the routes answer (components of the OpenAPI document) -----------------------------
MESSAGE = _object(
    {
        "id": ID,
        "conversation_id": ID,
        "sender_user_id": ID,
        "message_type": {"enum": ["text", *MESSAGE_MEDIA_TYPES]},
        "text": {"type": ["string", "null"]},
        "media_url": {"type": ["string", "null"]},
        "sent_at": TIME,
    }
)
_CONVERSATION_FIELDS = {
    "id": ID,
    "type": {"enum": ["direct", "group"]},
    "name": {"type": ["string", "null"]},
    "participant_user_ids": {"type": "array", "items": ID},
}
CONVERSATION = _object(_CONVERSATION_FIELDS)
SUMMARY = _object(
    {
        **_CONVERSATION_FIELDS,
        "last_message": {"oneOf": [ref("Message"), {"type": "null"}]},
        "unread_count": {"type": "integer", "minimum": 0},
    }
)
PAGE = _object({"messages": {"type": "array", "items": ref("Message")}, "next_before": NULLABLE_ID})
CALL = _object(
    {
        "id": ID,
        "conversation_id": ID,
        "caller_user_id": ID,
        "call_type": {"enum": list(CALL_TYPES)},
        "status": {"type": "string"},
        "started_at": TIME,
        "answered_at": NULLABLE_TIME,
        "ended_at": NULLABLE_TIME,
        "duration_seconds": {"type": ["integer", "null"], "minimum": 0},
    }
)
SETTINGS_FIELDS = {
    "who_can_message": {"enum": list(AUDIENCES)},
    "read_receipts": {"type": "boolean"},
    "last_seen_visibility": {"enum": list(VISIBILITIES)},
}
SETTINGS = _object(SETTINGS_FIELDS)
UPLOAD = _object(
    {
        "id": {"type": "string"},
        "url": {"type": "string"},
        "mime": {"type": "string"},
        "size": {"type": "integer", "minimum": 1},
        "duration_seconds": {"type": ["number", "null"]},
    }
)
READ_MARK = _object({"user_id": ID, "read_up_to": NULLABLE_ID})
BLOCKED = _object({"blocked_user_ids": {"type": "array", "items": ID}})
PROVIDER_STATE_ANSWER = _object(
    {
        "users": {
            "type": "object",
            "additionalProperties": _object({"id": ID, "token": {"type": "string"}}),
        },
        "conversations": {"type": "object", "additionalProperties": ID},
    }
)
COMPONENTS = {
    "Message": MESSAGE,
    "Conversation": CONVERSATION,
    "Summary": SUMMARY,
    "Page": PAGE,
    "Call": CALL,
    "Settings": SETTINGS,
    "Upload": UPLOAD,
    "ReadMark": READ_MARK,
    "Blocked": BLOCKED,
}

# -- what the routes take ---------------------------------------------------------------------
START = {
    **_object(
        {
            "type": {"enum": ["direct", "group"]},
            "participant_user_ids": {
                "type": "array",
                "items": ID,
                "minItems": 1,
                "maxItems": MAX_GROUP_MEMBERS,
            },
        },
        {"name": {"type": "string", "minLength": 1, "maxLength": MAX_GROUP_NAME_CHARS}},
    ),
    "description": "direct: exactly one other user, no name; group: a name and the others",
}
SEND = {
    "description": 'exactly one of {"text"}, {"media_id"} or {"message_type", "media_url"}',
    "oneOf": [
        _object({"text": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS}}),
        _object({"media_id": {"type": "string", "minLength": 1}}),
        _object(
            {"message_type": {"enum": list(MESSAGE_MEDIA_TYPES)}, "media_url": {"type": "string"}}
        ),
    ],
}
SETTINGS_CHANGE = {**_object({}, SETTINGS_FIELDS), "minProperties": 1}
PROFILES = ("student", "tutor", "parent")
_USER_REF = {
    "description": 'a user key of this call, or {"user_id": n} from an earlier answer',
    "oneOf": [{"type": "string", "minLength": 1}, _object({"user_id": ID})],
}
_AS_PROFILE = _object({"user": _USER_REF, "profile": {"enum": list(PROFILES)}})
PROVIDER_STATE = _object(
    {},
    {
        "users": {
            "type": "array",
            "items": _object(
                {
                    "key": {"type": "string", "minLength": 1, "maxLength": 100},
                    "name": {"type": "string", "minLength": 1, "maxLength": 100},
                },
                {
                    "profiles": {
                        "type": "array",
                        "items": {"enum": list(PROFILES)},
                        "uniqueItems": True,
                    }
                },
            ),
        },
        "connections": {
            "type": "array",
            "items": _object(
                {"between": {"type": "array", "items": _USER_REF, "minItems": 2, "maxItems": 2}}
            ),
        },
        "legacy_conversations": {
            "type": "array",
            "items": _object(
                {
                    "key": {"type": "string", "minLength": 1, "maxLength": 100},
                    "type": {"enum": ["direct", "group"]},
                    "participants": {"type": "array", "items": _AS_PROFILE, "minItems": 2},
                },
                {
                    "name": {"type": "string", "minLength": 1, "maxLength": 255},
                    "messages": {
                        "type": "array",
                        "items": _object(
                            {
                                "from": _AS_PROFILE,
                                "text": {
                                    "type": "string",
                                    "minLength": 1,
                                    "maxLength": MAX_TEXT_CHARS,
                                },
                            }
                        ),
                    },
                },
            ),
        },
    },
)


def _call_body(call_types: tuple[str, ...]) -> dict[str, Any]:
    return _object({"conversation_id": ID, "call_type": {"enum": list(call_types)}})


def _limit(default: int = DEFAULT_PAGE) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": default}


# -- the table ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Param:
    """A path or query parameter; integers arrive as text and are read before checking."""

    name: str
    schema: dict[str, Any]
    required: bool = False


RAW = "raw"  # a body of raw bytes, its Content-Type the client's claim


@dataclass(frozen=True)
class Route:
    """One operation. `answers` maps each success status to its `data` schema (None: a
    raw answer of `raw_type`, outside the envelope); `refusals` are the statuses its own
    rules can answer beyond those every route of its kind can (`statuses`)."""

    method: str
    path: str
    operation: str
    summary: str
    answers: dict[int, dict[str, Any] | None]
    body: dict[str, Any] | str | None = None
    query: tuple[Param, ...] = ()
    refusals: tuple[int, ...] = ()
    authenticated: bool = True
    test_only: bool = False
    raw_type: str = "*/*"  # the Content-Type of a raw answer
    path_params: tuple[Param, ...] = field(init=False)
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        names = re.findall(r"\{(\w+)\}", self.path)
        params = tuple(Param(name, _PATH_PARAMS[name], required=True) for name in names)
        object.__setattr__(self, "path_params", params)
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))
        if isinstance(self.body, dict):
            check_supported(self.body, f"{self.operation} body")
        for param in (*self.query, *params):
            check_supported(param.schema, f"{self.operation} {param.name}")

    @property
    def literal_segments(self) -> int:
        """How specific the path is: `/conversations/search` beats `/conversations/{id}`."""
        return sum(1 for part in self.path.split("/") if part and not part.startswith("{"))

    @property
    def body_limit(self) -> int:
        return MAX_UPLOAD_BYTES if self.body == RAW else MAX_JSON_BYTES

    @property
    def statuses(self) -> tuple[int, ...]:
        """Every status the route can answer: its successes, its refusals, and those of
        any route (400 for bad input, 401 without a valid bearer, 413 for a body too big)."""
        common = [400]
        if self.authenticated:
            common.append(401)
        if self.body is not None:
            common.append(413)
        return tuple(sorted({*self.answers, *common, *self.refusals}))


_PATH_PARAMS = {
    "conversation_id": ID,
    "call_id": ID,
    "user_id": ID,
    "media_id": {"type": "string", "minLength": 1, "maxLength": 64},
}

ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/healthz",
        "health",
        "Whether the server is up",
        {200: _object({"status": {"const": "ok"}})},
        authenticated=False,
    ),
    Route(
        "GET",
        "/openapi.json",
        "openapi",
        "This OpenAPI document (not in the envelope)",
        {200: None},
        authenticated=False,
        raw_type="application/json",
    ),
    Route(
        "POST",
        "/api/chat/conversations",
        "start_conversation",
        "Get or create a direct conversation (201 new, 200 existing), or create a group",
        {201: ref("Conversation"), 200: ref("Conversation")},
        body=START,
        refusals=(403, 404),
    ),
    Route(
        "GET",
        "/api/chat/conversations",
        "list_conversations",
        "The acting user's conversations, latest activity first",
        {200: {"type": "array", "items": ref("Summary")}},
        query=(
            Param("limit", _limit()),
            Param("offset", {"type": "integer", "minimum": 0, "maximum": MAX_ID, "default": 0}),
        ),
    ),
    Route(
        "GET",
        "/api/chat/conversations/search",
        "search_conversations",
        "Conversations where another participant's name or a visible message contains q",
        {200: {"type": "array", "items": ref("Summary")}},
        query=(
            Param("q", {"type": "string", "minLength": 1, "maxLength": MAX_SEARCH_CHARS}, True),
            Param("limit", _limit()),
        ),
    ),
    Route(
        "GET",
        "/api/chat/conversations/{conversation_id}",
        "get_conversation",
        "One of the acting user's conversations",
        {200: ref("Conversation")},
        refusals=(404,),
    ),
    Route(
        "POST",
        "/api/chat/conversations/{conversation_id}/participants",
        "add_participant",
        "Add a user to a group",
        {200: ref("Conversation")},
        body=_object({"user_id": ID}),
        refusals=(403, 404),
    ),
    Route(
        "GET",
        "/api/chat/conversations/{conversation_id}/messages",
        "history",
        "The messages the acting user sees, newest first, a page at a time",
        {200: ref("Page")},
        query=(Param("before", ID), Param("limit", _limit())),
        refusals=(404,),
    ),
    Route(
        "POST",
        "/api/chat/conversations/{conversation_id}/messages",
        "send_message",
        "Send a text, one of the acting user's uploads, or a durable https media URL",
        {201: ref("Message")},
        body=SEND,
        refusals=(403, 404),
    ),
    Route(
        "PUT",
        "/api/chat/conversations/{conversation_id}/read",
        "mark_read",
        "Read up to a message (never backwards)",
        {200: _object({"read_up_to": NULLABLE_ID})},
        body=_object({"up_to_message_id": ID}),
        refusals=(404,),
    ),
    Route(
        "GET",
        "/api/chat/conversations/{conversation_id}/read-status",
        "read_status",
        "How far each other participant has read (null: nothing, or receipts off)",
        {200: {"type": "array", "items": ref("ReadMark")}},
        refusals=(404,),
    ),
    Route(
        "DELETE",
        "/api/chat/conversations/{conversation_id}/history",
        "delete_for_me",
        "Delete for me: the history so far disappears for the acting user only",
        {200: _object({"cleared": {"const": True}})},
        refusals=(404,),
    ),
    Route(
        "POST",
        "/api/chat/media",
        "upload",
        "Upload an image, file or voice note (its type read from the bytes)",
        {201: ref("Upload")},
        body=RAW,
        query=(Param("kind", {"enum": list(MEDIA_KINDS)}, True),),
    ),
    Route(
        "GET",
        "/api/chat/media/{media_id}",
        "download",
        "An upload's bytes, for its uploader and the conversations it was sent in",
        {200: None},
        refusals=(404,),
    ),
    Route(
        "POST",
        "/api/chat/calls",
        "start_call",
        "Start a voice or video call",
        {201: ref("Call")},
        body=_call_body(CALL_TYPES),
        refusals=(403, 404),
    ),
    Route(
        "PUT",
        "/api/chat/calls/{call_id}",
        "call_event",
        "Move a call on (ring, answer, decline, miss, cancel, end)",
        {200: ref("Call")},
        body=_object({"event": {"enum": list(CALL_EVENTS)}}),
        refusals=(403, 404, 409),
    ),
    Route(
        "GET",
        "/api/chat/calls",
        "call_log",
        "The acting user's calls, newest first",
        {200: {"type": "array", "items": ref("Call")}},
        query=(Param("limit", _limit()),),
    ),
    Route(
        "POST",
        "/api/chat/block",
        "block",
        "Block a user (idempotent)",
        {200: ref("Blocked")},
        body=_object({"user_id": ID}),
        refusals=(404,),
    ),
    Route(
        "DELETE",
        "/api/chat/block/{user_id}",
        "unblock",
        "Unblock a user",
        {200: ref("Blocked")},
    ),
    Route("GET", "/api/chat/blocked", "blocked", "The users blocked now", {200: ref("Blocked")}),
    Route("GET", "/api/chat/settings", "settings", "The privacy settings", {200: ref("Settings")}),
    Route(
        "PUT",
        "/api/chat/settings",
        "update_settings",
        "Change some of the privacy settings",
        {200: ref("Settings")},
        body=SETTINGS_CHANGE,
    ),
    Route(
        "POST",
        "/api/test/provider-state",
        "provider_state",
        "Test mode only: create users, connections and legacy (profile-keyed) chat",
        {200: PROVIDER_STATE_ANSWER},
        body=PROVIDER_STATE,
        authenticated=False,
        test_only=True,
    ),
)


def routes(*, test_mode: bool, call_types: tuple[str, ...] = CALL_TYPES) -> tuple[Route, ...]:
    """The routes a server serves: the provider state only in test mode, and the call
    types its service takes (`ChatSteps.call_types`), so the document and the check of a
    start_call say what that service does."""
    return tuple(
        replace(r, body=_call_body(call_types)) if r.operation == "start_call" else r
        for r in ROUTES
        if test_mode or not r.test_only
    )


@dataclass(frozen=True)
class Match:
    """The routes of the one path template a path matched, and its parameters (as text)."""

    candidates: tuple[Route, ...]
    params: dict[str, str]

    def route_for(self, method: str) -> Route | None:
        return next((r for r in self.candidates if r.method == method), None)

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(r.method for r in self.candidates)


def match(table: tuple[Route, ...], path: str) -> Match | None:
    """The most specific template `path` fits, or None."""
    best: Match | None = None
    best_score = -1
    for route in table:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.literal_segments > best_score:
            best, best_score = Match((route,), found.groupdict()), route.literal_segments
        elif best is not None and route.literal_segments == best_score:
            best = Match((*best.candidates, route), best.params)
    return best
