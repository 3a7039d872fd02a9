"""An ASGI 3 application around any `dispatch(method, path, query, headers, body)`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpAnswer(Protocol):
    """What a dispatch function returns; `delay_s` and `drop` serve injected faults."""

    status: int
    headers: dict[str, str]
    body: bytes
    delay_s: float
    drop: bool


Dispatch = Callable[[str, str, str, dict[str, str], bytes], HttpAnswer]


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when the client went away first."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def asgi_app(dispatch: Dispatch) -> ASGIApp:
    """Serve `dispatch` over HTTP (any ASGI server will do; we use uvicorn)."""

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
        body = await _read_body(receive)
        if body is None:
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        # Dispatch functions block (locks, PostgreSQL); keep them off the event loop.
        answer = await asyncio.to_thread(
            dispatch,
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
        )
        if answer.delay_s:
            await asyncio.sleep(answer.delay_s)  # an injected latency fault
        if answer.drop:
            # ASGI cannot reset a connection; start an answer and abandon it, so
            # the server closes the socket mid-response.
            await send({"type": "http.response.start", "status": 200, "headers": []})
            return
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(k.encode(), v.encode()) for k, v in answer.headers.items()],
            }
        )
        await send({"type": "http.response.body", "body": answer.body})

    return app
