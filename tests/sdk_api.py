"""The official SDK, sync or async, in-process or over HTTP, behind one call style
(`Api`), and the fixtures the fake's SDK tests share (registered in conftest.py):
`api` runs a test four ways, `chat` seeds users and a channel, `receiver` is a
webhook endpoint that verifies each delivery with the SDK."""

from __future__ import annotations

import asyncio
import inspect
import json
import queue
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from stream_chat import StreamChat, StreamChatAsync
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream.dispatcher import FakeStream
from chatgate.fakes.stream.inprocess import InProcessStream
from chatgate.fakes.stream.models import AppState
from chatgate.fakes.stream.server import FakeStreamServer

# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@dataclass
class Api:
    """One official client (sync or async) behind one call style: `api(lambda c: ...)`
    runs the action with the client and, for the async client, awaits its result."""

    mode: str
    client: StreamChat | StreamChatAsync
    state_of: Callable[[], AppState]
    fake: FakeStream
    loop: asyncio.AbstractEventLoop | None = None

    def __call__(self, action: Callable[[Any], Any]) -> Any:
        result = action(self.client)
        if inspect.isawaitable(result):
            assert self.loop is not None
            return self.loop.run_until_complete(result)
        return result

    @property
    def state(self) -> AppState:
        return self.state_of()

    @contextmanager
    def as_user(self, user_id: str) -> Iterator[Api]:
        """The same client signing with `user_id`'s token (client-side auth) meanwhile."""
        server_token = self.client.auth_token
        self.client.auth_token = self.client.create_token(user_id)
        try:
            yield self
        finally:
            self.client.auth_token = server_token

    def fails(self, action: Callable[[Any], Any]) -> StreamAPIException:
        """The SDK's exception for an action the fake refuses."""
        with pytest.raises(StreamAPIException) as caught:
            self(action)
        return caught.value


@pytest.fixture(
    params=["sync-in-process", "sync-standalone", "async-in-process", "async-standalone"]
)
def api(request: pytest.FixtureRequest, fake_stream_server: FakeStreamServer) -> Iterator[Api]:
    mode, server = request.param, fake_stream_server
    if mode == "sync-standalone":
        yield Api(mode, server.client(), lambda: server.state, server.fake)
        return
    with ExitStack() as stack:
        if mode.endswith("in-process"):
            stream = stack.enter_context(InProcessStream())
            if mode == "sync-in-process":
                yield Api(mode, stream.client, lambda: stream.state, stream.fake)
                return
            opened = stream.async_client()
            state_of, fake = (lambda: stream.state), stream.fake
        else:

            @asynccontextmanager
            async def standalone() -> AsyncIterator[StreamChatAsync]:
                async with StreamChatAsync(
                    server.api_key, server.api_secret, base_url=server.base_url
                ) as client:
                    yield client

            opened = standalone()
            state_of, fake = (lambda: server.state), server.fake
        loop = asyncio.new_event_loop()
        stack.callback(loop.close)
        # aiohttp binds its session to the running loop: the client is built inside it.
        client = loop.run_until_complete(opened.__aenter__())
        try:
            yield Api(mode, client, state_of, fake, loop)
        finally:
            loop.run_until_complete(opened.__aexit__(None, None, None))


@pytest.fixture
def chat(api: Api) -> Api:
    """Users sat (admin), amr, lolo and stranger; channel messaging:c1 of sat, amr, lolo."""
    api(
        lambda c: c.upsert_users(
            [{"id": "sat", "role": "admin"}, {"id": "amr"}, {"id": "lolo"}, {"id": "stranger"}]
        )
    )
    api(lambda c: c.channel("messaging", "c1", {"members": ["sat", "amr", "lolo"]}).create("sat"))
    return api


class Receiver:
    """A webhook endpoint on loopback: verifies each delivery with the SDK's
    `verify_webhook` and keeps (verified, event); `fail_first` answers 500 that often."""

    def __init__(self, verify: Callable[[bytes, str], bool], fail_first: int = 0) -> None:
        self.events: queue.Queue[tuple[bool, dict[str, Any]]] = queue.Queue()
        self.verify = verify
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(500)
                    self.end_headers()
                    return
                verified = receiver.verify(body, self.headers["X-Signature"])
                receiver.events.put((verified, json.loads(body)))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                del format, args

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def received(self, count: int) -> list[tuple[bool, dict[str, Any]]]:
        """The next `count` deliveries, waiting up to 10 s for each."""
        return [self.events.get(timeout=10) for _ in range(count)]


@pytest.fixture
def receiver(chat: Api) -> Iterator[Receiver]:
    endpoint = Receiver(chat.client.verify_webhook)
    yield endpoint
    endpoint.close()
