"""uvicorn serving one ASGI app on a socket we bind ourselves, in a background thread."""

from __future__ import annotations

import asyncio
import importlib
import logging
import socket
import threading
from typing import Any

import uvicorn
from uvicorn.config import HTTP_PROTOCOLS
from uvicorn.importer import import_from_string

from chatgate.lifecycle import Lifecycle

from .asgi import ASGIApp, HeldWrites

STARTUP_TIMEOUT_S = 15.0


class _QuietDrops(logging.Filter):
    """Hide uvicorn's complaint about responses a drop fault abandoned on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return (
            "without completing response" not in message
            and "without starting response" not in message
        )


logging.getLogger("uvicorn.error").addFilter(_QuietDrops())


def _available(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


# uvicorn's standard extras when installed (C parsing, libuv's loop); else its
# pure-Python parser and asyncio's loop.
HTTP_IMPLEMENTATION = "httptools" if _available("httptools") else "h11"
LOOP_IMPLEMENTATION = "uvloop" if _available("uvloop") else "asyncio"


def _holding_writes(implementation: str) -> type[asyncio.Protocol]:
    """uvicorn's protocol `implementation` on a `HeldWrites` transport, so that an answer
    goes out in one write."""
    protocol: type[asyncio.Protocol] = import_from_string(HTTP_PROTOCOLS[implementation])

    class HoldingWrites(protocol):  # type: ignore[misc, valid-type]
        def connection_made(self, transport: Any) -> None:
            super().connection_made(HeldWrites(transport))

    return HoldingWrites


HTTP_PROTOCOL = _holding_writes(HTTP_IMPLEMENTATION)


class _NotifyingServer(uvicorn.Server):
    """A uvicorn server that says when it is ready to accept connections."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


class LoopbackServer(Lifecycle):
    """Serve `app` over HTTP; `port=0` picks a free port, known as soon as this is built.

    The socket is bound here (not by uvicorn) so the port is known before the
    thread starts and a taken port fails at construction with `OSError`.
    """

    def __init__(self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, name: str) -> None:
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
        try:
            self._socket.bind((host, port))
        except OSError:
            self._socket.close()
            raise
        self.port: int = self._socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            http=HTTP_PROTOCOL,
            loop=LOOP_IMPLEMENTATION,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
            # The app sends its own Date (the fake's comes from its clock).
            date_header=False,
            server_header=False,
            # Nothing reads the client's address: no X-Forwarded-* rewriting middleware
            # on every request.
            proxy_headers=False,
        )
        self._server = _NotifyingServer(config)
        self._thread = threading.Thread(
            target=self._server.run,
            kwargs={"sockets": [self._socket]},
            name=f"{name}-{self.port}",
            daemon=True,
        )
        self.name = name

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> LoopbackServer:
        """Start serving; returns once the port accepts connections."""
        self._thread.start()
        if not self._server.ready.wait(STARTUP_TIMEOUT_S) or not self._thread.is_alive():
            self.stop()
            raise RuntimeError(f"the {self.name} server did not start on {self.base_url}")
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self._socket.close()
