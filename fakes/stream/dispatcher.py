"""The one entry point every transport calls:
`dispatch(method, path, query, headers, body) -> FakeResponse`.

No handler knows which transport called it; errors of any kind come back as
Stream-shaped JSON with the right status and rate-limit headers.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from .auth import Principal, authenticate
from .call import Call
from .clock import Clock, IdGenerator
from .errors import ErrorCode, StreamError, input_error, not_allowed
from .models import AppState
from .routes import Route, match

log = logging.getLogger("chatgate.fake_stream")

JSON_HEADERS = {"content-type": "application/json"}
UNMATCHED_OPERATION = "Unknown"
# The live API's size limit is not documented (UNCONFIRMED); 5 MiB is generous.
MAX_BODY_BYTES = 5 * 1024 * 1024


@dataclass
class FakeResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    operation: str = UNMATCHED_OPERATION

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class RateLimits:
    """Per app and operation one-minute windows, reported in lowercase headers.

    Counting is always on; refusing with 429 only when `enforce` is set, since
    the live limits differ per endpoint and plan.
    """

    limit: int = 10_000
    enforce: bool = False
    _windows: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, api_key: str, operation: str, now: float) -> tuple[dict[str, str], bool]:
        window = int(now // 60) * 60
        with self._lock:
            start, used = self._windows.get((api_key, operation), (window, 0))
            if start != window:
                start, used = window, 0
            allowed = not self.enforce or used < self.limit
            if allowed:
                used += 1
            self._windows[(api_key, operation)] = (start, used)
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.limit - used, 0)),
            "x-ratelimit-reset": str(start + 60),
        }
        return headers, allowed

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


def _duration(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.2f}ms"


def _normalise_path(path: str) -> str:
    # A trailing-slash base_url makes the SDK send `//users`; Stream tolerates it.
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts)


class FakeStream:
    """An in-memory Stream Chat: apps keyed by api_key, one dispatcher."""

    def __init__(self, *, seed: int | None = None, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.ids = IdGenerator(seed)
        self.rate_limits = RateLimits()
        self._apps: dict[str, AppState] = {}
        self._apps_lock = threading.Lock()

    # -- apps -------------------------------------------------------------
    def register_app(self, api_key: str, api_secret: str) -> AppState:
        """Create (or return) the app for `api_key`; its secret signs the tokens."""
        if not api_key or not api_secret:
            raise ValueError("an app needs a non-empty api_key and api_secret")
        with self._apps_lock:
            app = self._apps.get(api_key)
            if app is not None and app.api_secret != api_secret:
                raise ValueError(f"app {api_key!r} is already registered with another secret")
            if app is None:
                app = self._apps[api_key] = AppState(api_key, api_secret, self.clock, self.ids)
            return app

    def app(self, api_key: str) -> AppState:
        """The state of a registered app (KeyError if unknown)."""
        return self._apps[api_key]

    def _lookup_app(self, api_key: str) -> AppState | None:
        return self._apps.get(api_key)

    def reset(self) -> None:
        """Forget every user, channel, message and task; keep the registered apps."""
        with self._apps_lock:
            for key, app in list(self._apps.items()):
                self._apps[key] = AppState(app.api_key, app.api_secret, self.clock, self.ids)
        self.rate_limits.reset()

    # -- dispatch ---------------------------------------------------------
    def dispatch(
        self,
        method: str,
        path: str,
        query: str | Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes | str | None,
    ) -> FakeResponse:
        """Serve one request; never raises."""
        started = time.perf_counter()
        method = method.upper()
        params = (
            dict(parse_qsl(query, keep_blank_values=True))
            if isinstance(query, str)
            else dict(query)
        )
        lowered = {k.lower(): v for k, v in headers.items()}
        raw = body.encode() if isinstance(body, str) else (body or b"")
        found = match(method, _normalise_path(path))
        operation = found[0].operation if found else UNMATCHED_OPERATION
        limit_headers, allowed = self.rate_limits.take(
            params.get("api_key", ""), operation, self.clock.now().timestamp()
        )
        try:
            if found is None:
                raise StreamError(
                    ErrorCode.DOES_NOT_EXIST,
                    # UNCONFIRMED: the live API's answer to an unknown route.
                    f"{method} {_normalise_path(path)} is not a Stream Chat endpoint "
                    "implemented by chatgate's fake",
                )
            if not allowed:
                # UNCONFIRMED text: the live 429 body is not on record.
                raise StreamError(
                    ErrorCode.RATE_LIMIT,
                    "Too many requests, check response headers for more information.",
                )
            status, payload = self._serve(found[0], found[1], params, lowered, raw)
        except StreamError as error:
            status, payload = error.status, error.body(operation, "")
        except Exception:  # the fake must answer, whatever breaks inside it
            log.exception("fake Stream failed on %s %s", method, path)
            error = StreamError(ErrorCode.INTERNAL, "internal error in chatgate's fake Stream")
            status, payload = error.status, error.body(operation, "")
        payload["duration"] = _duration(started)
        return FakeResponse(
            status=status,
            headers={**JSON_HEADERS, **limit_headers},
            body=json.dumps(payload, separators=(",", ":")).encode(),
            operation=operation,
        )

    def _serve(
        self,
        route: Route,
        path_params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
    ) -> tuple[int, dict[str, Any]]:
        app, principal = authenticate(query, headers, self._lookup_app, self.clock.now())
        if len(raw) > MAX_BODY_BYTES:
            raise StreamError(ErrorCode.PAYLOAD_TOO_BIG, "request body is too large")
        body = _parse_body(raw)
        with app.lock:
            if not principal.server and not route.client_side:
                raise _server_only(app, principal, route)
            call = Call(app, principal, route.operation, path_params, query, body)
            payload = route.handler(call)
        return (201 if route.method == "POST" else 200), payload


def _parse_body(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        # UNCONFIRMED text for a body that is not JSON.
        raise input_error(f"invalid JSON request body: {exc}") from exc
    if not isinstance(value, dict):
        raise input_error("the request body must be a JSON object")
    return value


def _server_only(app: AppState, principal: Principal, route: Route) -> StreamError:
    user = app.users.get(principal.user_id or "")
    role = user.role if user else "user"
    # The permission-denied wording Stream uses for client-side calls (contract A1.6).
    return not_allowed(
        f"User '{principal.user_id}' with role '{role}' is not allowed to perform action "
        f"{route.operation} in scope 'app'"
    )
