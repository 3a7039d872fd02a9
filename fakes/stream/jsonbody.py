"""Decoding request JSON defensively: bad, huge or absurdly nested input is
reported, never raised."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# Far deeper than any real Stream payload; deeper input would only exhaust the stack.
MAX_DEPTH = 64


@dataclass(frozen=True)
class Undecodable:
    """Input that is not acceptable JSON, kept as text for errors and the journal."""

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


def decode_json(raw: bytes | str) -> Any:
    """The decoded value, or `Undecodable` with the reason."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    try:
        value = json.loads(raw)
    except RecursionError:
        return Undecodable(text, f"nested deeper than {MAX_DEPTH} levels")
    except (ValueError, UnicodeDecodeError) as exc:
        return Undecodable(text, str(exc))
    if not _depth_ok(value, MAX_DEPTH):
        return Undecodable(text, f"nested deeper than {MAX_DEPTH} levels")
    return value
