"""What every steps module shares: the scenario's record of answers, the actor phrase
of the features, and how an assertion tells what came back."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from chatgate.fixtures.targets import Driver
from chatgate.fixtures.targets.driver import Company, Person
from chatgate.fixtures.targets.stream_side import StreamAnswer
from chatgate.fixtures.targets.transport import ApiResponse

# `"the owner"` or `"the owner", acting as "Sat Education",` (the comma is optional).
ACTOR = r'"(?P<person>[^"]+)"(?:, acting as "(?P<company>[^"]+)",?)?'
ORDINALS = {"first": 0, "second": 1}  # "the first conversation", "the second ..."
MAX_SHOWN = 600  # characters of a body an assertion message shows


def _short(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN] + "..."


def said(response: ApiResponse) -> str:
    """`the backend answered <status>: <body>`."""
    return f"the backend answered {response.status}: {_short(response.body)}"


def stream_said(answer: StreamAnswer) -> str:
    """`Stream answered <status>: <body>`."""
    return f"Stream answered {answer.status}: {_short(answer.body)}"


@dataclass
class Scenario:
    """What one scenario has done so far."""

    responses: list[ApiResponse] = field(default_factory=list)
    unknown: Person | None = None  # the participant the backend was never told about
    listed: dict[str, Any] = field(default_factory=dict)  # the last conversation a list showed

    @property
    def last(self) -> ApiResponse:
        assert self.responses, "the scenario has made no request to the backend yet"
        return self.responses[-1]

    def created(self, index: int = -1) -> str:
        """The channel id of a conversation the backend created (the last, by default)."""
        created = [
            r.data["id"]
            for r in self.responses
            if r.ok and isinstance(r.data, dict) and isinstance(r.data.get("id"), str)
        ]
        assert created, (
            "expected a created conversation (a 2xx answer with data.id); "
            f"the last request: {said(self.last)}"
        )
        return created[index]

    @property
    def channel_id(self) -> str:
        return self.created()


@pytest.fixture
def scenario_state() -> Scenario:
    return Scenario()


def actor(driver: Driver, person: str, company: str | None) -> tuple[Person, Company | None]:
    """The person a step names, and the company they act as, if any."""
    return driver.user(person), (driver.company(company) if company else None)
