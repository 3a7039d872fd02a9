"""In-process transport: the sync SDK's `requests` calls go to the dispatcher.

Stream's own hosts (`*.stream-io-api.com`) are intercepted too, so code that
builds `StreamChat(key, secret)` without a base URL can never reach the real
service from a test; loopback traffic passes through untouched.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
import responses

from chatgate.lifecycle import Lifecycle

from ..dispatcher import FakeStream

_STREAM_HOSTS = re.compile(r"^https?://([\w-]+\.)*stream-io-api\.com(:\d+)?(?P<path>/.*)?$")
_LOOPBACK = re.compile(r"^https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _base_pattern(base_url: str) -> re.Pattern[str]:
    base = base_url.rstrip("/")
    return re.compile("^" + re.escape(base) + r"(?P<path>/[^?]*)?(\?.*)?$")


class ResponsesTransport(Lifecycle):
    """Start/stop interception of `requests` traffic to Stream and to `base_urls`."""

    def __init__(self, fake: FakeStream, base_urls: Iterable[str] = ()) -> None:
        self.fake = fake
        self._patterns = [_base_pattern(url) for url in base_urls]
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in _METHODS:
            for pattern in [*self._patterns, _STREAM_HOSTS]:
                self._mock.add_callback(
                    method, pattern, callback=self._callback, content_type="application/json"
                )
        self._mock.add_passthru(_LOOPBACK)

    def _callback(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        url = request.url or ""
        parts = urlsplit(url)
        path = parts.path
        for pattern in self._patterns:
            found = pattern.match(url)
            if found:
                path = found.group("path") or "/"
                break
        body: Any = request.body
        # ASGI servers hand over the percent-decoded path; do the same here.
        response = self.fake.dispatch(
            request.method or "GET", unquote(path), parts.query, dict(request.headers), body
        )
        if response.delay_s:
            time.sleep(response.delay_s)  # an injected latency fault, not synchronisation
        if response.drop:
            raise requests.ConnectionError(
                f"connection dropped by a chatgate fault rule ({response.operation})"
            )
        # responses sets Content-Type itself (from content_type above), unless the answer
        # is not JSON (a file the fake serves back).
        headers = {k: v for k, v in response.headers.items() if k != "content-type"}
        content_type = response.headers.get("content-type", "application/json")
        if not content_type.startswith("application/json"):
            headers["Content-Type"] = content_type
        return response.status, headers, response.body

    def start(self) -> ResponsesTransport:
        self._mock.start()
        return self

    def stop(self) -> None:
        self._mock.stop()
        self._mock.reset()
