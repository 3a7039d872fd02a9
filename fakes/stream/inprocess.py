"""In-process use without pytest: `with InProcessStream() as stream: stream.client...`,
and for the async SDK, inside a running loop, `async with stream.async_client() as client:`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from stream_chat import StreamChat, StreamChatAsync

from chatgate.lifecycle import Lifecycle

from .credentials import Credentials, default_credentials
from .dispatcher import FakeStream
from .lifecycle import FakeAppHandle
from .transports.aiohttp_adapter import AiohttpTransport
from .transports.responses_adapter import ResponsesTransport
from .uploads import DEFAULT_BASE_URL

C = TypeVar("C", StreamChat, StreamChatAsync)


class InProcessStream(FakeAppHandle):
    """A fake Stream app intercepting the SDKs' HTTP calls in this process.

    While started, both `requests` (the sync `StreamChat`) and `aiohttp` (the async
    `StreamChatAsync`) calls to Stream's real hosts and to `extra_base_urls` are
    answered by the same fake, so nothing can leak to the live service; loopback
    traffic passes through. `client` is an official `StreamChat` with the default
    base URL; `async_client()` gives a `StreamChatAsync` the same way.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        seed: int | None = 0,
        extra_base_urls: tuple[str, ...] = (),
    ) -> None:
        self.credentials = credentials or default_credentials()
        self.fake = FakeStream(seed=seed)
        self.fake.register_app(self.credentials.api_key, self.credentials.api_secret)
        self.base_url = DEFAULT_BASE_URL
        self._transports: tuple[Lifecycle, ...] = (
            ResponsesTransport(self.fake, extra_base_urls),
            AiohttpTransport(self.fake, extra_base_urls),
        )
        self.client = self._new_client(StreamChat)

    def _new_client(self, kind: type[C]) -> C:
        return kind(self.credentials.api_key, self.credentials.api_secret, base_url=self.base_url)

    @asynccontextmanager
    async def async_client(self) -> AsyncIterator[StreamChatAsync]:
        """A `StreamChatAsync` answered by this fake, closed on exit.

        Enter it inside the running event loop: aiohttp binds the client's session
        to the loop it is created in. The fake must be started (`with stream:`).
        """
        async with self._new_client(StreamChatAsync) as client:
            yield client

    def start(self) -> InProcessStream:
        for transport in self._transports:
            transport.start()
        return self

    def stop(self) -> None:
        for transport in reversed(self._transports):
            transport.stop()
