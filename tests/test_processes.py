"""read_until finds a line however the child's output arrives."""

from __future__ import annotations

import subprocess
import sys

import pytest

from chatgate.processes import read_until

# Writes its lines in one go, then waits for stdin to close (it never exits first).
CHILD = "import sys; sys.stdout.write({text!r}); sys.stdout.flush(); sys.stdin.read()"


def _child(text: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD.format(text=text)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_a_marker_line_that_arrives_with_others_in_one_write_is_found() -> None:
    proc = _child("starting\nsettings: x\nlistening on http://127.0.0.1:1\n")
    try:
        seen = read_until(proc, "listening on", deadline_s=30)
    finally:
        proc.communicate(input="", timeout=30)
    assert seen == "starting\nsettings: x\nlistening on http://127.0.0.1:1\n"


def test_a_marker_in_an_unfinished_line_waits_for_its_end() -> None:
    proc = _child("listening on http://127.0.0.1:1")
    try:
        with pytest.raises(AssertionError, match="'listening on' not printed"):
            read_until(proc, "listening on", deadline_s=0.5)
    finally:
        proc.communicate(input="", timeout=30)
