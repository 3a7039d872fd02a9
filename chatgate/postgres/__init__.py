"""Real PostgreSQL for tests and tools: the user's server, a container, or an embedded one.

Example::

    with get_postgres() as server:          # CHATGATE_DATABASE_URL, else Docker, else embedded
        print(server.describe())            # "using embedded PostgreSQL 18.6 at ..."
        template = server.template(build_schema)    # built once per initialiser
        url = server.url_for(server.create_database(template=template))

Environment: CHATGATE_DATABASE_URL (use this server; nothing else is tried),
CHATGATE_POSTGRES_PROVIDER=docker|embedded (only that one), CHATGATE_POSTGRES_IMAGE
(container image), CHATGATE_PG_TMPDIR (embedded work directory), CHATGATE_PG_OS_USER
(account the embedded server runs as under root).
"""

from chatgate.postgres.container import probe_docker, start_container
from chatgate.postgres.embedded import start_embedded
from chatgate.postgres.errors import Attempt, PostgresUnavailable, ProviderFailed, ProviderSkipped
from chatgate.postgres.provider import (
    DATABASE_URL_ENV,
    PROVIDER_ENV,
    Provider,
    connect_to_url,
    default_providers,
    docker_provider,
    embedded_provider,
    env_provider,
    get_postgres,
)
from chatgate.postgres.server import PostgresServer, SchemaInitialiser, Source

__all__ = [
    "DATABASE_URL_ENV",
    "PROVIDER_ENV",
    "Attempt",
    "PostgresServer",
    "PostgresUnavailable",
    "Provider",
    "ProviderFailed",
    "ProviderSkipped",
    "SchemaInitialiser",
    "Source",
    "connect_to_url",
    "default_providers",
    "docker_provider",
    "embedded_provider",
    "env_provider",
    "get_postgres",
    "probe_docker",
    "start_container",
    "start_embedded",
]
