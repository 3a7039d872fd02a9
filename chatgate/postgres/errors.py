"""Errors and the record of what the provider tried."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Outcome = Literal["used", "skipped", "failed"]


@dataclass(frozen=True)
class Attempt:
    """One provider the selection looked at, and what came of it."""

    provider: str
    outcome: Outcome
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.provider}: {self.outcome}" + (f" ({self.reason})" if self.reason else "")


class ProviderSkipped(Exception):
    """Raised by a provider that does not apply here (e.g. its env var is unset)."""


class ProviderFailed(Exception):
    """Raised by a provider that applies but could not give a server; the message says why."""


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL provider worked; `attempts` says what was tried and why each failed."""

    def __init__(self, attempts: Sequence[Attempt]) -> None:
        self.attempts: tuple[Attempt, ...] = tuple(attempts)
        lines = "\n".join(f"  - {attempt}" for attempt in self.attempts) or "  (none)"
        super().__init__(
            "no PostgreSQL server available. Tried, in order:\n"
            f"{lines}\n"
            "Set CHATGATE_DATABASE_URL to a server you own, start a Docker engine, "
            "or fix the embedded server's problem above."
        )
