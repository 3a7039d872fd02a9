"""Bounded, jittered retries of Stream calls: 5xx, 429 and network failures only."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import requests
from stream_chat.base.exceptions import StreamAPIException

T = TypeVar("T")


def is_transient(error: BaseException) -> bool:
    """True for failures worth retrying: Stream 5xx/429, timeouts, dropped connections."""
    if isinstance(error, StreamAPIException):
        return error.status_code >= 500 or error.status_code == 429
    return isinstance(error, requests.RequestException)


def is_rate_limited(error: BaseException) -> bool:
    return isinstance(error, StreamAPIException) and error.status_code == 429


class RateLimitTooLong(Exception):
    """Stream's rate-limit window resets later than we are willing to hold a request."""

    def __init__(self, wait_s: float) -> None:
        super().__init__(f"the rate-limit window resets in {wait_s:.0f} s")
        self.wait_s = wait_s


@dataclass
class RetryPolicy:
    """At most `attempts` tries, exponential backoff with full jitter, capped.

    A 429 whose `x-ratelimit-reset` is known waits until the reset instead (plus
    a little jitter), or gives up at once with `RateLimitTooLong` when that is
    more than `max_rate_limit_wait_s` away. `sleep` is injectable so tests run
    without waiting; `delays` records what was (or would have been) waited.
    """

    attempts: int = 3
    base_s: float = 0.1
    cap_s: float = 2.0
    max_rate_limit_wait_s: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    delays: list[float] = field(default_factory=list)

    def _delay(self, attempt: int, error: BaseException, reset_in: float | None) -> float:
        if is_rate_limited(error) and reset_in is not None:
            if reset_in > self.max_rate_limit_wait_s:
                raise RateLimitTooLong(reset_in) from error
            return reset_in + self.rng.uniform(0, self.base_s)
        return self.rng.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))

    def run(
        self,
        operation: Callable[[], T],
        reset_in: Callable[[], float | None] = lambda: None,
    ) -> T:
        """Run `operation`, retrying transient failures; the last failure propagates.

        `reset_in` tells, after a failure, how long Stream asked us to wait (None: unknown).
        """
        for attempt in range(1, self.attempts + 1):
            try:
                return operation()
            except Exception as error:
                if attempt == self.attempts or not is_transient(error):
                    raise
                delay = self._delay(attempt, error, reset_in())
                self.delays.append(delay)
                self.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")
