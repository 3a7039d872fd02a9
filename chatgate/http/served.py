"""An API object served over real HTTP on loopback, started and stopped with it.

The reference backend and the user-based chat are both such APIs: a `dispatch`, an
`executor_for` choosing the worker pool of a request, and a `start()`/`stop()` that open
and close their database pools. `ApiServer` serves one; `serving(api, ...)` does it for
the length of a `with` block.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from chatgate.lifecycle import Lifecycle

from .answer import HttpAnswer
from .asgi import BodyLimit, asgi_app
from .loopback import LoopbackServer


class ServableApi(Protocol):
    def dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes
    ) -> HttpAnswer: ...
    def executor_for(self, method: str, path: str) -> Executor: ...
    def start(self) -> Any: ...
    def stop(self) -> None: ...


S = TypeVar("S", bound="ApiServer")


class ApiServer(Lifecycle):
    """`api` over real HTTP on loopback; `base_url` is known once this is built."""

    def __init__(
        self,
        api: ServableApi,
        *,
        body_limit: BodyLimit,
        name: str,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.api = api
        app = asgi_app(api.dispatch, body_limit=body_limit, executor_for=api.executor_for)
        self._server = LoopbackServer(app, host=host, port=port, name=name)

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self: S) -> S:
        """Start the API (its database pool), then serve."""
        self.api.start()
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving, then stop the API (its workers and database pool)."""
        self._server.stop()
        self.api.stop()


@contextmanager
def serving(server_class: type[S], api: ServableApi, **options: Any) -> Iterator[S]:
    """`server_class(api, **options)` serving until the block ends; then it and the API stop.

    Raises OSError, with nothing left running, when the address cannot be bound."""
    try:
        server = server_class(api, **options)
    except BaseException:
        api.stop()
        raise
    try:
        yield server.start()
    finally:
        server.stop()  # also when start() was cut short
