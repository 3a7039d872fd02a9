"""Waiting on a child process's output with a deadline (never a fixed sleep)."""

from __future__ import annotations

import codecs
import os
import selectors
import subprocess
import time

CHUNK = 65536


def read_until(proc: subprocess.Popen[str], marker: str, deadline_s: float = 30.0) -> str:
    """Read `proc`'s stdout until a complete line contains `marker`; returns all read so far
    (a line that arrived in the same chunk after the marker's is included).

    It reads the pipe itself, not through `proc.stdout`'s buffer: lines pulled into that
    buffer would be invisible to the wait, and one arriving together with others could be
    missed. Later reads of `proc.stdout` get what was printed after.

    Raises AssertionError with the output seen when the deadline passes or the process
    closes its stdout first.
    """
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    selector = selectors.DefaultSelector()
    selector.register(fd, selectors.EVENT_READ)
    seen = ""
    deadline = time.monotonic() + deadline_s
    try:
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            chunk = os.read(fd, CHUNK)
            if not chunk:
                break
            seen += decoder.decode(chunk)
            complete = seen[: seen.rfind("\n") + 1]
            if any(marker in line for line in complete.splitlines()):
                return seen
    finally:
        selector.close()
    raise AssertionError(f"{marker!r} not printed; output so far:\n{seen}")
