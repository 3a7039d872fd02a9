"""Reading Stream's `x-ratelimit-reset` off a 429, which the SDK's exception drops."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from stream_chat import StreamChat


def seconds_until_reset(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds until the rate-limit window resets, by the server's own clock when it
    sends `Date` (so clock skew between us and Stream does not matter), else by `now`.
    None when the answer carries no usable `x-ratelimit-reset`."""
    try:
        reset = float(headers["x-ratelimit-reset"])
    except (KeyError, ValueError):
        return None
    server_now = now
    if headers.get("date"):
        with contextlib.suppress(TypeError, ValueError):
            server_now = parsedate_to_datetime(headers["date"]).timestamp()
    return max(0.0, reset - server_now)


class RateLimitObserver:
    """Remembers, per thread, how long the last 429 from Stream asked us to wait.

    Installed as a `requests` response hook on the SDK client's session, because
    `StreamAPIException` carries the status and body but not the headers.
    """

    def __init__(self, now: Any) -> None:
        self._now = now
        self._local = threading.local()

    def install(self, client: StreamChat) -> None:
        """Watch every answer `client` receives from now on."""
        client.session.hooks["response"].append(self._observe)

    def _observe(self, response: requests.Response, *_: Any, **__: Any) -> None:
        if response.status_code == 429:
            self._local.wait = seconds_until_reset(response.headers, self._now())

    def take(self) -> float | None:
        """The wait the last 429 on this thread asked for (once), or None."""
        wait = getattr(self._local, "wait", None)
        self._local.wait = None
        return wait
