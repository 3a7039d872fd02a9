"""Propagation lag: freshly upserted users stay invisible to channel operations
for a while, to test a backend's verify-and-retry logic without sleeping.

Live Stream is read-after-write (contract §6); this is a fault, off by default.
The lag ends after N channel operations, or once the fake's clock has moved
M milliseconds past the upsert, whichever is configured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Bounds a test can need; beyond them a lag only breaks the fake's arithmetic.
MAX_CALLS = 10_000
MAX_MS = 3_600_000  # one hour of the fake's clock


def _check_calls(calls: object) -> None:
    if not isinstance(calls, int) or isinstance(calls, bool):
        raise ValueError("calls must be a whole number")
    if not 1 <= calls <= MAX_CALLS:
        raise ValueError(f"calls must be at least 1 and at most {MAX_CALLS}")


def _check_ms(ms: object) -> None:
    if not isinstance(ms, (int, float)) or isinstance(ms, bool):
        raise ValueError("ms must be a number")
    if not (math.isfinite(ms) and 0 < ms <= MAX_MS):
        raise ValueError(f"ms must be a finite number greater than 0 and at most {MAX_MS}")


@dataclass
class _Pending:
    calls_left: int | None
    visible_at: datetime | None


@dataclass
class Propagation:
    calls: int | None = None
    ms: float | None = None
    user_ids: frozenset[str] | None = None
    _pending: dict[str, _Pending] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.calls is not None or self.ms is not None

    def configure(
        self,
        *,
        calls: int | None = None,
        ms: float | None = None,
        user_ids: list[str] | None = None,
    ) -> None:
        """Lag every user upserted from now on (or only `user_ids`) by `calls` and/or `ms`."""
        if calls is None and ms is None:
            raise ValueError("propagation lag needs calls, ms, or both")
        if calls is not None:
            _check_calls(calls)
        if ms is not None:
            _check_ms(ms)
        if user_ids is not None and (
            not isinstance(user_ids, list) or not all(isinstance(u, str) for u in user_ids)
        ):
            raise ValueError("user_ids must be a list of user ids")
        self.calls, self.ms = calls, ms
        self.user_ids = frozenset(user_ids) if user_ids is not None else None

    def clear(self) -> None:
        self.calls = self.ms = None
        self.user_ids = None
        self._pending.clear()

    def upserted(self, user_id: str, now: datetime) -> None:
        """Note a freshly created user; it starts invisible if the lag applies to it."""
        if not self.active or (self.user_ids is not None and user_id not in self.user_ids):
            return
        visible_at = now + timedelta(milliseconds=self.ms) if self.ms is not None else None
        self._pending[user_id] = _Pending(self.calls, visible_at)

    def visible(self, user_id: str, now: datetime) -> bool:
        pending = self._pending.get(user_id)
        if pending is None:
            return True
        if pending.calls_left is not None and pending.calls_left <= 0:
            del self._pending[user_id]
            return True
        if pending.visible_at is not None and now >= pending.visible_at:
            del self._pending[user_id]
            return True
        return False

    def channel_operation(self) -> None:
        """Count one channel operation against every user still lagging."""
        for pending in self._pending.values():
            if pending.calls_left is not None:
                pending.calls_left -= 1

    def pending(self) -> list[str]:
        return list(self._pending)
