"""How much of the official Python SDK the fake serves, and the tables of docs/fake-stream.md.

Every public method of `StreamChat` and `Channel` is called against a recording
transport (`sdk_surface.py`); each request it sends is matched to the route
table. A method is served when the fake has a route for every request and,
where several SDK methods share one route, the route honours the body fields
the method sends (`Route.fields`). The rest are listed, with the reason, in
`not_yet.py`: an explicit allowlist that shrinks as routes are added.

`python -m chatgate.fakes.stream.coverage` rewrites both tables between their
markers in docs/fake-stream.md; a test fails when the file is out of date.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .routes import ROUTES, match
from .sdk_surface import SdkCall, SdkMethod, sdk_methods

BEGIN = "<!-- coverage:begin -->"
END = "<!-- coverage:end -->"
SDK_BEGIN = "<!-- sdk-coverage:begin -->"
SDK_END = "<!-- sdk-coverage:end -->"

SERVED = "served"
LOCAL = "no HTTP call"


@dataclass(frozen=True)
class MethodCoverage:
    """One SDK method: its requests, the operations serving them, and its status."""

    method: SdkMethod
    operations: tuple[str, ...]
    # SERVED, LOCAL, or why not: the request no route serves, or the fields ignored.
    status: str

    @property
    def served(self) -> bool:
        return self.status == SERVED

    @property
    def calls_http(self) -> bool:
        return self.status != LOCAL


def _call_status(call: SdkCall) -> tuple[str | None, str]:
    """(operation, SERVED or the reason) for one request."""
    found = match(call.method, call.path)
    if found is None:
        return None, "no route"
    route = found[0]
    ignored = sorted(call.body_keys - route.fields) if route.fields is not None else []
    if ignored:
        return route.operation, f"{route.operation} ignores {', '.join(ignored)}"
    return route.operation, SERVED


def method_coverage(method: SdkMethod) -> MethodCoverage:
    """The coverage of one SDK method."""
    if not method.calls:
        return MethodCoverage(method, (), LOCAL)
    results = [_call_status(call) for call in method.calls]
    operations = tuple(op for op, _ in results if op is not None)
    reasons = [reason for _, reason in results if reason != SERVED]
    return MethodCoverage(method, operations, "; ".join(dict.fromkeys(reasons)) or SERVED)


@cache
def sdk_coverage() -> tuple[MethodCoverage, ...]:
    """Every public SDK method's coverage, StreamChat's first, each sorted by name."""
    return tuple(method_coverage(m) for m in sdk_methods())


def served_percentage(rows: tuple[MethodCoverage, ...]) -> tuple[int, int, float]:
    """(served, methods that call the API, percentage served)."""
    remote = [row for row in rows if row.calls_http]
    served = sum(row.served for row in remote)
    return served, len(remote), 100.0 * served / len(remote)


def route_table() -> str:
    """A markdown table: one row per implemented operation."""
    rows = [
        "| operation | method | path | user token allowed |",
        "| --- | --- | --- | --- |",
    ]
    for route in sorted(ROUTES, key=lambda r: (r.template, r.method)):
        allowed = "yes" if route.client_side else "no (server only)"
        rows.append(f"| `{route.operation}` | {route.method} | `{route.template}` | {allowed} |")
    return "\n".join(rows)


def sdk_table() -> str:
    """A markdown table: every public SDK method, its requests and whether the fake serves it."""
    rows = sdk_coverage()
    served, remote, percentage = served_percentage(rows)
    lines = [
        f"{served} of the {remote} SDK methods that call the API are served "
        f"({percentage:.1f}%). Methods marked *not yet* are listed in `fakes/stream/not_yet.py`.",
        "",
        "| SDK method | HTTP | fake operation | status | in `StreamChatAsync` |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        http = "<br>".join(f"{c.method} `{c.path}`" for c in row.method.calls) or "-"
        operations = ", ".join(f"`{op}`" for op in row.operations) or "-"
        status = row.status if row.served or not row.calls_http else f"not yet: {row.status}"
        in_async = "yes" if row.method.in_async_client else "no"
        lines.append(f"| `{row.method.qualname}` | {http} | {operations} | {status} | {in_async} |")
    return "\n".join(lines)


def _replace(text: str, begin: str, end: str, table: str) -> str:
    head, _, rest = text.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{table}\n{end}{tail}"


def render_into(text: str) -> str:
    """`text` with both tables between their markers replaced by the current ones."""
    text = _replace(text, BEGIN, END, route_table())
    return _replace(text, SDK_BEGIN, SDK_END, sdk_table())


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0] if args else "docs/fake-stream.md")
    text = path.read_text()
    missing = [m for m in (BEGIN, END, SDK_BEGIN, SDK_END) if m not in text]
    if missing:
        print(f"{path}: the markers {', '.join(missing)} are missing", file=sys.stderr)
        return 1
    path.write_text(render_into(text))
    served, remote, percentage = served_percentage(sdk_coverage())
    print(
        f"{path}: coverage tables updated ({len(ROUTES)} routes; "
        f"{served}/{remote} SDK methods served, {percentage:.1f}%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
