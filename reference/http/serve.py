"""`chatgate serve`: the reference backend with its PostgreSQL and Stream wired up."""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextlib import ExitStack

import psycopg
from stream_chat import StreamChat

from chatgate.fakes.stream.credentials import Credentials
from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.naming import StreamNaming
from chatgate.postgres import get_postgres
from chatgate.postgres.signals import interruptible
from chatgate.reference.sync.identities import DEFAULT_NAMING, ROLE_POLICIES, Kind
from chatgate.reference.sync.schema import apply_schema
from chatgate.reference.sync.service import ConversationService

from .auth import AUTH_SECRET_ENV, auth_secret_from_env
from .server import serving_reference


def _say(text: str) -> None:
    print(text, flush=True)


def serve(
    *,
    host: str,
    port: int,
    database_url: str | None,
    stream_url: str | None,
    credentials: Credentials,
    test_mode: bool,
    wait: Callable[[], None],
    role_policy: str = "least-privilege",
    naming: StreamNaming = DEFAULT_NAMING,
    service_class: type[ConversationService] | None = None,
) -> int:
    """Start everything, print where it listens, block in `wait()`, then stop it all.

    Each thing's stop is registered before it starts, so an exception at any point (the
    command line raises one on SIGINT/SIGTERM during start-up, in the waits marked
    `interruptible`) stops whatever is running.
    """
    with ExitStack() as stack:
        if database_url is None:
            postgres = stack.enter_context(get_postgres())
            name = postgres.create_database()
            stack.callback(postgres.drop_database, name)
            database_url = postgres.url_for(name)
            _say(f"PostgreSQL: {postgres.describe()}, database {name}")
            conn = psycopg.connect(database_url)
        else:
            _say("PostgreSQL: the database given by --database-url")
            with interruptible():  # the user's server may be slow to answer: a stop may cut in
                conn = psycopg.connect(database_url)
        with conn:
            apply_schema(conn)
        if stream_url is None:
            fake = FakeStreamServer(credentials=credentials)
            stack.callback(fake.stop)  # before start(): a stop request may cut start() short
            fake.start()
            stream_url = fake.base_url
            _say(f"fake Stream Chat listening on {stream_url}")
        stream = StreamChat(credentials.api_key, credentials.api_secret, base_url=stream_url)
        roles = ROLE_POLICIES[role_policy]()
        _say(f"Stream Chat: {stream_url} (api key {credentials.api_key})")
        _say(f"bearer tokens: HS256 JWTs with sub=<user id>, secret from {AUTH_SECRET_ENV}")
        _say(f"Stream roles: {role_policy} (companies as {roles.roles[Kind.COMPANY]!r})")
        _say(
            f"Stream naming: user ids {naming.user_id_format!r}, "
            f"channel type {naming.channel_type!r}"
        )
        if service_class is not None:
            bug = (service_class.__doc__ or "").strip()
            _say(f"KNOWN-BAD VARIANT {service_class.__name__}: {bug}")
        if test_mode:
            _say("test mode: POST /api/test/provider-state seeds users, companies, memberships")
        try:
            server = stack.enter_context(
                serving_reference(
                    database_url,
                    stream,
                    host=host,
                    port=port,
                    auth_secret=auth_secret_from_env(),
                    test_mode=test_mode,
                    roles=roles,
                    naming=naming,
                    service_class=service_class or ConversationService,
                )
            )
        except OSError as exc:
            print(
                f"chatgate: error: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr
            )
            return 1
        # The banner's last line, printed once the server answers: whoever waits for it
        # has read the settings above.
        _say(f"chatgate reference backend listening on {server.base_url}")
        wait()
    _say("chatgate reference backend stopped")
    return 0
