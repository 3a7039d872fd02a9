"""Wiring the reference backend: service + API, served on loopback by uvicorn.

`serving_reference(database_url, stream, ...)` is the one way to serve it over HTTP
(the `chatgate serve` command, the HTTP targets, the bench and the tests all use it);
`reference_database(postgres)` gives it a fresh database with its schema.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from stream_chat import StreamChat

from chatgate.http import BodyLimit
from chatgate.http.served import ApiServer, serving
from chatgate.naming import StreamNaming
from chatgate.postgres import PostgresServer
from chatgate.reference.sync.identities import (
    DEFAULT_NAMING,
    RolePolicy,
    channel_id_secret_from_env,
)
from chatgate.reference.sync.retry import RetryPolicy
from chatgate.reference.sync.schema import apply_schema
from chatgate.reference.sync.service import ConversationService

from .api import MAX_BODY_BYTES, ChatApi, too_large
from .auth import BackendAuth


def build_api(
    database_url: str,
    stream: StreamChat,
    *,
    auth_secret: str,
    test_mode: bool = False,
    service_class: type[ConversationService] = ConversationService,
    retry: RetryPolicy | None = None,
    roles: RolePolicy | None = None,
    channel_secret: str | None = None,
    naming: StreamNaming = DEFAULT_NAMING,
) -> ChatApi:
    """The backend's API over `service_class` (the reference, or a known-bad variant).

    The channel id secret defaults to `CHATGATE_CHANNEL_ID_SECRET`, else a development value;
    `naming` is the Stream user id format and channel type (OneCrew's by default)."""
    service = service_class(
        database_url,
        stream,
        retry=retry,
        roles=roles,
        channel_secret=channel_secret or channel_id_secret_from_env(),
        naming=naming,
    )
    return ChatApi(service, BackendAuth(auth_secret), test_mode=test_mode)


class ReferenceServer(ApiServer):
    """`api` over real HTTP on loopback; `base_url` is known once this is built."""

    def __init__(self, api: ChatApi, *, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(
            api,
            body_limit=BodyLimit(MAX_BODY_BYTES, too_large),
            name="chatgate-reference",
            host=host,
            port=port,
        )


@contextmanager
def serving_reference(
    database_url: str,
    stream: StreamChat,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    **build_api_options: Any,
) -> Iterator[ReferenceServer]:
    """The reference (`build_api(database_url, stream, **build_api_options)`) served on
    `host:port` (0: a free port) until the block ends; then the server and the API stop.

    Raises OSError, with nothing left running, when the address cannot be bound."""
    api = build_api(database_url, stream, **build_api_options)
    with serving(ReferenceServer, api, host=host, port=port) as server:
        yield server


@contextmanager
def reference_database(postgres: PostgresServer) -> Iterator[str]:
    """The URL of a fresh database with the reference's schema on `postgres`, dropped when
    the block ends (stop whatever connects to it first)."""
    database = postgres.create_database(template=postgres.template(apply_schema))
    try:
        yield postgres.url_for(database)
    finally:
        postgres.drop_database(database)
