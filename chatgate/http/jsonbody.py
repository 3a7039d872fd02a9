"""Decoding request JSON defensively, for every dispatch function: bad, huge or
absurdly nested input is reported as a value, never raised."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Far deeper than any real payload; deeper input would only exhaust the stack.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Undecodable:
    """Input that is not acceptable JSON, kept as text for errors and journals."""

    text: str
    error: str


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def _openers(raw: bytes | str) -> int:
    """How many `[` and `{` the input holds: at least the number of arrays and objects
    it decodes to, in any encoding `json.loads` reads (each one's code has such a byte)."""
    if isinstance(raw, str):
        return raw.count("[") + raw.count("{")
    return raw.count(b"[") + raw.count(b"{")


def decode_json(raw: bytes | str, max_depth: int = MAX_DEPTH) -> Any:
    """The decoded value, or `Undecodable` with the reason."""
    try:
        value = json.loads(raw)
    except RecursionError:
        return _too_deep(raw, max_depth)
    except (ValueError, UnicodeDecodeError) as exc:
        return Undecodable(_text(raw), str(exc))
    # Going past `max_depth` takes `max_depth` nested containers: fewer openers, no scan.
    if _openers(raw) < max_depth or _depth_ok(value, max_depth):
        return value
    return _too_deep(raw, max_depth)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw


def _too_deep(raw: bytes | str, max_depth: int) -> Undecodable:
    return Undecodable(_text(raw), f"nested deeper than {max_depth} levels")


def find_unclean_text(value: Any, where: str = "body") -> str | None:
    """Why a decoded JSON value cannot be stored or sent on: a NUL character or a lone
    surrogate (invalid Unicode) in any string or key; None when every string is clean."""
    stack: list[tuple[Any, str]] = [(value, where)]
    while stack:
        item, path = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return f"{path} {problem}"
        elif isinstance(item, dict):
            for key, child in item.items():
                problem = text_problem(key)
                if problem:
                    return f"a key of {path} {problem}"
                stack.append((child, f"{path}.{key}"))
        elif isinstance(item, list):
            stack.extend((child, f"{path}[{i}]") for i, child in enumerate(item))
    return None


def text_problem(text: str) -> str | None:
    """`contains a NUL character` / `is not valid Unicode`, or None for clean text."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (lone surrogate)"
    return None
