"""Fault rules: make chosen requests fail the way Stream fails, on purpose.

A rule matches by operation and/or a path regex (and optionally the method)
and then answers with a Stream error, a 429 with rate-limit headers, extra
latency, or a dropped connection. `times` bounds how often it fires and
`probability` makes it random (seeded, so runs repeat).
"""

from __future__ import annotations

import math
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from . import texts
from .errors import ErrorCode, StreamError, status_for_code

_KINDS = ("error", "rate_limit", "latency", "drop")
# Bounds that keep every rule servable: transports really wait `latency_ms`.
MAX_LATENCY_MS = 600_000  # ten minutes
MAX_TIMES = 1_000_000
MIN_CODE, MAX_CODE = -1, 99  # Stream's error codes (contract §2.5)


@dataclass
class FaultRule:
    id: str
    kind: str = "error"
    operation: str | None = None
    path: str | None = None
    method: str | None = None
    code: int = ErrorCode.INTERNAL
    status: int | None = None
    message: str | None = None
    latency_ms: float = 0.0
    times: int | None = None
    probability: float = 1.0
    fired: int = 0
    _path_re: re.Pattern[str] | None = field(default=None, repr=False)

    def matches(self, operation: str, method: str, path: str) -> bool:
        if self.operation is not None and self.operation != operation:
            return False
        if self.method is not None and self.method.upper() != method:
            return False
        return self._path_re is None or bool(self._path_re.search(path))

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def error(self) -> StreamError:
        """The Stream error this rule answers with."""
        if self.kind == "rate_limit":
            # UNCONFIRMED text: the live 429 body is not on record.
            return StreamError(
                ErrorCode.RATE_LIMIT,
                self.message or texts.RATE_LIMITED,
                status=self.status or 429,
            )
        return StreamError(
            self.code,
            self.message or "injected fault",
            status=self.status or status_for_code(self.code),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "operation": self.operation,
            "path": self.path,
            "method": self.method,
            "code": self.code,
            "status": self.status or (429 if self.kind == "rate_limit" else None),
            "message": self.message,
            "latency_ms": self.latency_ms,
            "times": self.times,
            "probability": self.probability,
            "fired": self.fired,
        }


def _check_types(*checks: tuple[Any, type | tuple[type, ...], str]) -> None:
    for value, kind, name in checks:
        if value is not None and (not isinstance(value, kind) or isinstance(value, bool)):
            raise ValueError(f"{name} has the wrong type: {type(value).__name__}")


class Faults:
    """The registry of active fault rules, checked on every request."""

    def __init__(self, seed: int | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._random = random.Random(seed)
        self._next = 1

    def add(
        self,
        kind: str = "error",
        *,
        operation: str | None = None,
        path: str | None = None,
        method: str | None = None,
        code: int = ErrorCode.INTERNAL,
        status: int | None = None,
        message: str | None = None,
        latency_ms: float = 0.0,
        times: int | None = None,
        probability: float = 1.0,
    ) -> FaultRule:
        """Add a rule; raises ValueError with a precise reason when it makes no sense."""
        _check_types(
            (operation, str, "operation"),
            (path, str, "path"),
            (method, str, "method"),
            (message, str, "message"),
            (code, int, "code"),
            (status, int, "status"),
            (times, int, "times"),
            (latency_ms, (int, float), "latency_ms"),
            (probability, (int, float), "probability"),
        )
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {', '.join(_KINDS)}, got {kind!r}")
        if operation is None and path is None:
            raise ValueError("a fault rule needs an operation, a path regex, or both")
        if times is not None and not 1 <= times <= MAX_TIMES:
            raise ValueError(
                f"times must be at least 1 and at most {MAX_TIMES} "
                "(omit it for a rule that never runs out)"
            )
        if not 0.0 < probability <= 1.0:
            raise ValueError("probability must be in (0, 1]")
        if not (math.isfinite(latency_ms) and 0 <= latency_ms <= MAX_LATENCY_MS):
            raise ValueError(f"latency_ms must be between 0 and {MAX_LATENCY_MS} (ten minutes)")
        if not MIN_CODE <= code <= MAX_CODE:
            raise ValueError(f"code must be a Stream error code from {MIN_CODE} to {MAX_CODE}")
        if kind == "latency" and latency_ms == 0:
            raise ValueError("a latency fault needs latency_ms > 0")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        try:
            path_re = re.compile(path) if path is not None else None
        except re.error as exc:
            raise ValueError(f"path is not a valid regular expression: {exc}") from exc
        with self._lock:
            rule = FaultRule(
                id=f"fault-{self._next}",
                kind=kind,
                operation=operation,
                path=path,
                method=method,
                code=int(code),
                status=status,
                message=message,
                latency_ms=float(latency_ms),
                times=times,
                probability=probability,
                _path_re=path_re,
            )
            self._next += 1
            self._rules.append(rule)
            return rule

    def take(self, operation: str, method: str, path: str) -> FaultRule | None:
        """The first live rule matching this request, counted as fired; None otherwise."""
        with self._lock:
            for rule in self._rules:
                if rule.exhausted or not rule.matches(operation, method, path):
                    continue
                if rule.probability < 1.0 and self._random.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule
        return None

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def seed(self, seed: int | None) -> None:
        with self._lock:
            self._random.seed(seed)
