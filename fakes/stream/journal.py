"""The request journal: every call the fake served, queryable like WireMock's.

Control-plane calls (`/_fake/...`) are not recorded.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .clock import stream_time
from .handlers.channels import distinct_channel_id


@dataclass(frozen=True)
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


@dataclass
class Journal:
    """Thread-safe, ordered record of requests (the newest `capacity` are kept)."""

    capacity: int = DEFAULT_CAPACITY
    _entries: deque[JournalEntry] = field(init=False)
    _seq: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _epoch: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        self._entries = deque(maxlen=self.capacity)

    def elapsed(self, perf_counter: float) -> float:
        """`time.perf_counter()` reading as seconds since the journal began."""
        return perf_counter - self._epoch

    def record(self, **fields: Any) -> JournalEntry:
        with self._lock:
            self._seq += 1
            entry = JournalEntry(seq=self._seq, **fields)
            self._entries.append(entry)
            return entry

    def entries(
        self,
        operation: str | Iterable[str] | None = None,
        *,
        api_key: str | None = None,
        ok: bool | None = None,
    ) -> list[JournalEntry]:
        """Entries in arrival order, optionally only some operations, one app, or outcome."""
        wanted = {operation} if isinstance(operation, str) else set(operation or ())
        with self._lock:
            return [
                e
                for e in self._entries
                if (not wanted or e.operation in wanted)
                and (api_key is None or e.api_key == api_key)
                and (ok is None or e.ok == ok)
            ]

    def count(self, operation: str | None = None, *, ok: bool | None = None) -> int:
        return len(self.entries(operation, ok=ok))

    def operations(self) -> list[str]:
        """The operation names in arrival order (unmatched requests included)."""
        return [e.operation for e in self.entries()]

    def unmatched(self) -> list[JournalEntry]:
        """Requests no route matched (endpoints the fake does not implement)."""
        with self._lock:
            return [e for e in self._entries if not e.matched]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    # -- verification helpers ---------------------------------------------
    def upserted_before(self, user_id: str, seq: int) -> bool:
        """Was `user_id` successfully upserted by a request before journal entry `seq`?"""
        for entry in self.entries("UpdateUsers", ok=True):
            if entry.seq >= seq:
                return False
            users = entry.body.get("users") if isinstance(entry.body, dict) else None
            if isinstance(users, dict) and user_id in users:
                return True
        return False

    def channel_creation(self, cid: str) -> JournalEntry | None:
        """The first successful get-or-create call that addressed `cid`."""
        channel_type, _, channel_id = cid.partition(":")
        for entry in self.entries(("GetOrCreateChannel", "GetOrCreateDistinctChannel"), ok=True):
            if entry.path == f"/channels/{channel_type}/{channel_id}/query":
                return entry
            if (
                entry.operation == "GetOrCreateDistinctChannel"
                and entry.path == f"/channels/{channel_type}/query"
                and _distinct_matches(entry, channel_id)
            ):
                return entry
        return None

    def assert_members_upserted_before_create(self, cid: str, member_ids: Iterable[str]) -> None:
        """Fail unless every member was upserted before channel `cid` was first created."""
        creation = self.channel_creation(cid)
        if creation is None:
            raise AssertionError(f"channel {cid} was never created successfully")
        late = [uid for uid in member_ids if not self.upserted_before(uid, creation.seq)]
        if late:
            raise AssertionError(
                f"channel {cid} was created (request #{creation.seq}) before these members "
                f"were upserted: {late}"
            )

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


def _distinct_matches(entry: JournalEntry, channel_id: str) -> bool:
    data = entry.body.get("data") if isinstance(entry.body, dict) else None
    members = data.get("members") if isinstance(data, dict) else None
    if not isinstance(members, list):
        return False
    ids = [m.get("user_id") if isinstance(m, dict) else m for m in members]
    return distinct_channel_id([str(i) for i in ids]) == channel_id
