"""The checklists page `chatgate verify` writes, opened from disk in a real headless browser
(Debian's chromium, driven by Playwright): it loads without console errors, lists every
checklist item with its status, shows the failures with their steps, and its filters by
status and by tag work.

The page is made from the real checklist map, with one scenario of each item failed,
skipped, passed or left out, so every status shows."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chatgate.verify import checklists, html
from chatgate.verify.checklist_map import items
from chatgate.verify.results import FAILED, NOT_RUN, PASSED, SKIPPED, ScenarioOutcome, Step

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

if CHROMIUM is None and os.environ.get("CI") != "true":
    pytest.skip("no chromium here (.ci/run installs Debian's)", allow_module_level=True)

sync_api = pytest.importorskip("playwright.sync_api")

STATUSES = (PASSED, FAILED, SKIPPED, NOT_RUN)
TRICKY_STEP = "it works </script> <b>really</b>"  # markup in a step must stay text


def _outcomes() -> list[ScenarioOutcome]:
    """For the i-th item of the map: its scenarios with the i-th status (cycling)."""
    outcomes = []
    for index, item in enumerate(items()):
        status = STATUSES[index % len(STATUSES)]
        if status == NOT_RUN:
            continue
        for name in item.scenarios:
            failed = status == FAILED
            outcomes.append(
                ScenarioOutcome(
                    feature="a feature",
                    name=name,
                    status=status,
                    tags=("chat", f"tag{index % 3}"),
                    steps=(
                        Step("Given", "someone", PASSED),
                        Step(
                            "Then", "it works </script> <b>really</b>", FAILED if failed else PASSED
                        ),
                    ),
                    failed_step="Then it works </script> <b>really</b>" if failed else None,
                    why="AssertionError: 403 != 201\nthe backend said: blocked" if failed else None,
                )
            )
    return outcomes


@pytest.fixture(scope="module")
def report_page(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    outcomes = _outcomes()
    judged = checklists.judge(items(), outcomes)
    path = tmp_path_factory.mktemp("report") / "checklists.html"
    path.write_text(
        html.page(judged, outcomes, passed=False, title="chatgate verify", meta="a test run"),
        encoding="utf-8",
    )
    return path, judged


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.fail("CI=true but no chromium: .ci/run should have installed Debian's")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture
def opened(browser: Any, report_page: tuple[Path, list[Any]]) -> tuple[Any, list[str]]:
    page = browser.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(report_page[0].as_uri())
    page.wait_for_selector("tr.item")
    return page, errors


def _visible_rows(page: Any) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "tr.item",
        "rows => rows.filter(r => !r.hidden).map(r => ({item: r.cells[1].textContent,"
        " status: r.cells[2].textContent, tags: r.dataset.tags}))",
    )


def test_the_page_loads_from_disk_without_console_errors(opened: tuple[Any, list[str]]) -> None:
    page, errors = opened
    assert errors == []
    assert page.text_content("#verdict") == "The contract is broken"


def test_every_checklist_item_is_listed_with_its_status(
    opened: tuple[Any, list[str]], report_page: tuple[Path, list[Any]]
) -> None:
    page, _ = opened
    shown = [(row["item"], row["status"]) for row in _visible_rows(page)]
    assert shown == [(item.text, item.status) for item in report_page[1]]
    assert {status for _, status in shown} == set(STATUSES)
    captions = page.eval_on_selector_all(
        "table.checklist caption", "cs => cs.map(c => c.textContent)"
    )
    assert captions == list(dict.fromkeys(item.checklist for item in report_page[1]))


def test_failures_show_their_step_and_message_as_text(opened: tuple[Any, list[str]]) -> None:
    page, _ = opened
    failure = page.locator("details.failure").first
    assert "Failed step: Then it works </script> <b>really</b>" in failure.inner_text()
    assert "the backend said: blocked" in failure.inner_text()
    assert page.locator("details.failure b").count() == 0  # shown as text, never as markup


def test_the_status_filter_hides_the_unchecked_statuses(opened: tuple[Any, list[str]]) -> None:
    page, _ = opened
    page.uncheck("#status-filter input[value='passed']")
    page.uncheck("#status-filter input[value='not run']")
    assert {row["status"] for row in _visible_rows(page)} == {FAILED, SKIPPED}
    page.uncheck("#status-filter input[value='failed']")
    assert page.locator("details.failure:visible").count() == 0
    assert page.text_content("#shown").endswith(f"of {len(items())} items shown")


def test_the_tag_filter_keeps_only_the_items_with_that_tag(opened: tuple[Any, list[str]]) -> None:
    page, _ = opened
    page.select_option("#tag-filter", "tag1")
    rows = _visible_rows(page)
    assert rows
    assert all("tag1" in row["tags"].split() for row in rows)
    page.select_option("#tag-filter", "")
    assert len(_visible_rows(page)) == len(items())
