"""What a load run created, kept for the post-run consistency check.

Each process of a run (the only one, or every Locust worker) keeps the conversations its
simulated clients created; workers send theirs to the master with Locust's own messages
when they stop, so the check covers the whole run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

MESSAGE_TYPE = "chatgate_created"


@dataclass(frozen=True)
class Created:
    """One conversation the backend said it created."""

    conversation_id: str
    cid: str  # `<channel type>:<channel id>`, the channel it must have on Stream
    members: tuple[str, ...]  # the Stream ids it must have, exactly
    creator: str  # the Stream id that created it

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Created:
        return cls(
            str(data["conversation_id"]),
            str(data["cid"]),
            tuple(data["members"]),
            str(data["creator"]),
        )


class Ledger:
    """The conversations created in this process (and, on a master, its workers')."""

    def __init__(self) -> None:
        self.created: list[Created] = []
        self.workers_reported = 0

    def add(self, record: Created | None) -> None:
        if record is not None:
            self.created.append(record)

    def take(self) -> list[dict[str, Any]]:
        """This process's records as JSON, emptied (what a worker sends)."""
        out = [r.to_json() for r in self.created]
        self.created = []
        return out

    def receive(self, records: list[dict[str, Any]]) -> None:
        """A worker's records, on the master."""
        self.created.extend(Created.of(r) for r in records)
        self.workers_reported += 1
