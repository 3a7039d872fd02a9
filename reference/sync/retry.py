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


@dataclass
class RetryPolicy:
    """At most `attempts` tries, exponential backoff with full jitter, capped.

    `sleep` is injectable so tests run without waiting; `delays` records what
    was (or would have been) waited.
    """

    attempts: int = 3
    base_s: float = 0.1
    cap_s: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    delays: list[float] = field(default_factory=list)

    def run(self, operation: Callable[[], T]) -> T:
        """Run `operation`, retrying transient failures; the last failure propagates."""
        for attempt in range(1, self.attempts + 1):
            try:
                return operation()
            except Exception as error:
                if attempt == self.attempts or not is_transient(error):
                    raise
                delay = self.rng.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))
                self.delays.append(delay)
                self.sleep(delay)
        raise AssertionError("unreachable: the loop returns or raises")
