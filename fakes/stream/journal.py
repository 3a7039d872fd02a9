"""The request journal: every call the fake served, queryable like WireMock's.

Control-plane calls (`/_fake/...`) are not recorded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chatgate.http.jsonbody import Undecodable, decode_json

from . import observe
from .clock import stream_time


@dataclass(frozen=True, slots=True)
class JournalEntry:
    seq: int
    time: datetime  # the fake's (settable) clock
    # Real seconds since the journal began when the request arrived (a monotonic
    # clock the control plane cannot move): differences are real elapsed time.
    received_s: float
    api_key: str
    operation: str
    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    principal: str | None
    matched: bool = True

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": stream_time(self.time),
            "received_s": round(self.received_s, 6),
            "api_key": self.api_key,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "query": {k: v for k, v in self.query.items() if k != "api_key"},
            "body": self.body,
            "status": self.status,
            "principal": self.principal,
            "matched": self.matched,
        }


# Enough for any test; a long load run keeps only the most recent requests.
DEFAULT_CAPACITY = 200_000

# A stored request is a plain tuple of strings, numbers and the raw body bytes (in
# JournalEntry's field order, the body raw): CPython's collector stops tracking
# such tuples, so a full journal adds nothing to its pauses. Entries are built on
# reading.
_Stored = tuple[
    int,
    datetime,
    float,
    str,
    str,
    str,
    str,
    tuple[tuple[str, str], ...],
    bytes,
    int,
    str | None,
    bool,
]
_OPERATION, _API_KEY, _STATUS, _MATCHED = 4, 3, 9, 11


def _body(raw: bytes) -> Any:
    """The body as the journal shows it: its JSON, `{}` when empty, else its text."""
    if not raw.strip():
        return {}
    parsed = decode_json(raw)
    return parsed.text if isinstance(parsed, Undecodable) else parsed


def _entry(stored: _Stored) -> JournalEntry:
    seq, at, received_s, api_key, operation, method, path, query, raw, status, who, hit = stored
    query_dict, body = dict(query), _body(raw)
    return JournalEntry(
        seq, at, received_s, api_key, operation, method, path, query_dict, body, status, who, hit
    )


@dataclass
class Journal:
    """Thread-safe, ordered record of requests (the newest `capacity` are kept)."""

    capacity: int = DEFAULT_CAPACITY
    _entries: deque[_Stored] = field(init=False)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _epoch: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        self._entries = deque(maxlen=self.capacity)

    def elapsed(self, perf_counter: float) -> float:
        """`time.perf_counter()` reading as seconds since the journal began."""
        return perf_counter - self._epoch

    def record(
        self,
        *,
        time: datetime,
        received_s: float,
        api_key: str,
        operation: str,
        method: str,
        path: str,
        query: dict[str, str],
        body: bytes,
        status: int,
        principal: str | None,
        matched: bool,
    ) -> None:
        """Store one request; `body` as it arrived (bytes), shown decoded on reading."""
        stored_query = tuple(query.items())
        with self._lock:
            self._seq += 1
            entry = (self._seq, time, received_s, api_key, operation, method, path)
            self._entries.append((*entry, stored_query, body, status, principal, matched))

    def _select(
        self,
        operation: str | Iterable[str] | None = None,
        *,
        api_key: str | None = None,
        ok: bool | None = None,
    ) -> Iterator[_Stored]:
        wanted = {operation} if isinstance(operation, str) else set(operation or ())
        with self._lock:
            stored = list(self._entries)
        for e in stored:
            if (
                (not wanted or e[_OPERATION] in wanted)
                and (api_key is None or e[_API_KEY] == api_key)
                and (ok is None or (200 <= e[_STATUS] < 300) == ok)
            ):
                yield e

    def entries(
        self,
        operation: str | Iterable[str] | None = None,
        *,
        api_key: str | None = None,
        ok: bool | None = None,
    ) -> list[JournalEntry]:
        """Entries in arrival order, optionally only some operations, one app, or outcome."""
        return [_entry(e) for e in self._select(operation, api_key=api_key, ok=ok)]

    def count(self, operation: str | None = None, *, ok: bool | None = None) -> int:
        return sum(1 for _ in self._select(operation, ok=ok))

    def operations(self) -> list[str]:
        """The operation names in arrival order (unmatched requests included)."""
        return [e[_OPERATION] for e in self._select()]

    def unmatched(self) -> list[JournalEntry]:
        """Requests no route matched (endpoints the fake does not implement)."""
        return [_entry(e) for e in self._select() if not e[_MATCHED]]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    # -- verification helpers ---------------------------------------------
    def channel_creation(self, cid: str) -> JournalEntry | None:
        """The first successful get-or-create call that addressed `cid`."""
        found = observe.channel_creation(self._rendered(), cid)
        return None if found is None else self._by_seq(found["seq"])

    def assert_members_upserted_before_create(self, cid: str, member_ids: Iterable[str]) -> None:
        """Fail unless every member was upserted before channel `cid` was first created."""
        rendered = self._rendered()
        late = observe.members_upserted_late(rendered, cid, member_ids)
        if late:
            creation = observe.channel_creation(rendered, cid)
            assert creation is not None
            raise AssertionError(
                f"channel {cid} was created (request #{creation['seq']}) before these members "
                f"were upserted: {late}"
            )

    def _rendered(self) -> list[dict[str, Any]]:
        return [e.to_json() for e in self.entries()]

    def _by_seq(self, seq: int) -> JournalEntry:
        return next(e for e in self.entries() if e.seq == seq)

    def assert_order(self, *operations: str) -> None:
        """Fail unless `operations` occur in this relative order (other calls may interleave)."""
        seen = self.operations()
        position = 0
        for op in seen:
            if position < len(operations) and op == operations[position]:
                position += 1
        if position < len(operations):
            raise AssertionError(
                f"expected operations in order {list(operations)}, journal has {seen}"
            )
