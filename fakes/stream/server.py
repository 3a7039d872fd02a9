"""The standalone fake: uvicorn serving the dispatcher on loopback."""

from __future__ import annotations

import json
from typing import Any

from stream_chat import StreamChat

from chatgate.http import BodyLimit, LoopbackServer, asgi_app

from . import texts
from .credentials import Credentials, default_credentials
from .dispatcher import MAX_BODY_BYTES, FakeStream
from .errors import ErrorCode, StreamError
from .lifecycle import FakeAppHandle
from .response import UNMATCHED_OPERATION, FakeResponse
from .routes import match


def too_large(method: str, path: str) -> FakeResponse:
    """Stream's 413 (code 22) for a body over the limit, sent before it is read whole."""
    found = match(method.upper(), path)
    operation = found[0].operation if found else UNMATCHED_OPERATION
    error = StreamError(ErrorCode.PAYLOAD_TOO_BIG, texts.PAYLOAD_TOO_BIG)
    payload = error.body(operation, "0.00ms")
    return FakeResponse(error.status, json.dumps(payload).encode(), operation=operation)


class FakeStreamServer(FakeAppHandle):
    """Serve a `FakeStream` over HTTP in a background thread.

    `port=0` picks a free port; `base_url` is known once this is built.
    """

    def __init__(
        self,
        fake: FakeStream | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Credentials | None = None,
    ) -> None:
        self.fake = fake or FakeStream()
        self.credentials = credentials or default_credentials()
        self.fake.register_app(self.credentials.api_key, self.credentials.api_secret)
        self._server = LoopbackServer(
            # The state is in memory: dispatch on the event loop, no thread hop.
            asgi_app(
                self.fake.dispatch,
                body_limit=BodyLimit(MAX_BODY_BYTES, too_large),
                on_loop=True,
            ),
            host=host,
            port=port,
            name="fake-stream",
        )
        self.host = host
        self.port = self._server.port

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def client(self, **options: Any) -> StreamChat:
        """An official sync SDK client for the default app, pointed at this server."""
        return StreamChat(self.api_key, self.api_secret, base_url=self.base_url, **options)

    def start(self) -> FakeStreamServer:
        """Start serving; returns once the port accepts connections."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.stop()
