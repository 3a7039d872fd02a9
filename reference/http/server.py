"""Wiring the reference backend: service + API, served on loopback by uvicorn."""

from __future__ import annotations

from stream_chat import StreamChat

from chatgate.http import BodyLimit, LoopbackServer, asgi_app
from chatgate.lifecycle import Lifecycle
from chatgate.reference.sync.identities import RolePolicy, channel_id_secret_from_env
from chatgate.reference.sync.retry import RetryPolicy
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
) -> ChatApi:
    """The backend's API over `service_class` (the reference, or a known-bad variant).

    The channel id secret defaults to `CHATGATE_CHANNEL_ID_SECRET`, else a development value."""
    service = service_class(
        database_url,
        stream,
        retry=retry,
        roles=roles,
        channel_secret=channel_secret or channel_id_secret_from_env(),
    )
    return ChatApi(service, BackendAuth(auth_secret), test_mode=test_mode)


class ReferenceServer(Lifecycle):
    """`api` over real HTTP on loopback; `base_url` is known once this is built."""

    def __init__(self, api: ChatApi, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        app = asgi_app(
            api.dispatch,
            body_limit=BodyLimit(MAX_BODY_BYTES, too_large),
            executor_for=api.executor_for,
        )
        self._server = LoopbackServer(app, host=host, port=port, name="chatgate-reference")

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> ReferenceServer:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self.api.close()
