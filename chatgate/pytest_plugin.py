"""pytest plugin registered through the `pytest11` entry point.

Installing chatgate makes its fixtures available to any project:
`fake_stream`, `fake_stream_server`, `postgres_server`, `postgres_template`,
`postgres_schema` and `postgres_database`.
"""

pytest_plugins = ["chatgate.fixtures.fake_stream", "chatgate.fixtures.postgres"]
