"""The end-of-run summary: per-route figures from Locust's statistics, and the table
`chatgate load` prints from the summary file (routes, gates, consistency)."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def route_rows(stats: Any) -> list[dict[str, Any]]:
    """One row per request name, then the total, from a Locust `RequestStats`."""
    entries = sorted(stats.entries.values(), key=lambda e: (e.name, e.method))
    return [_row(e, e.name) for e in entries] + [_row(stats.total, "total")]


def _row(entry: Any, name: str) -> dict[str, Any]:
    has = entry.num_requests > 0
    return {
        "name": name,
        "method": entry.method or "",
        "requests": entry.num_requests,
        "failures": entry.num_failures,
        "p50_ms": entry.get_response_time_percentile(0.50) if has else None,
        "p95_ms": entry.get_response_time_percentile(0.95) if has else None,
        "p99_ms": entry.get_response_time_percentile(0.99) if has else None,
        "rps": round(entry.total_rps, 1),
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def render(summary: dict[str, Any], console: Console) -> None:
    """Print the summary: a table of routes, then each gate and the consistency check."""
    table = Table(title="chatgate load", show_lines=False)
    for column in ("route", "requests", "failures", "p50 ms", "p95 ms", "p99 ms", "req/s"):
        if column == "route":
            table.add_column(column, no_wrap=True, overflow="ellipsis", ratio=3)
        else:
            table.add_column(column, justify="right", no_wrap=True)
    for row in summary.get("routes", []):
        table.add_row(
            row["name"],
            str(row["requests"]),
            str(row["failures"]),
            _ms(row["p50_ms"]),
            _ms(row["p95_ms"]),
            _ms(row["p99_ms"]),
            f"{row['rps']:.1f}",
        )
    console.print(table)
    for gate in summary.get("gates", []):
        mark = "[green]PASS[/green]" if gate["passed"] else "[red]FAIL[/red]"
        console.print(f"{mark} {gate['gate']}: {gate['text']}")
    consistency = summary.get("consistency")
    if consistency is None:
        console.print("consistency: not checked (Stream is not chatgate's fake)")
    elif consistency["ok"]:
        console.print(
            f"[green]PASS[/green] consistency: {consistency['checked']} conversations match "
            "their Stream channels"
        )
    else:
        problems = sum(len(consistency[k]) for k in ("missing", "wrong_members", "duplicates"))
        console.print(f"[red]FAIL[/red] consistency: {problems} problems, see the summary file")
    verdict = "[green]passed[/green]" if summary.get("passed") else "[red]FAILED[/red]"
    console.print(f"load run {verdict}")
