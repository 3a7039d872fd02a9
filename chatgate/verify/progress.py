"""A pytest plugin `chatgate verify` loads into its pytest run (`-p chatgate.verify.progress`):
it writes one JSON line per event to the file descriptor named by `CHATGATE_PROGRESS_FD`,
so the parent shows progress while the scenarios run. Without that variable it does
nothing."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

PROGRESS_FD_ENV = "CHATGATE_PROGRESS_FD"


class _Progress:
    def __init__(self, fd: int) -> None:
        self._out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")
        self._outcomes: dict[str, str] = {}

    def _say(self, event: dict[str, Any]) -> None:
        self._out.write(json.dumps(event) + "\n")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._say({"event": "collected", "count": len(session.items)})

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # The first failure or skip of a test decides; else its call's outcome.
        if report.nodeid in self._outcomes and self._outcomes[report.nodeid] != "passed":
            return
        if report.when == "call" or report.outcome != "passed":
            self._outcomes[report.nodeid] = report.outcome

    def pytest_runtest_logfinish(self, nodeid: str, location: Any) -> None:  # noqa: ARG002
        self._say(
            {"event": "done", "test": nodeid, "outcome": self._outcomes.get(nodeid, "passed")}
        )

    def pytest_unconfigure(self) -> None:
        self._out.close()


def pytest_configure(config: pytest.Config) -> None:
    fd = os.environ.get(PROGRESS_FD_ENV)
    if fd:
        config.pluginmanager.register(_Progress(int(fd)), "chatgate-verify-progress")
