"""pytest plugin registered through the `pytest11` entry point.

Installing chatgate makes its fixtures available to any project:
`fake_stream`, `fake_stream_server`, `postgres_server`, `postgres_template`,
`postgres_schema`, `postgres_database`, and the scenario `driver` with its
`--target` / `--stream-url` options.
"""

pytest_plugins = [
    "chatgate.fixtures.fake_stream",
    "chatgate.fixtures.postgres",
    "chatgate.fixtures.chat_target",
]
