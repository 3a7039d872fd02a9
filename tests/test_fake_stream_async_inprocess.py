"""The async SDK (`StreamChatAsync`, aiohttp) against the in-process fake: what a user
notices of the `aioresponses` transport, beyond the operations (those run four ways
in `test_fake_stream_sdk_ops.py`).

No pytest-asyncio: each test runs one coroutine with `asyncio.run`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import aiohttp
import pytest
from stream_chat import StreamChatAsync

from chatgate.fakes.stream.inprocess import InProcessStream
from chatgate.fakes.stream.server import FakeStreamServer

T = TypeVar("T")
# A 1x1 PNG.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def run(stream: InProcessStream, scenario: Callable[[StreamChatAsync], Awaitable[T]]) -> T:
    """Run `scenario` with the in-process fake's async client, in a fresh loop."""

    async def main() -> T:
        async with stream.async_client() as client:
            return await scenario(client)

    return asyncio.run(main())


def test_stream_s_real_host_is_answered_in_process(fake_stream: InProcessStream) -> None:
    async def scenario(client: StreamChatAsync) -> None:
        assert client.base_url == "https://chat.stream-io-api.com"
        await client.upsert_user({"id": "amr"})
        # The default client of code under test, built without the fixture, too.
        async with StreamChatAsync(fake_stream.api_key, fake_stream.api_secret) as own:
            assert (await own.query_users({"id": "amr"}))["users"][0]["id"] == "amr"

    run(fake_stream, scenario)
    assert "amr" in fake_stream.state.users
    assert [e.operation for e in fake_stream.journal.entries()] == ["UpdateUsers", "QueryUsers"]


def test_a_host_neither_stream_nor_loopback_is_refused(fake_stream: InProcessStream) -> None:
    async def scenario(client: StreamChatAsync) -> None:
        with pytest.raises(aiohttp.ClientConnectionError, match="neither Stream nor loopback"):
            async with client.session.get("https://example.com/"):
                pass

    run(fake_stream, scenario)


def test_sync_and_async_clients_share_one_fake(fake_stream: InProcessStream) -> None:
    fake_stream.client.upsert_user({"id": "lolo"})

    async def scenario(client: StreamChatAsync) -> list[str]:
        return [u["id"] for u in (await client.query_users({"id": "lolo"}))["users"]]

    assert run(fake_stream, scenario) == ["lolo"]


def test_loopback_passes_through_to_a_real_server(
    fake_stream: InProcessStream, fake_stream_server: FakeStreamServer
) -> None:
    server = fake_stream_server

    async def scenario(_: StreamChatAsync) -> None:
        async with StreamChatAsync(
            server.api_key, server.api_secret, base_url=server.base_url
        ) as remote:
            await remote.upsert_user({"id": "remote"})

    run(fake_stream, scenario)
    assert "remote" in server.state.users
    assert "remote" not in fake_stream.state.users


def test_an_extra_base_url_is_intercepted_even_on_loopback(
    fake_stream_server: FakeStreamServer,
) -> None:
    server = fake_stream_server
    with InProcessStream(extra_base_urls=(server.base_url,)) as stream:

        async def scenario(_: StreamChatAsync) -> None:
            async with StreamChatAsync(
                stream.api_key, stream.api_secret, base_url=server.base_url
            ) as client:
                await client.upsert_user({"id": "local"})

        run(stream, scenario)
        assert "local" in stream.state.users
    assert server.journal.count() == 0


def test_a_drop_fault_is_a_connection_error_then_the_client_recovers(
    fake_stream: InProcessStream,
) -> None:
    fake_stream.faults.add("drop", operation="UpdateUsers", times=1)

    async def scenario(client: StreamChatAsync) -> None:
        with pytest.raises(aiohttp.ClientConnectionError, match="dropped"):
            await client.upsert_user({"id": "amr"})
        await client.upsert_user({"id": "amr"})

    run(fake_stream, scenario)
    assert [e.status for e in fake_stream.journal.entries("UpdateUsers")] == [0, 201]


def test_a_latency_fault_is_awaited_not_slept(
    fake_stream: InProcessStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The injected latency yields to the loop (`asyncio.sleep`), never blocks it;
    the wait itself is skipped here, and only the delay asked for is checked."""
    asked: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(delay: float, result: object = None) -> object:
        asked.append(delay)
        return await real_sleep(0, result)

    monkeypatch.setattr(asyncio, "sleep", recording_sleep)
    fake_stream.faults.add("latency", operation="UpdateUsers", latency_ms=250, times=1)

    async def scenario(client: StreamChatAsync) -> None:
        await client.upsert_user({"id": "amr"})

    run(fake_stream, scenario)
    assert "amr" in fake_stream.state.users
    assert 0.25 in asked


def test_a_latency_fault_longer_than_the_request_timeout_times_out(
    fake_stream: InProcessStream,
) -> None:
    fake_stream.faults.add("latency", operation="UpdateUsers", latency_ms=600_000, times=1)

    async def scenario(_: StreamChatAsync) -> None:
        async with StreamChatAsync(fake_stream.api_key, fake_stream.api_secret, timeout=0.05) as c:
            with pytest.raises(asyncio.TimeoutError):  # TimeoutError itself from 3.11 on
                await c.upsert_user({"id": "amr"})
            await c.upsert_user({"id": "amr"})

    run(fake_stream, scenario)
    # The fake served the slow call (as a server does) before the client gave up on it.
    assert fake_stream.journal.count("UpdateUsers") == 2


def test_an_image_sent_with_send_image_is_served_back(
    fake_stream: InProcessStream, tmp_path: Path
) -> None:
    picture = tmp_path / "dot.png"
    picture.write_bytes(PNG)

    async def scenario(client: StreamChatAsync) -> tuple[int, str, bytes]:
        await client.upsert_user({"id": "amr"})
        channel = client.channel("messaging", "c1", {"members": ["amr"]})
        await channel.create("amr")
        sent = await channel.send_image(str(picture), "dot.png", {"id": "amr"}, "image/png")
        async with client.session.get(sent["file"]) as served:
            return served.status, served.content_type, await served.read()

    assert run(fake_stream, scenario) == (200, "image/png", PNG)
    upload = fake_stream.journal.entries("UploadImage")[0]
    assert upload.status == 201


def test_the_sdk_parses_the_rate_limit_headers(fake_stream: InProcessStream) -> None:
    async def scenario(client: StreamChatAsync) -> None:
        first = await client.upsert_user({"id": "amr"})
        second = await client.upsert_user({"id": "amr"})
        # Over HTTP aiohttp 3.14's C parser recases these headers and the SDK misses
        # them (see test_compat_async_sdk.py); in-process they arrive as the fake sent them.
        assert first.rate_limit() is not None
        assert second.rate_limit() is not None
        assert first.rate_limit().limit > 0
        assert second.rate_limit().remaining == first.rate_limit().remaining - 1

    run(fake_stream, scenario)
