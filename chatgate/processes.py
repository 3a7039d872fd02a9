"""Waiting on a child process's output with a deadline (never a fixed sleep)."""

from __future__ import annotations

import selectors
import subprocess
import time


def read_until(proc: subprocess.Popen[str], marker: str, deadline_s: float = 30.0) -> str:
    """Read `proc`'s stdout lines until one contains `marker`; returns all read so far.

    Raises AssertionError with the output seen when the deadline passes or the
    process closes its stdout first.
    """
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    seen = ""
    deadline = time.monotonic() + deadline_s
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            seen += line
            if marker in line:
                return seen
    finally:
        selector.close()
    raise AssertionError(f"{marker!r} not printed; output so far:\n{seen}")
