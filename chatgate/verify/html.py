"""The checklists as one self-contained HTML page (`checklists.html`): it opens from disk
in any browser, with no server and nothing fetched. A pass/fail summary, every checklist
item with its status, the failures expanded with their steps and messages, and filters
by tag and by status. The data is embedded as JSON; the page's own script (page.html) draws it."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from importlib import resources
from string import Template
from typing import Any

from .checklists import ItemResult
from .results import ScenarioOutcome, Tally

PAGE = "page.html"  # the template, beside this module: $title, $meta, $data


def _template() -> Template:
    return Template(resources.files(__package__).joinpath(PAGE).read_text(encoding="utf-8"))


def _json_for_script(value: Any) -> str:
    # `</` would end the script element early; JSON allows `<\\/` for it.
    return json.dumps(value, ensure_ascii=False).replace("</", "<\\/")


def page(
    results: Sequence[ItemResult],
    outcomes: Sequence[ScenarioOutcome],
    *,
    passed: bool,
    title: str,
    meta: str,
) -> str:
    """The whole page, as text."""
    items_of: dict[str, list[str]] = {}
    for item in results:
        for scenario in item.scenarios:
            items_of.setdefault(scenario.name, []).append(f"{item.checklist}: {item.text}")
    tally = Tally.of(outcomes)
    data = {
        "passed": passed,
        "counts": {
            "items passed": sum(1 for r in results if r.status == "passed"),
            "items failed": sum(1 for r in results if r.status == "failed"),
            "scenarios passed": tally.passed,
            "scenarios failed": tally.failed,
            "scenarios skipped": tally.skipped,
        },
        "items": [r.to_json() for r in results],
        "failures": [
            {**o.to_json(), "items": items_of.get(o.name, [])}
            for o in outcomes
            if o.status == "failed"
        ],
    }
    return _template().substitute(
        title=html.escape(title), meta=html.escape(meta), data=_json_for_script(data)
    )
