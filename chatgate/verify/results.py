"""What a verify run found: every scenario with its outcome, tags, and for a failure the
step that failed and why, read from pytest-bdd's cucumber JSON and pytest's JUnit XML.

Outcomes come from the JUnit report (the cucumber JSON records a scenario whose step
skipped as passed, and has nothing for a test that failed before its first step); the
steps, tags and names come from the cucumber JSON.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "skipped", "not run"


@dataclass(frozen=True)
class Step:
    keyword: str
    text: str
    status: str  # passed, failed, skipped (not reached)


@dataclass(frozen=True)
class ScenarioOutcome:
    """One scenario as it ran."""

    feature: str
    name: str
    status: str  # passed, failed or skipped
    tags: tuple[str, ...]
    steps: tuple[Step, ...] = ()
    failed_step: str | None = None
    why: str | None = None  # the failure's message, or the skip's reason

    def to_json(self) -> dict[str, Any]:
        return {
            "feature": self.feature,
            "name": self.name,
            "status": self.status,
            "tags": list(self.tags),
            "steps": [
                {"keyword": s.keyword, "text": s.text, "status": s.status} for s in self.steps
            ],
            "failed_step": self.failed_step,
            "why": self.why,
        }


@dataclass
class _Case:
    status: str
    why: str | None


def _junit_cases(junit_xml: str) -> dict[str, _Case]:
    cases = {}
    for case in ElementTree.fromstring(junit_xml).iter("testcase"):
        failure = case.find("failure")
        if failure is None:
            failure = case.find("error")
        skipped = case.find("skipped")
        if failure is not None:
            cases[case.attrib["name"]] = _Case(FAILED, failure.attrib.get("message"))
        elif skipped is not None:
            cases[case.attrib["name"]] = _Case(SKIPPED, skipped.attrib.get("message"))
        else:
            cases[case.attrib["name"]] = _Case(PASSED, None)
    return cases


def _tags(raw: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(t["name"]).lstrip("@") for t in raw)


WHY_LINES = 12


def _why(message: str | None) -> str | None:
    """What a failure says, not its traceback: pytest's `E` lines when there are, else the
    first lines of the message."""
    if not message:
        return None
    lines = [line.rstrip() for line in message.strip().splitlines() if line.strip()]
    said = [line[1:].strip() for line in lines if line.startswith("E ")]
    said = [line for line in said if line not in ("assert False", "assert None")]
    return "\n".join((said or lines)[:WHY_LINES])


def read(cucumber: list[dict[str, Any]], junit_xml: str) -> list[ScenarioOutcome]:
    """Every scenario of a run, in the order the reports list them."""
    cases = _junit_cases(junit_xml)
    outcomes = []
    seen = set()
    for feature in cucumber:
        feature_tags = _tags(feature.get("tags", []))
        for element in feature.get("elements", []):
            seen.add(element["id"])
            case = cases.get(element["id"], _Case(PASSED, None))
            steps, failed_step, why = [], None, case.why
            for raw in element.get("steps", []):
                result = raw.get("result", {})
                status = result.get("status", SKIPPED)
                steps.append(Step(raw["keyword"], raw["name"], status))
                if status == FAILED and failed_step is None:
                    failed_step = f"{raw['keyword']} {raw['name']}"
                    why = _why(result.get("error_message")) or why
            outcomes.append(
                ScenarioOutcome(
                    feature=feature["name"],
                    name=element["name"],
                    status=case.status,
                    tags=tuple(dict.fromkeys(feature_tags + _tags(element.get("tags", [])))),
                    steps=tuple(steps),
                    failed_step=failed_step if case.status == FAILED else None,
                    why=_why(why) if case.status != PASSED else None,
                )
            )
    # A test that failed before its first step is in the JUnit report only.
    for name, case in cases.items():
        if name not in seen:
            outcomes.append(ScenarioOutcome("", name, case.status, (), why=_why(case.why)))
    return outcomes


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, outcomes: Iterable[ScenarioOutcome]) -> Tally:
        tally = cls()
        for outcome in outcomes:
            setattr(tally, outcome.status, getattr(tally, outcome.status) + 1)
        return tally

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.skipped
