"""What a test reads off the journal's entries (as `/_fake/journal` renders them):
how many attempts a call took, and how long a backend paused between calls, in real
time. The same functions serve the Python API and a harness reading over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

Entry = Mapping[str, Any]


def _ok(entry: Entry) -> bool:
    return 200 <= int(entry["status"]) < 300


def attempts(entries: Iterable[Entry], accept: Callable[[Entry], bool] = lambda _: True) -> int:
    """Calls until the first success, that one included (all of them if none succeeded)."""
    count = 0
    for entry in entries:
        if not accept(entry):
            continue
        count += 1
        if _ok(entry):
            break
    return count


def pause_before_retry(entries: Iterable[Entry], operation: str) -> float | None:
    """Real seconds between the first failed `operation` and the next `operation`
    (its retry); None when nothing failed or nothing followed."""
    failed_at: float | None = None
    for entry in entries:
        if entry["operation"] != operation:
            continue
        if failed_at is not None:
            return float(entry["received_s"]) - failed_at
        if not _ok(entry):
            failed_at = float(entry["received_s"])
    return None


def time_to_first_success(
    entries: Iterable[Entry], start: str, accept: Callable[[Entry], bool]
) -> float | None:
    """Real seconds from the first `start` call to the first successful accepted call."""
    started_at: float | None = None
    for entry in entries:
        if started_at is None and entry["operation"] == start:
            started_at = float(entry["received_s"])
        elif started_at is not None and accept(entry) and _ok(entry):
            return float(entry["received_s"]) - started_at
    return None
