"""The control plane under `/_fake/`: reset, state, journal, faults, lag, clock, seed.

The same operations are reachable in-process on the `FakeStream` object
(`fake.journal`, `fake.faults`, `fake.clock`, `fake.reset()`, ...); this module
only exposes them over HTTP for backends and tools in other processes. It is a
test tool: no authentication, loopback only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from urllib.parse import unquote

from chatgate.http.jsonbody import Undecodable, decode_json

from . import render
from .clock import Clock, bounded, later, parse_stream_time, stream_time
from .faults import Faults
from .journal import Journal
from .models import AppState
from .response import FakeResponse
from .uploads import FILES_PATH

log = logging.getLogger("chatgate.fake_stream")

CONTROL_PREFIX = "/_fake"


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _json_object(headers: Mapping[str, str], raw: bytes) -> dict[str, Any]:
    """The body as a JSON object (`{}` when empty).

    A body declared as anything but JSON is a 415; no Content-Type is taken as JSON.
    """
    if not raw.strip():
        return {}
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise ControlError(415, f"send control bodies as application/json, not {media_type}")
    body = decode_json(raw)
    if isinstance(body, Undecodable):
        raise ControlError(400, f"the request body is not valid JSON: {body.error}")
    if not isinstance(body, dict):
        raise ControlError(400, "the request body must be a JSON object")
    return body


def _clock_change(clock: Clock, body: dict[str, Any]) -> tuple[datetime | None, float | None]:
    """The instant to freeze at and the seconds to advance, checked before either is applied."""
    at = body.get("freeze")
    if at is not None and not isinstance(at, str):
        raise ControlError(400, "freeze must be an RFC 3339 timestamp, or null for now")
    instant = bounded(parse_stream_time(at)) if at is not None else None
    if "advance_seconds" not in body:
        return instant, None
    seconds = body["advance_seconds"]
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise ControlError(400, "advance_seconds must be a number")
    later(instant or clock.now(), seconds)  # ValueError if the clock would leave its range
    return instant, seconds


def dump_app(app: AppState) -> dict[str, Any]:
    """Everything an app holds, in Stream's JSON shapes."""
    with app.lock:
        return {
            "api_key": app.api_key,
            "users": [render.user(u, app) for u in sorted(app.users.values(), key=lambda u: u.seq)],
            "channels": [
                {
                    **render.channel(app, c),
                    "members": [render.member(app, m, c.cid) for m in c.members.values()],
                    "messages": [
                        render.message(app, app.messages[mid], show_deleted=True)
                        for mid in c.message_ids
                        if mid in app.messages
                    ],
                }
                for c in sorted(app.channels.values(), key=lambda c: c.seq)
            ],
            "tasks": [render.task(t) for t in app.tasks.values()],
            "custom_roles": [render.role(r) for r in app.roles.values() if r.custom],
            "lagging_users": app.propagation.pending(),
        }


class Controlled(Protocol):
    """What the control plane drives: the parts of a `FakeStream` it reaches."""

    clock: Clock
    journal: Journal
    faults: Faults

    def apps(self) -> list[AppState]: ...
    def register_app(self, api_key: str, api_secret: str) -> AppState: ...
    def reset(self, *, configuration: bool = False) -> None: ...
    def seed(self, seed: int | None) -> None: ...


