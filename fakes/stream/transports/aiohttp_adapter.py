"""In-process transport: the async SDK's `aiohttp` calls go to the dispatcher.

The `aioresponses` counterpart of `responses_adapter`: the same hosts are intercepted
(Stream's `*.stream-io-api.com` and any extra base URLs), loopback traffic passes
through to real servers, and anything else is refused as a connection error, so a
test can never reach the live service.
"""

from __future__ import annotations

import asyncio
import inspect
import re
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import aiohttp
from aiohttp import FormData, hdrs, payload
from aioresponses import CallbackResult, aioresponses
from yarl import URL

from chatgate.lifecycle import Lifecycle

from ..dispatcher import FakeStream
from .hosts import LOOPBACK, METHODS, Intercepted

# Everything but loopback: the last rule, refusing what no other rule took.
_NOT_LOOPBACK = re.compile("^(?!" + LOOPBACK.pattern.removeprefix("^") + ")")
_NEEDS_STREAM_WRITER = "stream_writer" in inspect.signature(aiohttp.ClientResponse).parameters


class _Sent:
    """The request writer a `ClientResponse` reads once the request is sent: its size."""

    output_size = 0


class _Response(aiohttp.ClientResponse):
    """A `ClientResponse` aioresponses can build on aiohttp 3.14+.

    aioresponses 0.7.9 builds `ClientResponse(...)` without the `stream_writer`
    argument aiohttp 3.14 made required (aioresponses issue #289), so every answer
    would fail with a TypeError. Its `response_class` hook is how we supply it.
    """

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        if _NEEDS_STREAM_WRITER:
            kwargs.setdefault("stream_writer", _Sent())
        super().__init__(method, url, **kwargs)


def _total_timeout(timeout: object) -> float | None:
    """A request's own total timeout in seconds (the SDK passes a number), if any."""
    if isinstance(timeout, aiohttp.ClientTimeout):
        return timeout.total
    if isinstance(timeout, (int, float)):
        return float(timeout)
    return None


async def _encode_body(
    data: Any, json_data: Any, headers: Mapping[str, str]
) -> tuple[bytes, dict[str, str]]:
    """The bytes and headers aiohttp would put on the wire for `data=`/`json=`.

    aioresponses hands the callback `data` as the caller gave it: a `FormData`
    (the SDK's `send_file`/`send_image`) is not serialised, and its multipart
    Content-Type with the boundary is never set. Do what `ClientRequest` does.
    """
    sent = dict(headers)
    if json_data is not None:
        data = payload.JsonPayload(json_data)
    if data is None:
        return b"", sent
    if isinstance(data, FormData):
        data = data()
    try:
        body = payload.PAYLOAD_REGISTRY.get(data, disposition=None)
    except payload.LookupError:
        body = FormData(data)()
    present = {name.lower() for name in sent}
    for name, value in body.headers.items():
        if name.lower() not in present:
            sent[name] = value
    return await body.as_bytes(), sent


class AiohttpTransport(Lifecycle):
    """Start/stop interception of `aiohttp` traffic to Stream and to `base_urls`.

    It patches `aiohttp.ClientSession` for the whole process, whatever the event
    loop, so it may be started before any loop runs.
    """

    def __init__(self, fake: FakeStream, base_urls: Iterable[str] = ()) -> None:
        self.fake = fake
        self._hosts = Intercepted(base_urls)
        # Not aioresponses' `passthrough` prefixes: they are checked before any rule, so
        # a loopback base URL could not be intercepted (`responses` checks its rules
        # first). Instead unmatched requests pass through, and the last rules refuse
        # all that is not loopback.
        self._mock = aioresponses(passthrough_unmatched=True)

    async def _callback(self, method: str, url: URL, **kwargs: Any) -> CallbackResult:
        body, headers = await _encode_body(
            kwargs.get("data"), kwargs.get("json"), kwargs.get("headers") or {}
        )
        path = self._hosts.path_of(str(url), url.raw_path)
        response = self.fake.dispatch(method, path, url.raw_query_string, headers, body)
        if response.delay_s:
            # An injected latency fault, not synchronisation. Awaited, so the loop runs on;
            # a request timeout shorter than it ends the wait with asyncio.TimeoutError, as
            # aiohttp's does against a slow server (aioresponses ignores timeouts).
            await asyncio.wait_for(
                asyncio.sleep(response.delay_s), _total_timeout(kwargs.get("timeout"))
            )
        if response.drop:
            # What aiohttp raises when a server closes the connection unanswered.
            raise aiohttp.ServerDisconnectedError(
                f"connection dropped by a chatgate fault rule ({response.operation})"
            )
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
        return CallbackResult(
            method=method,
            status=response.status,
            body=response.body,
            content_type=response.headers.get("content-type", "application/json"),
            headers=headers,
            response_class=_Response,
        )

    @staticmethod
    def _refuse(method: str, url: URL, **_: Any) -> CallbackResult:
        raise aiohttp.ClientConnectionError(
            f"connection refused by chatgate's in-process fake: {method} {url} is neither "
            "Stream nor loopback"
        )

    def start(self) -> AiohttpTransport:
        self._mock.start()  # start() empties the rules: add them after it
        for method in METHODS:
            serve = partial(self._callback, method)
            for pattern in self._hosts.patterns:
                self._mock.add(pattern, method, callback=serve, repeat=True)
        # A rule matches one method: refuse every standard one (HEAD, OPTIONS, ...
        # too), or a method the fake does not serve would pass through to Stream.
        for method in sorted(hdrs.METH_ALL):
            refuse = partial(self._refuse, method)
            self._mock.add(_NOT_LOOPBACK, method, callback=refuse, repeat=True)
        return self

    def stop(self) -> None:
        self._mock.stop()
