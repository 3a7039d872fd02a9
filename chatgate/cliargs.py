"""Argument types the commands share: each refuses a bad value with words argparse prints
as `<prog>: error: argument --x: <words>`, and exit status 2."""

from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import urlsplit


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_float(text: str) -> float:
    """A number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {value}")
    return value


def http_url(text: str) -> str:
    """An http(s) URL with a host, without its trailing slash."""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(f"must be an http(s) URL, got {text!r}")
    return text.rstrip("/")


def nonblank(text: str) -> str:
    """Any text with something besides spaces."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    return text


def report_dir_problem(path: Path) -> str | None:
    """Make the report folder `path` (and its parents); what is wrong if it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        return f"cannot use {path} for the reports: {error.strerror}"
    return None
