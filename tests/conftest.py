"""Fixtures shared by chatgate's own tests."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream.inprocess import InProcessStream
from chatgate.fakes.stream.models import AppState
from chatgate.fakes.stream.server import FakeStreamServer

# The official SDK four ways (`api`), a seeded `chat` and a webhook `receiver`, for every
# test module (tests/sdk_api.py); a module's own fixture of the same name wins.
from tests.sdk_api import api, chat, receiver  # noqa: F401


@dataclass
class SDK:
    """An official sync client plus a view of the fake's state behind it."""

    mode: str
    client: StreamChat
    state_of: Callable[[], AppState]
    make_client: Callable[..., StreamChat]

    @property
    def state(self) -> AppState:
        return self.state_of()


@pytest.fixture(params=["in-process", "standalone"])
def sdk(request: pytest.FixtureRequest, fake_stream_server: FakeStreamServer) -> Iterator[SDK]:
    """The same test through the `responses` transport and over real HTTP."""
    if request.param == "in-process":
        with InProcessStream() as stream:
            yield SDK(
                "in-process",
                stream.client,
                lambda: stream.state,
                lambda **kw: StreamChat(
                    kw.pop("api_key", stream.api_key), kw.pop("api_secret", stream.api_secret), **kw
                ),
            )
        return
    server = fake_stream_server
    yield SDK(
        "standalone",
        server.client(),
        lambda: server.state,
        lambda **kw: StreamChat(
            kw.pop("api_key", server.api_key),
            kw.pop("api_secret", server.api_secret),
            base_url=kw.pop("base_url", server.base_url),
            **kw,
        ),
    )


def error_body(error: StreamAPIException) -> dict[str, Any]:
    """The JSON error body the SDK received, without the variable `duration`."""
    body = json.loads(error.response_text)
    assert body.pop("duration").endswith("ms")
    return body


def missing_users_error(verb: str, *user_ids: str) -> dict[str, Any]:
    """Stream's exact "don't exist" body (contract §5.3) for a channel `create`/`update`."""
    operation = "GetOrCreateChannel" if verb == "create" else "UpdateChannel"
    return stream_error(
        operation,
        4,
        400,
        f"The following users are involved in channel {verb} operation, but don't exist: "
        f"[{' '.join(user_ids)}]. Please create the user objects before setting up the channel.",
    )


def stream_error(
    operation: str, code: int, status: int, reason: str, **extra: Any
) -> dict[str, Any]:
    """The exact body Stream sends for an error (minus `duration`)."""
    return {
        "code": code,
        "message": f'{operation} failed with error: "{reason}"',
        "StatusCode": status,
        "more_info": "https://getstream.io/chat/docs/api_errors_response",
        "details": [],
        **extra,
    }
