"""The seeds' checklists, each item judged by the scenarios that prove it.

An item passes when every one of its scenarios that ran passed (and at least one ran);
it fails when one failed; it is skipped when all that ran were skipped, and "not run"
when none ran (its suite was not selected, or `--tags` left them out).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .results import FAILED, NOT_RUN, PASSED, SKIPPED, ScenarioOutcome


class ChecklistItem(Protocol):
    """An item of the checklist map (chatgate.fixtures.targets.checklist)."""

    @property
    def checklist(self) -> str: ...
    @property
    def section(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def scenarios(self) -> Sequence[str]: ...


@dataclass(frozen=True)
class ItemResult:
    checklist: str
    section: str
    text: str
    status: str
    scenarios: tuple[ScenarioOutcome, ...]  # those that ran
    not_run: tuple[str, ...]  # named by the map, not run

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for s in self.scenarios for t in s.tags))

    def to_json(self) -> dict[str, Any]:
        return {
            "checklist": self.checklist,
            "section": self.section,
            "item": self.text,
            "status": self.status,
            "tags": list(self.tags),
            "scenarios": [s.to_json() for s in self.scenarios],
            "not_run": list(self.not_run),
        }


def _status(ran: Sequence[ScenarioOutcome]) -> str:
    statuses = {s.status for s in ran}
    if FAILED in statuses:
        return FAILED
    if PASSED in statuses:
        return PASSED
    return SKIPPED if statuses else NOT_RUN


def judge(items: Iterable[ChecklistItem], outcomes: Sequence[ScenarioOutcome]) -> list[ItemResult]:
    """Each item with its status and the scenarios behind it."""
    by_name: dict[str, list[ScenarioOutcome]] = {}
    for outcome in outcomes:
        by_name.setdefault(outcome.name, []).append(outcome)
    results = []
    for item in items:
        ran = tuple(o for name in item.scenarios for o in by_name.get(name, []))
        missing = tuple(name for name in item.scenarios if name not in by_name)
        results.append(
            ItemResult(item.checklist, item.section, item.text, _status(ran), ran, missing)
        )
    return results


def verdict(outcomes: Sequence[ScenarioOutcome]) -> bool:
    """The run passes when scenarios ran and none failed (mapped to an item or not); a
    skip, which says why, is not a failure."""
    return bool(outcomes) and all(o.status != FAILED for o in outcomes)
