"""In-process transport: the sync SDK's `requests` calls go to the dispatcher
(which hosts: hosts.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import requests
import responses

from chatgate.lifecycle import Lifecycle

from ..dispatcher import FakeStream
from .hosts import LOOPBACK, METHODS, Intercepted


class ResponsesTransport(Lifecycle):
    """Start/stop interception of `requests` traffic to Stream and to `base_urls`."""

    def __init__(self, fake: FakeStream, base_urls: Iterable[str] = ()) -> None:
        self.fake = fake
        self._hosts = Intercepted(base_urls)
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in METHODS:
            for pattern in self._hosts.patterns:
                self._mock.add_callback(
                    method, pattern, callback=self._callback, content_type="application/json"
                )
        self._mock.add_passthru(LOOPBACK)

    def _callback(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        url = request.url or ""
        parts = urlsplit(url)
        body: Any = request.body
        path = self._hosts.path_of(url, parts.path)
        response = self.fake.dispatch(
            request.method or "GET", path, parts.query, dict(request.headers), body
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
