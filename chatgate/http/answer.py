"""The answer a dispatch function returns, shared by the fake Stream and the reference.

A leaf module: it imports nothing of chatgate, so both sides (and the transports)
can use it without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON_HEADERS = {"content-type": "application/json"}


def _json_headers() -> dict[str, str]:
    return dict(JSON_HEADERS)


@dataclass
class HttpAnswer:
    """Status, headers and body; `delay_s` and `drop` serve injected faults: a
    transport waits `delay_s` first, and `drop` resets the connection unanswered."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=_json_headers)
    delay_s: float = 0.0
    drop: bool = False

    def json(self) -> Any:
        return json.loads(self.body)


def json_answer(status: int, payload: Any) -> HttpAnswer:
    """`payload` as a JSON answer."""
    return HttpAnswer(status, json.dumps(payload).encode())
