"""PostgreSQL in a Docker container through testcontainers, when a Docker engine answers."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from chatgate.postgres.errors import ProviderFailed
from chatgate.postgres.server import PostgresServer
from chatgate.postgres.signals import interruptible

log = logging.getLogger(__name__)

IMAGE_ENV = "CHATGATE_POSTGRES_IMAGE"
DEFAULT_IMAGE = "postgres:18-alpine"
PROBE_TIMEOUT = 2.0
# Throwaway test data: skip durability work, like the embedded server does.
SERVER_COMMAND = "postgres -c fsync=off -c synchronous_commit=off -c full_page_writes=off"


def docker_host() -> str | None:
    """The engine address testcontainers would use (TC properties, DOCKER_HOST, context)."""
    try:
        from testcontainers.core.docker_client import get_docker_host
    except ImportError:
        return os.environ.get("DOCKER_HOST") or None
    try:
        return get_docker_host()
    except Exception:  # a broken docker config must not break the fall-through
        return os.environ.get("DOCKER_HOST") or None


def probe_docker(host: str | None = None, timeout: float = PROBE_TIMEOUT) -> None:
    """Ping the Docker engine; raise ProviderFailed saying why when it does not answer.

    Costs one HTTP round trip (milliseconds when no engine runs: the socket is absent or
    refuses), bounded by `timeout`.
    """
    try:
        import docker
    except ImportError as exc:
        raise ProviderFailed(f"the docker package is not installed ({exc})") from exc
    host = host if host is not None else docker_host()
    where = host or "the default socket"
    client: Any = None
    try:
        # building the client asks the engine for its API version: that is the probe
        if host:
            client = docker.DockerClient(base_url=host, timeout=timeout)
        else:
            client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as exc:
        raise ProviderFailed(f"no Docker engine answers at {where}: {_first_line(exc)}") from exc
    finally:
        if client is not None:
            client.close()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def start_container(environ: Mapping[str, str] | None = None) -> PostgresServer:
    """Start a PostgreSQL container (image from CHATGATE_POSTGRES_IMAGE, default
    postgres:18-alpine); stopping the handle removes the container."""
    environ = os.environ if environ is None else environ
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.14 keeps it at the old place
        from testcontainers.postgres import PostgresContainer  # type: ignore[no-redef]

    image = environ.get(IMAGE_ENV, "").strip() or DEFAULT_IMAGE
    container = PostgresContainer(image, driver=None).with_command(SERVER_COMMAND)
    try:
        with interruptible():  # pulling and starting may take long: a stop may cut it short
            container.start()
        url = container.get_connection_url(driver=None)
    except BaseException as exc:  # a stop request too
        try:
            container.stop()
        except Exception:  # the start error is the one worth reporting
            log.debug("stopping a container that failed to start also failed", exc_info=True)
        if not isinstance(exc, Exception):
            raise
        raise ProviderFailed(f"starting {image} failed: {_first_line(exc)}") from exc
    return PostgresServer(
        url=url,
        source="docker",
        location=f"container {image}",
        stop=container.stop,
        clone_strategy="FILE_COPY",
    )
