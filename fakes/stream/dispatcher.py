"""The one entry point every transport calls:
`dispatch(method, path, query, headers, body) -> FakeResponse`.

No handler knows which transport called it; errors of any kind come back as
Stream-shaped JSON with the right status and rate-limit headers.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl

from chatgate.http.answer import JSON_HEADERS
from chatgate.http.jsonbody import Undecodable, decode_json

from . import texts
from .auth import Principal, TokenCache, authenticate, refuse_revoked
from .call import Call
from .clock import Clock, IdGenerator
from .control import CONTROL_PREFIX, ControlPlane
from .errors import ErrorCode, StreamError, input_error
from .faults import Faults
from .journal import Journal
from .models import AppState
from .permissions import denied, require_active
from .ratelimits import RateLimits, platform_of
from .response import UNMATCHED_OPERATION, FakeResponse
from .routes import ROUTES, Route, match
from .uploads import origin, parse_multipart
from .webhooks import WebhookSender, deliveries

log = logging.getLogger("chatgate.fake_stream")

# The live API's size limit is not documented (UNCONFIRMED); 5 MiB is generous.
MAX_BODY_BYTES = 5 * 1024 * 1024


# The answer's JSON, compact; one encoder for every answer.
_ENCODE = json.JSONEncoder(separators=(",", ":")).encode


def _duration(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.2f}ms"


def _normalise_path(path: str) -> str:
    # A trailing-slash base_url makes the SDK send `//users`; Stream tolerates it.
    parts = [p for p in path.split("/") if p]
    return "/" + "/".join(parts)


# A client sends the same query (its api_key) on most calls.
@functools.lru_cache(maxsize=256)
def _query_pairs(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(query, keep_blank_values=True))


def _http_date(timestamp: float) -> str:
    """`email.utils.formatdate(timestamp, usegmt=True)`, formatted once per second."""
    instant = datetime.fromtimestamp(timestamp, timezone.utc)
    return _http_date_of_second(instant.replace(microsecond=0))


@functools.lru_cache(maxsize=8)
def _http_date_of_second(second: datetime) -> str:
    return format_datetime(second, usegmt=True)


class FakeStream:
    """An in-memory Stream Chat: apps keyed by api_key, one dispatcher."""

    def __init__(self, *, seed: int | None = None, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.ids = IdGenerator(seed)
        self.rate_limits = RateLimits(operations=tuple(sorted({r.operation for r in ROUTES})))
        self.journal = Journal()
        self.tokens = TokenCache()
        self.faults = Faults(seed)
        self.control = ControlPlane(self)
        self.webhooks = WebhookSender(self.journal, self.faults, self.clock)
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

    def apps(self) -> list[AppState]:
        """Every registered app's current state."""
        with self._apps_lock:
            return list(self._apps.values())

    def seed(self, seed: int | None) -> None:
        """Re-seed generated ids and probabilistic faults, for repeatable runs."""
        self.ids.seed(seed)
        self.faults.seed(seed)

    def _lookup_app(self, api_key: str) -> AppState | None:
        return self._apps.get(api_key)

    def reset(self, *, configuration: bool = False) -> None:
        """Forget every user, channel, message and task; keep the registered apps and,
        unless `configuration`, their configuration: custom roles, channel types,
        commands, blocklists and permissions (a backend creates those once, when it
        starts, so a harness emptying Stream between scenarios must not take them)."""
        with self._apps_lock:
            for key, app in list(self._apps.items()):
                fresh = AppState(app.api_key, app.api_secret, self.clock, self.ids)
                if not configuration:
                    fresh.roles.update({n: r for n, r in app.roles.items() if r.custom})
                    fresh.channel_types = app.channel_types
                    fresh.commands = app.commands
                    fresh.blocklists = app.blocklists
                    fresh.permissions = app.permissions
                self._apps[key] = fresh
        self.rate_limits.reset()
        self.journal.clear()
        self.faults.clear()

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
        params = dict(_query_pairs(query)) if isinstance(query, str) else dict(query)
        raw = body.encode() if isinstance(body, str) else (body or b"")
        path = _normalise_path(path)
        lowered = {k.lower(): v for k, v in headers.items()}
        if path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/"):
            return self.control.handle(method, path, params, lowered, raw)
        found = match(method, path)
        operation = found[0].operation if found else UNMATCHED_OPERATION
        api_key = params.get("api_key", "")
        at = self.clock.now()
        now = at.timestamp()
        platform = platform_of(lowered)
        limit_headers, allowed = self.rate_limits.take(api_key, operation, now, platform)
        # Read as JSON whatever Content-Type says (UNCONFIRMED: whether live Stream
        # checks the header is not on record; both SDKs send application/json).
        parsed = decode_json(raw) if raw.strip() else {}
        try:
            fault = self.faults.take(operation, method, path)
        except Exception:  # a broken rule must not take the fake down
            log.exception("fault rule matching failed on %s %s", method, path)
            fault = None
        delay_s = fault.latency_ms / 1000 if fault is not None else 0.0
        principal: Principal | None = None
        if fault is not None and fault.kind == "drop":
            self._journal(started, api_key, operation, method, path, params, raw, 0, None, found)
            return FakeResponse(0, b"", {}, delay_s=delay_s, drop=True, operation=operation)
        try:
            if fault is not None and fault.kind in ("error", "rate_limit"):
                if fault.kind == "rate_limit":
                    # An injected 429 says the window is used up; the real window is left
                    # as it is, so the next call is served (the rule ran out) as counted.
                    limit_headers["x-ratelimit-remaining"] = "0"
                raise fault.error()
            if found is None:
                raise StreamError(
                    ErrorCode.DOES_NOT_EXIST,
                    # UNCONFIRMED: the live API's answer to an unknown route.
                    f"{method} {path} is not a Stream Chat endpoint implemented by chatgate's fake",
                )
            if not allowed:
                raise StreamError(ErrorCode.RATE_LIMIT, texts.RATE_LIMITED)
            app, principal = authenticate(params, lowered, self._lookup_app, at, self.tokens)
            status, payload = self._serve(
                app, principal, found[0], found[1], params, lowered, raw, parsed
            )
        except StreamError as error:
            status, payload = error.status, error.body(operation, "")
        except Exception:  # the fake must answer, whatever breaks inside it
            log.exception("fake Stream failed on %s %s", method, path)
            error = StreamError(ErrorCode.INTERNAL, "internal error in chatgate's fake Stream")
            status, payload = error.status, error.body(operation, "")
        self._journal(
            started, api_key, operation, method, path, params, raw, status, principal, found
        )
        payload["duration"] = _duration(started)
        return FakeResponse(
            status,
            # Date comes from the fake's clock, so a client can read
            # x-ratelimit-reset against the server's time, as against Stream's.
            body=_ENCODE(payload).encode(),
            headers={**JSON_HEADERS, **limit_headers, "date": _http_date(now)},
            operation=operation,
            delay_s=delay_s,
        )

    def _journal(
        self,
        started: float,
        api_key: str,
        operation: str,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        status: int,
        principal: Principal | None,
        found: object,
    ) -> None:
        self.journal.record(
            time=self.clock.now(),
            received_s=self.journal.elapsed(started),
            api_key=api_key,
            operation=operation,
            method=method,
            path=path,
            query=query,
            body=body,
            status=status,
            principal=principal.label if principal is not None else None,
            matched=found is not None,
        )

    def _serve(
        self,
        app: AppState,
        principal: Principal,
        route: Route,
        path_params: dict[str, str],
        query: dict[str, str],
        headers: dict[str, str],
        raw: bytes,
        parsed: Any,
    ) -> tuple[int, dict[str, Any]]:
        if len(raw) > MAX_BODY_BYTES:
            raise StreamError(ErrorCode.PAYLOAD_TOO_BIG, texts.PAYLOAD_TOO_BIG)
        if route.multipart:
            body = parse_multipart(headers.get("content-type", ""), raw)
        else:
            body = _require_object(parsed)
        with app.lock:
            app.run_due()  # work the fake's clock has made due: scheduled campaigns
            refuse_revoked(app, principal)
            if not principal.server:
                require_active(app.users.get(principal.user_id or ""))
            if not principal.server and not route.client_side:
                # Stream's permission text for client-side calls, in scope 'app' (contract A1.6).
                raise denied(app, principal.user_id or "", route.operation, "app")
            call = Call(
                app,
                principal,
                route.operation,
                path_params,
                query,
                body,
                self.rate_limits,
                origin(headers),
            )
            channels_before = len(app.channels)
            payload = route.handler(call)
            call.created_channel = len(app.channels) > channels_before
            for delivery in deliveries(call, payload):
                self.webhooks.send(delivery)
        return (201 if route.method == "POST" else 200), payload


def _require_object(parsed: Any) -> dict[str, Any]:
    if isinstance(parsed, Undecodable):
        # UNCONFIRMED text for a body that is not JSON.
        raise input_error(f"invalid JSON request body: {parsed.error}")
    if not isinstance(parsed, dict):
        raise input_error("the request body must be a JSON object")
    return parsed
