"""Rate-limit accounting behind the lowercase `x-ratelimit-*` headers and GET /rate_limits."""

from __future__ import annotations

import base64
import functools
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

# Stream's platforms (GET /rate_limits): server-side calls, then the client SDKs'.
SERVER_SIDE = "server_side"
PLATFORMS = (SERVER_SIDE, "android", "ios", "web")


def platform_of(headers: Mapping[str, str]) -> str:
    """The platform a request counts under: `server_side` for a server token (or one the
    fake cannot read), else the client's platform from `x-stream-client` (`android`,
    `ios`), else `web`.

    UNCONFIRMED: how live Stream tells the platforms apart; a user token from a client
    that names no mobile platform (the Python SDK's) counts as `web`. The token is only
    peeked at here: authentication verifies it.
    """
    return _platform(headers.get("authorization", ""), headers.get("x-stream-client", ""))


# A client sends the same two header values on every call: their platform is kept.
@functools.lru_cache(maxsize=256)
def _platform(authorization: str, stream_client: str) -> str:
    token = authorization.strip()
    try:
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    except (IndexError, ValueError):
        return SERVER_SIDE
    if not isinstance(claims, dict) or claims.get("server") is True:
        return SERVER_SIDE
    client = stream_client.lower()
    if "android" in client:
        return "android"
    if "swift" in client or "ios" in client:
        return "ios"
    return "web"


@dataclass
class RateLimits:
    """Per app, platform and operation one-minute windows, reported in lowercase headers.

    Counting is always on; refusing with 429 only when `enforce` is set, since
    the live limits differ per endpoint and plan.
    """

    operations: tuple[str, ...] = ()
    limit: int = 10_000
    enforce: bool = False
    _windows: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _used(self, key: tuple[str, str, str], now: float) -> tuple[int, int]:
        """(window start, calls used in it) for the one-minute window holding `now`."""
        window = int(now // 60) * 60
        start, used = self._windows.get(key, (window, 0))
        return (start, used) if start == window else (window, 0)

    def _headers(self, start: int, used: int) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(max(self.limit - used, 0)),
            "x-ratelimit-reset": str(start + 60),
        }

    def take(
        self, api_key: str, operation: str, now: float, platform: str = SERVER_SIDE
    ) -> tuple[dict[str, str], bool]:
        """Count one call; returns the headers to send and whether it is allowed."""
        key = (api_key, platform, operation)
        with self._lock:
            start, used = self._used(key, now)
            allowed = not self.enforce or used < self.limit
            if allowed:
                used += 1
            self._windows[key] = (start, used)
        return self._headers(start, used), allowed

    def snapshot(
        self, api_key: str, names: list[str] | None, now: float, platform: str = SERVER_SIDE
    ) -> dict[str, Any]:
        """`{operation: {limit, remaining, reset}}` for one platform, as GET /rate_limits
        reports them."""
        out = {}
        with self._lock:
            for name in names or self.operations:
                start, used = self._used((api_key, platform, name), now)
                out[name] = {
                    "limit": self.limit,
                    "remaining": max(self.limit - used, 0),
                    "reset": start + 60,
                }
        return out

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
