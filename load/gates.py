"""The service-level gates a load run must pass, read from Locust's statistics when it ends.

- `p95_ms`: the 95th-percentile latency of every creation (requests named `create: ...`);
- `failure_ratio`: failed requests over all requests;
- `missing_members`: failures saying Stream's "users ... don't exist" (the incident).
  Its threshold is 0 and cannot be raised: one is a failed release.

Thresholds have defaults, may come from a TOML file (`[gates]` with the keys above) and
from the command line, the command line winning.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .backend import CREATE_PREFIX, MISSING_MEMBERS

GATE_KEYS = ("p95_ms", "failure_ratio")


class GateFileError(ValueError):
    """A thresholds file that cannot be used; the text says why."""


@dataclass(frozen=True)
class Thresholds:
    p95_ms: float = 2000.0
    failure_ratio: float = 0.01

    def __post_init__(self) -> None:
        if not (self.p95_ms > 0 and math.isfinite(self.p95_ms)):
            raise ValueError(
                f"the p95 threshold must be a positive number of ms, not {self.p95_ms}"
            )
        if not 0 <= self.failure_ratio <= 1:
            raise ValueError(
                f"the failure ratio threshold must be from 0 to 1, not {self.failure_ratio}"
            )


def read_thresholds(path: Path, base: Thresholds | None = None) -> Thresholds:
    """`base` (the defaults) with the `[gates]` table of the TOML file at `path`."""
    base = base or Thresholds()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8")).get("gates", {})
    except OSError as error:
        raise GateFileError(f"cannot read the gates file {path}: {error.strerror}") from None
    except tomllib.TOMLDecodeError as error:
        raise GateFileError(f"the gates file {path} is not TOML: {error}") from None
    if not isinstance(table, dict):
        raise GateFileError(f"{path}: [gates] must be a table")
    unknown = sorted(set(table) - set(GATE_KEYS))
    if unknown:
        raise GateFileError(
            f"{path}: unknown gates {unknown}; the gates are {', '.join(GATE_KEYS)}"
        )
    for key, value in table.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise GateFileError(f"{path}: {key} must be a number, not {value!r}")
    try:
        return replace(base, **{k: float(v) for k, v in table.items()})
    except ValueError as error:
        raise GateFileError(f"{path}: {error}") from None


def merged(base: Thresholds, **overrides: float | None) -> Thresholds:
    """`base` with every override that is not None."""
    names = {f.name for f in fields(Thresholds)}
    return replace(base, **{k: v for k, v in overrides.items() if v is not None and k in names})


@dataclass(frozen=True)
class GateResult:
    name: str
    passed: bool
    measured: float
    limit: float
    text: str  # what a release manager reads: the figure, the limit, and by how much

    def to_json(self) -> dict[str, Any]:
        return {
            "gate": self.name,
            "passed": self.passed,
            "measured": self.measured,
            "limit": self.limit,
            "text": self.text,
        }


@dataclass(frozen=True)
class RunFigures:
    """The figures the gates read, taken from Locust's statistics."""

    requests: int
    failures: int
    creations: int
    creation_p95_ms: float | None
    missing_members: int


def figures(stats: Any) -> RunFigures:
    """RunFigures from a Locust `RequestStats` (the whole run's, on a master)."""
    creates = [e for e in stats.entries.values() if e.name.startswith(CREATE_PREFIX)]
    creations = sum(e.num_requests for e in creates)
    p95 = None
    if creations:
        merged_entry = _merged_entries(creates)
        p95 = float(merged_entry.get_response_time_percentile(0.95))
    missing = sum(e.occurrences for e in stats.errors.values() if missing_members(str(e.error)))
    return RunFigures(
        requests=stats.total.num_requests,  # failures included
        failures=stats.total.num_failures,
        creations=creations,
        creation_p95_ms=p95,
        missing_members=missing,
    )


def missing_members(error: str) -> bool:
    """Does a failure's text carry Stream's missing-users words? A worker's errors reach a
    master as their repr, where the apostrophe comes escaped (`don\\'t`)."""
    return MISSING_MEMBERS in error.replace("\\'", "'")


def _merged_entries(entries: Iterable[Any]) -> Any:
    from locust.stats import StatsEntry

    items = list(entries)
    total = StatsEntry(items[0].stats, "creations", "", use_response_times_cache=False)
    for entry in items:
        total.extend(entry)
    return total


def evaluate(run: RunFigures, limits: Thresholds) -> list[GateResult]:
    """Each gate, passed or not, with a sentence saying by how much."""
    results = []
    if run.creation_p95_ms is None:
        results.append(
            GateResult("p95_ms", False, math.nan, limits.p95_ms, "p95 creation: no creation ran")
        )
    else:
        p95 = run.creation_p95_ms
        over = p95 - limits.p95_ms
        results.append(
            GateResult(
                "p95_ms",
                over <= 0,
                p95,
                limits.p95_ms,
                f"p95 creation {p95:.0f} ms, limit {limits.p95_ms:.0f} ms"
                + (f": {over:.0f} ms over" if over > 0 else ""),
            )
        )
    ratio = run.failures / run.requests if run.requests else 0.0
    results.append(
        GateResult(
            "failure_ratio",
            ratio <= limits.failure_ratio,
            ratio,
            limits.failure_ratio,
            f"failures {run.failures} of {run.requests} requests ({ratio:.2%}), "
            f"limit {limits.failure_ratio:.2%}"
            + (
                f": {ratio - limits.failure_ratio:.2%} over" if ratio > limits.failure_ratio else ""
            ),
        )
    )
    results.append(
        GateResult(
            "missing_members",
            run.missing_members == 0,
            float(run.missing_members),
            0.0,
            f"missing-member errors {run.missing_members}, limit 0"
            + (f": {run.missing_members} over" if run.missing_members else ""),
        )
    )
    return results


def thresholds_from(options: Mapping[str, Any]) -> Thresholds:
    """Thresholds from parsed options: the file (if any), then `p95_ms`/`failure_ratio`."""
    base = Thresholds()
    path = options.get("gates_file")
    if path:
        base = read_thresholds(Path(path), base)
    return merged(base, p95_ms=options.get("p95_ms"), failure_ratio=options.get("failure_ratio"))
