"""Rate-limit accounting behind the lowercase `x-ratelimit-*` headers."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RateLimits:
    """Per app and operation one-minute windows, reported in lowercase headers.

    Counting is always on; refusing with 429 only when `enforce` is set, since
    the live limits differ per endpoint and plan.
    """

    operations: tuple[str, ...] = ()
    limit: int = 10_000
    enforce: bool = False
    _windows: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _used(self, api_key: str, operation: str, now: float) -> tuple[int, int]:
        """(window start, calls used in it) for the one-minute window holding `now`."""
        window = int(now // 60) * 60
        start, used = self._windows.get((api_key, operation), (window, 0))
        return (start, used) if start == window else (window, 0)

    def take(self, api_key: str, operation: str, now: float) -> tuple[dict[str, str], bool]:
        """Count one call; returns the headers to send and whether it is allowed."""
        with self._lock:
            start, used = self._used(api_key, operation, now)
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

    def snapshot(self, api_key: str, names: list[str] | None, now: float) -> dict[str, Any]:
        """`{operation: {limit, remaining, reset}}` as GET /rate_limits reports them."""
        out = {}
        with self._lock:
            for name in names or self.operations:
                start, used = self._used(api_key, name, now)
                out[name] = {
                    "limit": self.limit,
                    "remaining": max(self.limit - used, 0),
                    "reset": start + 60,
                }
        return out

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