class ControlPlane:
    """HTTP face of the fake's test controls."""

    def __init__(self, fake: Controlled) -> None:
        self.fake = fake

    def handle(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: Mapping[str, str],
        raw: bytes,
    ) -> FakeResponse:
        """Serve one control request; `headers` have lowercase names. Never raises."""
        if path.startswith(FILES_PATH + "/"):
            return self._file(method, path[len(FILES_PATH) + 1 :], headers, raw)
        try:
            body = _json_object(headers, raw)
            status, payload = self._route(method, path[len(CONTROL_PREFIX) :] or "/", query, body)
        except ValueError as exc:  # a rejected setting
            status, payload = 400, {"error": str(exc)}
        except ControlError as exc:
            status, payload = exc.status, {"error": str(exc)}
        except Exception:  # the control plane must answer in JSON, whatever breaks
            log.exception("fake Stream control plane failed on %s %s", method, path)
            status, payload = 500, {"error": "internal error in the fake's control plane"}
        return FakeResponse(status, json.dumps(payload).encode(), operation="Control")

    def _file(self, method: str, rest: str, headers: Mapping[str, str], raw: bytes) -> FakeResponse:
        """GET a file the fake holds (`<api_key>/<file id>/<name>`), or PUT an import file
        to the `upload_url` create_import_url gave."""
        api_key, _, rest = unquote(rest).partition("/")
        file_id = rest.split("/", 1)[0]
        app = next((a for a in self.fake.apps() if a.api_key == api_key), None)
        record = app.files.get(file_id) if app is not None else None
        if record is None or method not in ("GET", "PUT") or (method == "PUT" and record.cid):
            error = {"error": f"no file {file_id!r} to {method}"}
            return FakeResponse(404, json.dumps(error).encode(), operation="Control")
        if method == "PUT":
            assert app is not None
            with app.lock:
                record.data = raw
                record.content_type = headers.get("content-type") or record.content_type
            return FakeResponse(200, b"{}", operation="Control")
        content_type = record.content_type or "application/octet-stream"
        return FakeResponse(200, record.data, {"content-type": content_type}, operation="Control")

    def _app(self, query: dict[str, str], body: dict[str, Any]) -> AppState:
        api_key = body.get("api_key") or query.get("api_key")
        apps = self.fake.apps()
        if api_key is None:
            if len(apps) != 1:
                raise ControlError(400, "several apps are registered: pass api_key")
            return apps[0]
        for app in apps:
            if app.api_key == api_key:
                return app
        raise ControlError(404, f"no app with api_key {api_key!r}")

    def _route(
        self, method: str, path: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        fake = self.fake
        key = (method, path)
        if key == ("POST", "/reset"):
            configuration = body.get("configuration", False)
            if not isinstance(configuration, bool):
                raise ControlError(400, "configuration must be true or false")
            fake.reset(configuration=configuration)
            return 200, {}
        if key == ("GET", "/state"):
            if query.get("api_key") or len(fake.apps()) == 1:
                return 200, dump_app(self._app(query, body))
            return 200, {"apps": [dump_app(app) for app in fake.apps()]}
        if key == ("POST", "/apps"):
            api_key, secret = body.get("api_key"), body.get("api_secret")
            if not isinstance(api_key, str) or not isinstance(secret, str):
                raise ControlError(400, "api_key and api_secret must be strings")
            fake.register_app(api_key, secret)
            return 201, {"api_key": api_key}
        if path == "/journal" or path == "/journal/unmatched":
            return self._journal(method, path, query)
        if path == "/faults" or path.startswith("/faults/"):
            return self._faults(method, path, body)
        if path == "/lag":
            return self._lag(method, query, body)
        if path == "/clock":
            return self._clock(method, body)
        if key == ("POST", "/seed"):
            seed = body.get("seed")
            if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
                raise ControlError(400, "seed must be an integer or null")
            fake.seed(seed)
            return 200, {"seed": seed}
        raise ControlError(404, f"no control endpoint {method} {CONTROL_PREFIX}{path}")

    def _journal(self, method: str, path: str, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        journal = self.fake.journal
        if method == "DELETE" and path == "/journal":
            journal.clear()
            return 200, {}
        if method != "GET":
            raise ControlError(405, f"{method} is not allowed on {CONTROL_PREFIX}{path}")
        if path == "/journal/unmatched":
            entries = journal.unmatched()
        else:
            operations = [op for op in query.get("operation", "").split(",") if op]
            entries = journal.entries(operations or None, api_key=query.get("api_key"))
        return 200, {"count": len(entries), "requests": [e.to_json() for e in entries]}

    def _faults(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        faults = self.fake.faults
        if path.startswith("/faults/"):
            rule_id = path[len("/faults/") :]
            if method != "DELETE":
                raise ControlError(405, f"{method} is not allowed on a single fault rule")
            if not faults.remove(rule_id):
                raise ControlError(404, f"no fault rule {rule_id!r}")
            return 200, {}
        if method == "GET":
            return 200, {"faults": [r.to_json() for r in faults.rules()]}
        if method == "DELETE":
            faults.clear()
            return 200, {}
        if method == "POST":
            allowed = {
                "kind", "operation", "path", "method", "code", "status", "message",
                "latency_ms", "times", "probability",
            }  # fmt: skip
            unknown = sorted(set(body) - allowed)
            if unknown:
                raise ControlError(400, f"unknown fault field(s): {', '.join(unknown)}")
            try:
                rule = faults.add(**body)
            except TypeError as exc:
                raise ControlError(400, f"bad fault rule: {exc}") from exc
            return 201, {"fault": rule.to_json()}
        raise ControlError(405, f"{method} is not allowed on {CONTROL_PREFIX}/faults")

    def _lag(
        self, method: str, query: dict[str, str], body: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        app = self._app(query, body)
        with app.lock:
            if method == "DELETE":
                app.propagation.clear()
                return 200, {}
            if method == "POST":
                app.propagation.configure(
                    calls=body.get("calls"), ms=body.get("ms"), user_ids=body.get("user_ids")
                )
                return 200, {"calls": app.propagation.calls, "ms": app.propagation.ms}
        raise ControlError(405, f"{method} is not allowed on {CONTROL_PREFIX}/lag")

    def _clock(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        clock = self.fake.clock
        if method == "POST":
            instant, seconds = _clock_change(clock, body)
            if "freeze" in body:
                clock.freeze(instant)
            if seconds is not None:
                clock.advance(seconds)
            if body.get("unfreeze") is True:
                clock.unfreeze()
        elif method != "GET":
            raise ControlError(405, f"{method} is not allowed on {CONTROL_PREFIX}/clock")
        return 200, {"now": stream_time(clock.now()), "frozen": clock.frozen}
