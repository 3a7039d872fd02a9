"""Wiring the chat: service + API, served on loopback by uvicorn.

`serving_chat(database_url, ...)` is the one way to serve it over HTTP: the
`chatgate serve-chat` command, the chat scenarios' targets and the tests all use it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from chatgate.http import BodyLimit
from chatgate.http.served import ApiServer, serving
from chatgate.reference.http.auth import AUTH_SECRET_ENV, BackendAuth, auth_secret_from_env

from ..errors import ChatError
from ..service import ChatService
from .api import ChatApi
from .routes import MAX_UPLOAD_BYTES


def build_chat_api(
    database_url: str,
    *,
    auth_secret: str,
    test_mode: bool = False,
    service_class: type[ChatService] = ChatService,
    api_class: type[ChatApi] = ChatApi,
) -> ChatApi:
    """The chat's API (`api_class`, the reference or a known-bad variant) over
    `service_class` on `database_url`, checking bearer tokens signed with `auth_secret`."""
    return api_class(service_class(database_url), BackendAuth(auth_secret), test_mode=test_mode)


class ChatServer(ApiServer):
    """`api` over real HTTP on loopback; `base_url` is known once this is built. Starting
    it opens the API's database pool, refusing a database not migrated."""

    def __init__(self, api: ChatApi, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(
            api,
            body_limit=BodyLimit(MAX_UPLOAD_BYTES, api.too_large),
            name="chatgate-chat",
            host=host,
            port=port,
        )


@contextmanager
def serving_chat(
    database_url: str, *, host: str = "127.0.0.1", port: int = 0, **build_options: Any
) -> Iterator[ChatServer]:
    """The chat (`build_chat_api(database_url, **build_options)`) served on `host:port`
    (0: a free port) until the block ends; then the server and the API stop.
    `auth_secret` defaults to CHATGATE_AUTH_SECRET, else the development secret.

    Raises OSError, with nothing left running, when the address cannot be bound, and
    ChatError when the database is not migrated to user identities."""
    build_options.setdefault("auth_secret", auth_secret_from_env())
    api = build_chat_api(database_url, **build_options)
    with serving(ChatServer, api, host=host, port=port) as server:
        yield server


def _say(text: str) -> None:
    print(text + "\n", end="", flush=True)


def serve_chat(
    *, database_url: str, host: str, port: int, test_mode: bool, wait: Callable[[], None]
) -> int:
    """`chatgate serve-chat`: serve until `wait()` returns; 2 when the database is not
    migrated or cannot be reached, 1 when the address cannot be bound, else 0."""
    try:
        with serving_chat(database_url, host=host, port=port, test_mode=test_mode) as server:
            _say(f"bearer tokens: HS256 JWTs with sub=<user id>, secret from {AUTH_SECRET_ENV}")
            if test_mode:
                _say("test mode: POST /api/test/provider-state creates users and legacy chat")
            _say(f"chatgate chat listening on {server.base_url}")
            wait()
    except ChatError as error:
        print(f"chatgate: error: {error.message}", file=sys.stderr)
        return 2
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"chatgate: error: cannot use the database: {reason}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"chatgate: error: cannot listen on {host}:{port}: {error.strerror}", file=sys.stderr)
        return 1
    _say("chatgate chat stopped")
    return 0
