"""The server handle: one running PostgreSQL, and the databases chatgate made on it."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

import psycopg
from psycopg import sql

from chatgate.lifecycle import Lifecycle
from chatgate.postgres.conninfo import redacted, with_database
from chatgate.postgres.errors import Attempt

Source = Literal["env", "docker", "embedded"]
CloneStrategy = Literal["WAL_LOG", "FILE_COPY"]
SchemaInitialiser = Callable[[psycopg.Connection[Any]], None]
"""Builds the schema on a template database; the connection is committed afterwards."""

DATABASE_PREFIX = "chatgate_"
_DISCONNECT_POLL = 0.001


class PostgresServer(Lifecycle):
    """A running PostgreSQL server and the databases this handle created on it.

    `url` is the admin connection string (libpq URL or DSN, usable by `psycopg.connect`).
    Only databases created through this handle can be dropped through it, so a server the
    user owns (CHATGATE_DATABASE_URL) keeps all of its own databases untouched.
    """

    def __init__(
        self,
        *,
        url: str,
        source: Source,
        location: str = "",
        stop: Callable[[], None] | None = None,
        attempts: Sequence[Attempt] = (),
        clone_strategy: CloneStrategy | None = None,
    ) -> None:
        self.url = url
        self.source: Source = source
        self.location = location
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        self._stop_backend = stop
        if clone_strategy not in (None, "WAL_LOG", "FILE_COPY"):
            raise ValueError(f"unknown clone strategy {clone_strategy!r}")
        self.clone_strategy: CloneStrategy | None = clone_strategy
        self._token = secrets.token_hex(4)
        self._counter = 0
        self._created: list[str] = []
        self._templates: dict[int, tuple[object, str]] = {}
        self._lock = threading.RLock()
        self._admin: psycopg.Connection[Any] | None = None
        self._version: str | None = None
        self._version_num: int | None = None
        self._stopped = False

    # -- introspection ---------------------------------------------------------------------

    @property
    def version(self) -> str:
        """The server's version, e.g. `18.6`."""
        if self._version is None:
            row = self._execute("SHOW server_version").fetchone()
            self._version = str(row[0]).split()[0] if row else "unknown"
        return self._version

    @property
    def created_databases(self) -> tuple[str, ...]:
        """Databases created through this handle and not yet dropped."""
        with self._lock:
            return tuple(self._created)

    def describe(self) -> str:
        """One line for humans: `using embedded PostgreSQL 18.6 at postgres@127.0.0.1:5433/...`."""
        text = f"using {self.source} PostgreSQL {self.version} at {redacted(self.url)}"
        if self.location:
            text += f" ({self.location})"
        passed = [str(a) for a in self.attempts if a.outcome != "used"]
        if passed:
            text += "; passed over: " + "; ".join(passed)
        return text

    def url_for(self, database: str) -> str:
        """Connection string for `database` on this server, same credentials as `url`."""
        return with_database(self.url, database)

    def connect(self, database: str | None = None, **kwargs: Any) -> psycopg.Connection[Any]:
        """A new psycopg connection to `database` (default: the admin database)."""
        url = self.url if database is None else self.url_for(database)
        return psycopg.connect(url, **kwargs)

    # -- databases ---------------------------------------------------------------------------

    def create_database(self, name: str | None = None, template: str | None = None) -> str:
        """Create a database (a unique `chatgate_...` name unless given), optionally as a
        copy of `template`; returns its name."""
        with self._lock:
            if name is None:
                self._counter += 1
                name = f"{DATABASE_PREFIX}{self._token}_{self._counter}"
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template is not None:
                statement = sql.SQL("{} TEMPLATE {}").format(statement, sql.Identifier(template))
                if self.clone_strategy and self._server_version_num() >= 150000:
                    strategy = sql.SQL(self.clone_strategy)  # type: ignore[arg-type]
                    statement = sql.SQL("{} STRATEGY {}").format(statement, strategy)
            self._execute(statement)
            self._created.append(name)
            return name

    def drop_database(self, name: str) -> None:
        """Drop a database this handle created (closing its connections first).

        Refuses any other database: it may belong to the user.
        """
        with self._lock:
            if name not in self._created:
                raise ValueError(f"{name!r} was not created by this chatgate server handle")
            target = sql.Identifier(name)
            self._wait_for_disconnects(name)
            if self._server_version_num() >= 130000:
                self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(target))
            else:
                self._execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                    (name,),
                )
                self._execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(target))
            self._created.remove(name)
            self._templates = {k: v for k, v in self._templates.items() if v[1] != name}

    def template(self, schema: SchemaInitialiser | None = None) -> str:
        """Name of a template database with `schema` applied; built once per initialiser.

        Pass the same callable (e.g. a module-level function) to reuse the template.
        """
        with self._lock:
            key = id(schema)
            cached = self._templates.get(key)
            if cached is not None and cached[0] is schema:
                return cached[1]
            self._counter += 1
            name = f"{DATABASE_PREFIX}{self._token}_template_{self._counter}"
            self.create_database(name)
            if schema is not None:
                try:
                    with self.connect(name) as conn:
                        schema(conn)
                except BaseException:
                    self.drop_database(name)
                    raise
                self._wait_for_disconnects(name)  # or the first clone waits 100 ms for it
            # Keep a reference to `schema` so its id() cannot be reused by another object.
            self._templates[key] = (schema, name)
            return name

    # -- lifecycle ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Drop what this handle created (on a server it does not own) and stop the server
        if this handle started it. Safe to call more than once."""
        with self._lock:
            if self._stopped:
                return
            try:
                if self._stop_backend is None:
                    for name in reversed(list(self._created)):
                        self.drop_database(name)
            finally:
                self._stopped = True
                if self._admin is not None:
                    self._admin.close()
                    self._admin = None
                if self._stop_backend is not None:
                    self._stop_backend()

    @property
    def stopped(self) -> bool:
        """True once `stop()` has run."""
        return self._stopped

    def __repr__(self) -> str:
        return f"PostgresServer(source={self.source!r}, at={redacted(self.url)!r})"

    # -- internals ---------------------------------------------------------------------------

    def _wait_for_disconnects(self, name: str, timeout: float = 1.0) -> None:
        """Give sessions that are already closing a moment to go: DROP DATABASE otherwise
        finds their backends still exiting and sleeps 100 ms before looking again (seen in
        about a third of the drops). Sessions still open at the deadline are forced out."""
        deadline = time.monotonic() + timeout
        query = "SELECT 1 FROM pg_stat_activity WHERE datname = %s LIMIT 1"
        while self._execute(query, (name,)).fetchone() is not None:
            if time.monotonic() >= deadline:
                return
            time.sleep(_DISCONNECT_POLL)

    def _server_version_num(self) -> int:
        if self._version_num is None:
            row = self._execute("SHOW server_version_num").fetchone()
            self._version_num = int(row[0]) if row else 0
        return self._version_num

    def _execute(self, query: Any, params: Any = None) -> psycopg.Cursor[Any]:
        with self._lock:
            if self._stopped:
                raise RuntimeError("this PostgreSQL server has been stopped")
            if self._admin is None or self._admin.closed:
                self._admin = psycopg.connect(self.url, autocommit=True)
            return self._admin.execute(query, params)
