"""Injectable time and id sources, so tests control what the fake stamps."""

from __future__ import annotations

import math
import random
import threading
import uuid
from datetime import datetime, timedelta, timezone

from chatgate.isotime import parse_iso

# The fake's time stays in these years, so every handler's date arithmetic
# (now plus the longest ban timeout, lag or rate-limit window) stays far from
# year 9999, where Python's datetime ends.
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(3000, 1, 1, tzinfo=timezone.utc)


def bounded(instant: datetime) -> datetime:
    """`instant` in UTC (naive means UTC); ValueError outside [EARLIEST, LATEST)."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    try:
        utc = instant.astimezone(timezone.utc)
    except OverflowError:
        utc = None
    if utc is None or not EARLIEST <= utc < LATEST:
        raise ValueError(
            f"the fake's clock runs from {EARLIEST.year} to {LATEST.year - 1}: "
            f"{instant.isoformat()} is outside"
        )
    return utc


def later(base: datetime, seconds: float) -> datetime:
    """`seconds` (finite, not negative) after `base`, within the clock's range."""
    if not math.isfinite(seconds):
        raise ValueError(f"the fake's clock moves a finite number of seconds, not {seconds}")
    if seconds < 0:
        raise ValueError("the fake's clock only moves forward")
    try:
        moved = base + timedelta(seconds=seconds)
    except OverflowError:
        moved = LATEST
    if moved >= LATEST:
        raise ValueError(
            f"cannot move the clock {seconds} seconds: past the end of year {LATEST.year - 1}"
        )
    return moved


class Clock:
    """Wall-clock time that a test can freeze and move forward."""

    def __init__(self) -> None:
        self._lock = threading.Lock()  # one change at a time
        # (the frozen instant or None, the offset from the wall clock): replaced whole,
        # so `now` reads a consistent pair without taking the lock.
        self._state: tuple[datetime | None, timedelta] = (None, timedelta(0))

    def now(self) -> datetime:
        """The fake's current time (UTC, timezone-aware)."""
        frozen_at, offset = self._state
        if frozen_at is not None:
            return frozen_at
        return datetime.now(timezone.utc) + offset

    def freeze(self, at: datetime | None = None) -> datetime:
        """Stop the clock at `at` (default: now) and return that instant.

        ValueError if `at` is outside the years the fake supports.
        """
        instant = bounded(at) if at is not None else self.now()
        with self._lock:
            self._state = (instant, self._state[1])
        return instant

    def advance(self, seconds: float) -> datetime:
        """Move the clock forward (frozen or not) and return the new time."""
        with self._lock:
            frozen_at, offset = self._state
            base = frozen_at or datetime.now(timezone.utc) + offset
            moved = later(base, seconds)
            if frozen_at is not None:
                self._state = (moved, offset)
            else:
                self._state = (None, offset + (moved - base))
        return self.now()

    def unfreeze(self) -> None:
        """Let the clock run again from the frozen instant."""
        with self._lock:
            frozen_at, offset = self._state
            if frozen_at is not None:
                offset = frozen_at - datetime.now(timezone.utc)
            self._state = (None, offset)

    @property
    def frozen(self) -> bool:
        return self._state[0] is not None


class IdGenerator:
    """UUID4 strings from a seedable RNG, so generated ids are reproducible."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._random = random.Random(seed)

    def seed(self, seed: int | None) -> None:
        with self._lock:
            self._random.seed(seed)

    def uuid(self) -> str:
        with self._lock:
            return str(uuid.UUID(int=self._random.getrandbits(128), version=4))


def stream_time(instant: datetime) -> str:
    """RFC 3339 with microseconds and a `Z`, the way Stream writes timestamps."""
    utc = instant.astimezone(timezone.utc)
    if utc.year < 1000:  # strftime's %Y does not pad these to 4 digits; isoformat does
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" -> "Z"


def parse_stream_time(text: str) -> datetime:
    """Parse an RFC 3339 timestamp as sent by the SDKs (`Z` or an offset)."""
    value = parse_iso(text)
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
