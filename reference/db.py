"""Where the reference's database connections come from, for both halves (the
conversation half in reference/sync and the user-based chat in reference/chat)."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

Row = dict[str, Any]
Connection = psycopg.Connection[Row]
POOL_MIN_SIZE = 2
POOL_OPEN_TIMEOUT_S = 30.0


class Database:
    """A pool once `open()`ed (until `close()`), else a fresh connection per use (for
    callers that never start or stop). Every connection is autocommit and gives rows as
    dicts."""

    def __init__(
        self,
        url: str,
        *,
        name: str = "chatgate-reference",
        settings: Mapping[str, str] | None = None,
    ) -> None:
        """`settings`: server settings for every connection of this database (`SET`), on
        top of any `options` the URL carries."""
        self.url = url
        self.name = name
        self._kwargs: dict[str, Any] = {"row_factory": dict_row, "autocommit": True}
        if settings:
            given = conninfo_to_dict(url).get("options") or ""
            ours = " ".join(f"-c {key}={value}" for key, value in settings.items())
            self._kwargs["options"] = f"{given} {ours}".strip()
        self._pool: ConnectionPool[Any] | None = None

    def open(self, size: int) -> None:
        """Keep up to `size` connections (one per worker that may use one at once)."""
        if self._pool is not None:
            return
        pool = ConnectionPool(
            self.url,
            # Autocommit: a read costs one round trip, not three (BEGIN, query, COMMIT);
            # the writes that belong together run in `conn.transaction()`.
            kwargs=self._kwargs,
            min_size=min(POOL_MIN_SIZE, size),
            max_size=size,
            open=False,
            name=self.name,
        )
        pool.open(wait=True, timeout=POOL_OPEN_TIMEOUT_S)
        self._pool = pool

    def connection(self) -> AbstractContextManager[Connection]:
        """A connection for one `with` block, in autocommit: each statement commits on its
        own, and writes that belong together run in `conn.transaction()`."""
        if self._pool is None:
            return psycopg.connect(self.url, **self._kwargs)
        return self._pool.connection()

    def close(self) -> None:
        """Close the pool's connections (waiting for the ones in use); idempotent."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()
