"""Generate the operation coverage table of docs/fake-stream.md from the route table.

`python -m chatgate.fakes.stream.coverage` rewrites the table between the
markers in docs/fake-stream.md; a test fails when the file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .routes import ROUTES

BEGIN = "<!-- coverage:begin -->"
END = "<!-- coverage:end -->"


def coverage_table() -> str:
    """A markdown table: one row per implemented operation."""
    rows = [
        "| operation | method | path | user token allowed |",
        "| --- | --- | --- | --- |",
    ]
    for route in sorted(ROUTES, key=lambda r: (r.template, r.method)):
        allowed = "yes" if route.client_side else "no (server only)"
        rows.append(f"| `{route.operation}` | {route.method} | `{route.template}` | {allowed} |")
    return "\n".join(rows)


def render_into(text: str) -> str:
    """`text` with the table between the markers replaced by the current one."""
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{coverage_table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    path = Path(args[0] if args else "docs/fake-stream.md")
    text = path.read_text()
    if BEGIN not in text or END not in text:
        print(f"{path}: the markers {BEGIN} and {END} are missing", file=sys.stderr)
        return 1
    path.write_text(render_into(text))
    print(f"{path}: coverage table updated ({len(ROUTES)} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
