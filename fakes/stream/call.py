"""What a handler receives: the app, the caller and the parsed request."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .auth import Principal
from .errors import input_error
from .models import AppState

if TYPE_CHECKING:
    from .ratelimits import RateLimits


@dataclass
class Call:
    app: AppState
    principal: Principal
    operation: str
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    rate_limits: RateLimits | None = None

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    def payload(self) -> dict[str, Any]:
        """The JSON object in the `payload` query parameter used by GET queries."""
        raw = self.query.get("payload")
        if raw is None:
            raise input_error("payload is a required field")
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise input_error(f"payload is not valid JSON: {exc.msg}") from exc
        if not isinstance(value, dict):
            raise input_error("payload must be a JSON object")
        return value
