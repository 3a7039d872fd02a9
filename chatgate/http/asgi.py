"""An ASGI 3 application around any `dispatch(method, path, query, headers, body)`."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from concurrent.futures import Executor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

from .answer import HttpAnswer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


Dispatch = Callable[[str, str, str, dict[str, str], bytes], HttpAnswer]
# Which pool runs a request's dispatch, by (method, path); None: asyncio's default pool.
ExecutorFor = Callable[[str, str], Executor | None]


@dataclass(frozen=True)
class BodyLimit:
    """Bodies over `max_bytes` are refused with `too_large(method, path)` before they are
    read whole: at once when `Content-Length` says so, else as soon as the stream passes
    the limit."""

    max_bytes: int
    too_large: Callable[[str, str], HttpAnswer]


class _TooLarge(Exception):
    pass


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _read_body(receive: Receive, limit: int | None) -> bytes | None:
    """The whole request body, or None when the client went away first."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if limit is not None and size > limit:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _reset_connection(send: Send) -> None:
    """Reset the connection before any status line, so every client sees a network error
    (ECONNRESET), as when a server or a proxy on the way dies.

    ASGI has no way to say this, so this reaches the transport of uvicorn's
    request-response cycle behind `send` (its bound method), and aborts it with
    SO_LINGER 0 (a TCP reset instead of an orderly close). Elsewhere it falls back
    to starting an answer and abandoning it, which closes the socket mid-response."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        return
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class HeldWrites:
    """A transport whose writes inside `holding()` go out as one write when it ends (one
    send to the socket for an answer's head and body, not two); else it is `transport`."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: list[bytes] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._transport.write(data)
        else:
            self._held.append(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    @contextmanager
    def holding(self) -> Iterator[None]:
        self._held = []
        try:
            yield
        finally:
            self._flush()

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held:
            self._transport.write(b"".join(held))


def _one_write(send: Send) -> AbstractContextManager[None]:
    """Hold the writes of uvicorn's `send` (its bound method) when its transport is
    `HeldWrites`; elsewhere each message is written as it is sent."""
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    return transport.holding() if isinstance(transport, HeldWrites) else nullcontext()


async def _send_answer(send: Send, answer: HttpAnswer) -> None:
    # A declared length, as Stream sends it, so a client knows where the answer ends
    # without a chunked framing (or a closed connection).
    headers = [(k.encode(), v.encode()) for k, v in answer.headers.items()]
    headers.append((b"content-length", str(len(answer.body)).encode()))
    with _one_write(send):
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})


def asgi_app(
    dispatch: Dispatch,
    *,
    body_limit: BodyLimit | None = None,
    executor_for: ExecutorFor | None = None,
    on_loop: bool = False,
) -> ASGIApp:
    """Serve `dispatch` over HTTP (any ASGI server will do; we use uvicorn).

    `dispatch` runs in a thread pool (`executor_for` picks it), because dispatch
    functions may block; `on_loop=True` calls it on the event loop instead, for a
    dispatch that never blocks (state in memory), saving a thread hop per request.
    """
    if on_loop and executor_for is not None:
        raise ValueError("a dispatch on the event loop has no executor")
    limit = body_limit.max_bytes if body_limit is not None else None

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        declared = _declared_length(scope)
        try:
            if limit is not None and declared is not None and declared > limit:
                raise _TooLarge
            body = await _read_body(receive, limit)
        except _TooLarge:
            assert body_limit is not None
            await _send_answer(send, body_limit.too_large(scope["method"], scope["path"]))
            return
        if body is None:
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        request = (
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
        )
        if on_loop:
            answer = dispatch(*request)
        else:
            executor = executor_for(scope["method"], scope["path"]) if executor_for else None
            answer = await asyncio.get_running_loop().run_in_executor(executor, dispatch, *request)
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)  # an injected latency fault
        if answer.drop:
            await _reset_connection(send)
            return
        await _send_answer(send, answer)

    return app
