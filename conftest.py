"""pytest wiring only: command-line options and step registration. chatgate's fixtures come from its
plugin (`chatgate.pytest_plugin`, registered through the `pytest11` entry point)."""

from __future__ import annotations

import os

import pytest

from chatgate.postgres import DATABASE_URL_ENV

# The step definitions of features/ (the `driver` fixture and `--target` come
# from chatgate's pytest plugin).
pytest_plugins = ["chatgate.steps.conversations", "chatgate.steps.access"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chatgate")
    group.addoption(
        "--database-url",
        default=None,
        help=f"PostgreSQL URL to use instead of an embedded server (same as {DATABASE_URL_ENV})",
    )


def pytest_configure(config: pytest.Config) -> None:
    url = config.getoption("--database-url")
    if url:
        os.environ[DATABASE_URL_ENV] = url
