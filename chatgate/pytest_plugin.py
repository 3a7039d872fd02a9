"""pytest plugin registered through the `pytest11` entry point.

Installing chatgate makes its fixtures available to any project:
`fake_stream`, `fake_stream_server`, `postgres_server`, `postgres_template`,
`postgres_schema`, `postgres_database`, `legacy_database` (a generated legacy chat
database to migrate), the scenario `driver` with its
`--target` / `--stream-url` options, and the user-based chat's `chat` driver with
`--chat-target`; `--database-url` picks the PostgreSQL.

It also registers the step definitions of chatgate's own scenarios (every module
of `chatgate.steps`, found in the installed package, so a new one is never left
out) and their tags as markers, so `pytest --pyargs chatgate.features` runs them
from an installed chatgate, with no checkout and no conftest.py. This is the only
place that registers them: a conftest.py that listed them too would load the
same steps twice.
"""

from __future__ import annotations

import os
import pkgutil
from importlib.util import find_spec

import pytest

from chatgate.postgres import DATABASE_URL_ENV

STEPS_PACKAGE = "chatgate.steps"
# The steps import one another (steps.common): rewrite their asserts wherever imported
# first. Registered before anything imports the package; find_spec does not import it.
pytest.register_assert_rewrite(STEPS_PACKAGE)
_steps_spec = find_spec(STEPS_PACKAGE)
assert _steps_spec is not None, f"{STEPS_PACKAGE} is not installed"
assert _steps_spec.submodule_search_locations, f"{STEPS_PACKAGE} is not a package"
STEP_MODULES = sorted(
    f"{STEPS_PACKAGE}.{module.name}"
    for module in pkgutil.iter_modules(_steps_spec.submodule_search_locations)
)
pytest_plugins = [
    "chatgate.fixtures.fake_stream",
    "chatgate.fixtures.postgres",
    "chatgate.fixtures.chat_target",
    "chatgate.fixtures.migration",
    "chatgate.fixtures.chat",
    "chatgate.fixtures.scenario_selection",
    *STEP_MODULES,
]

# The Gherkin tags of chatgate.features (pytest-bdd turns each tag into a marker).
SCENARIO_MARKERS = {
    "company_to_user": "the fix brief's company-to-user checklist",
    "matrix": "every conversation kind in every direction",
    "roles": "the Stream roles of companies and users",
    "channel_id": "channel id rules (deterministic, initiator-aware, at most 64 characters)",
    "token": "the Stream token endpoint",
    "security": "authorization of the acting profile and of reads",
    "failure": "unknown people, Stream failures, retries",
    "idempotency": "repeated and simultaneous requests",
    "logs": "the sync's log lines",
    "listing": "the acting profile's conversation list",
    "migration": "the profile-to-user chat migration",
    "rollback": "chatgate's rollback of its migration (skipped for a team's own script)",
    "chatgate_bookkeeping": "chatgate's migration report tables (skipped for a team's script)",
    "chat": "the user-based chat after the migration (features/chat)",
    "messaging": "the seed's checklist: open the chat, send, receive, view history",
    "user_operations": "the seed's checklist: start, list, search and delete conversations",
    "privacy": "the seed's checklist: blocks, the blocked list, privacy settings",
    "media": "the seed's checklist: images, files, voice messages",
    "calls": "the seed's checklist: voice and video calls",
    "identity": "the acting user is the bearer token's, never a parameter",
    "bad_input": "every route refuses bad input precisely and writes nothing",
    "migrated_history": "chat written before the migration, shown after it",
    "role_switch": "one history for a person who chatted through several profiles",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatgate")
    group.addoption(
        "--database-url",
        default=None,
        help=f"PostgreSQL URL to use instead of an embedded server (same as {DATABASE_URL_ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, description in SCENARIO_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    url = config.getoption("--database-url")
    if url:
        os.environ[DATABASE_URL_ENV] = url
