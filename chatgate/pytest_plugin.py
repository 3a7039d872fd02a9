"""pytest plugin registered through the `pytest11` entry point.

Installing chatgate makes its fixtures available to any project:
`fake_stream`, `fake_stream_server`, `postgres_server` and `postgres_database`.
"""

from chatgate.fixtures.postgres import (  # noqa: F401  (re-exported fixtures)
    postgres_database,
    postgres_server,
    postgres_template,
)
