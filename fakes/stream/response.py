"""The fake's answer type: an `HttpAnswer` that names the Stream operation it served.

A leaf module, so the dispatcher, the control plane and the server share it
without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatgate.http.answer import HttpAnswer

UNMATCHED_OPERATION = "Unknown"


@dataclass
class FakeResponse(HttpAnswer):
    """An answer of the fake, with the Stream operation it served (for transports' logs)."""

    operation: str = UNMATCHED_OPERATION
