"""The standalone fake: uvicorn serving the ASGI transport on loopback."""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

import uvicorn
from stream_chat import StreamChat

from .credentials import Credentials, default_credentials
from .dispatcher import FakeStream
from .lifecycle import FakeAppHandle
from .transports.asgi import asgi_app

STARTUP_TIMEOUT_S = 15.0


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about responses a drop fault abandoned on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


class _NotifyingServer(uvicorn.Server):
    """A uvicorn server that says when it is ready to accept connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class FakeStreamServer(FakeAppHandle):
    """Serve a `FakeStream` over HTTP in a background thread.

    `port=0` picks a free port; `base_url` is known once `start()` returns.
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
        self.host = host
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted
        # sockets whose proto says TCP; without it keep-alive responses stall
        # ~40 ms on Nagle plus delayed ACK.
        self._socket = socket.socket(
            socket.AF_INET6 if ":" in host else socket.AF_INET,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
        )
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            asgi_app(self.fake),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = _NotifyingServer(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"fake-stream-{self.port}",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def client(self, **options: Any) -> StreamChat:
        """An official sync SDK client for the default app, pointed at this server."""
        return StreamChat(self.api_key, self.api_secret, base_url=self.base_url, **options)

    def start(self) -> FakeStreamServer:
        """Start serving; returns once the port accepts connections."""
        self._thread.start()
        if not self._server.ready.wait(STARTUP_TIMEOUT_S) or not self._thread.is_alive():
            self.stop()
            raise RuntimeError(f"the fake Stream server did not start on {self.base_url}")
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()
