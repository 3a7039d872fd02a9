"""What `chatgate verify` prints: each checklist as a table with a mark per item, then
every failure (the item, the scenario, the step that failed, and why), then one line."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .checklists import ItemResult
from .results import FAILED, NOT_RUN, PASSED, SKIPPED, ScenarioOutcome, Tally

MARKS = {
    PASSED: "[green]✔ pass[/green]",
    FAILED: "[bold red]✘ FAIL[/bold red]",
    SKIPPED: "[yellow]- skipped[/yellow]",
    NOT_RUN: "[dim]· not run[/dim]",
}


def checklist_tables(results: Sequence[ItemResult], console: Console) -> None:
    """A table per checklist; one line for a checklist none of whose scenarios ran."""
    for checklist, grouped in groupby(results, key=lambda r: r.checklist):
        items = list(grouped)
        if all(item.status == NOT_RUN for item in items):
            console.print(
                f"[bold]{escape(checklist)}[/bold]: [dim]not run (none of its "
                f"{len(items)} items' scenarios was selected)[/dim]"
            )
            continue
        table = Table(title=checklist, title_justify="left", show_lines=False, expand=False)
        table.add_column("section", style="bold")
        table.add_column("item")
        table.add_column("status", no_wrap=True)
        table.add_column("scenarios", justify="right", no_wrap=True)
        previous = None
        for item in items:
            passed = sum(1 for s in item.scenarios if s.status == PASSED)
            table.add_row(
                "" if item.section == previous else escape(item.section),
                escape(item.text),
                MARKS[item.status],
                f"{passed}/{len(item.scenarios) + len(item.not_run)}",
            )
            previous = item.section
        console.print(table)


def failures(
    results: Sequence[ItemResult], outcomes: Sequence[ScenarioOutcome], console: Console
) -> None:
    """Every failed scenario once, under the checklist items it proves (or none)."""
    failed = [o for o in outcomes if o.status == FAILED]
    if not failed:
        return
    items_of: dict[str, list[str]] = {}
    for item in results:
        for scenario in item.scenarios:
            items_of.setdefault(scenario.name, []).append(f"{item.checklist}: {item.text}")
    console.rule("[bold red]failures")
    for outcome in failed:
        for item in items_of.get(outcome.name, ["(no checklist item)"]):
            console.print(f"[bold]item[/bold]      {escape(item)}")
        console.print(
            f"[bold]scenario[/bold]  {escape(outcome.name)}  [dim]({escape(outcome.feature)})[/dim]"
        )
        if outcome.failed_step:
            console.print(f"[bold]step[/bold]      {escape(outcome.failed_step)}")
        if outcome.why:
            console.print(
                "[bold]why[/bold]       " + escape(outcome.why).replace("\n", "\n          ")
            )
        console.print()


def summary_line(passed_run: bool, outcomes: Sequence[ScenarioOutcome], console: Console) -> None:
    tally = Tally.of(outcomes)
    words = f"{tally.passed} passed, {tally.failed} failed, {tally.skipped} skipped"
    if passed_run:
        console.print(f"[bold green]chatgate verify: the contract holds[/bold green] ({words})")
    else:
        console.print(f"[bold red]chatgate verify: the contract is broken[/bold red] ({words})")
