"""After a run whose Stream is chatgate's fake: does Stream hold exactly what the backend
said it created?

- every created conversation's channel exists, with exactly its members;
- no duplicate channels: one channel per conversation, never two channels for one
  (creator, members) pair, and one conversation id per channel;
- no orphan conversations: none whose channel is missing on Stream.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import requests

from .records import Created

STATE_TIMEOUT_S = 120.0
SHOWN = 5  # problems listed per kind; the count is always whole


@dataclass
class Consistency:
    """What the check found; `ok` when nothing."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)  # conversations with no channel
    wrong_members: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.wrong_members or self.duplicates)

    def lines(self) -> list[str]:
        """One line per kind of problem, or one line saying all is well."""
        if self.ok:
            return [f"consistency: ok, {self.checked} conversations match their Stream channels"]
        out = []
        for label, found in (
            ("orphan conversations (no channel on Stream)", self.missing),
            ("channels whose members differ", self.wrong_members),
            ("duplicate channels", self.duplicates),
        ):
            if found:
                shown = ", ".join(found[:SHOWN]) + (" ..." if len(found) > SHOWN else "")
                out.append(f"consistency: {len(found)} {label}: {shown}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "missing": self.missing,
            "wrong_members": self.wrong_members,
            "duplicates": self.duplicates,
        }


def check(created: Iterable[Created], channels: list[dict[str, Any]]) -> Consistency:
    """Compare the run's records with the fake's channels (`GET /_fake/state` shapes)."""
    records = list(created)
    by_cid = {c["cid"]: c for c in channels}
    result = Consistency(checked=len(records))
    conversations_of: dict[str, set[str]] = defaultdict(set)
    ours: set[tuple[str, frozenset[str]]] = set()
    for record in records:
        conversations_of[record.cid].add(record.conversation_id)
        ours.add((record.creator, frozenset(record.members)))
        channel = by_cid.get(record.cid)
        if channel is None:
            result.missing.append(record.conversation_id)
            continue
        members = {m["user_id"] for m in channel.get("members", [])}
        if members != set(record.members):
            result.wrong_members.append(
                f"{record.cid} has {sorted(members)}, expected {sorted(record.members)}"
            )
    result.missing = sorted(set(result.missing))
    result.wrong_members = sorted(set(result.wrong_members))
    result.duplicates = sorted(
        f"{cid} is {len(ids)} conversations"
        for cid, ids in conversations_of.items()
        if len(ids) > 1
    )
    pairs: dict[tuple[str, frozenset[str]], list[str]] = defaultdict(list)
    for channel in channels:
        creator = (channel.get("created_by") or {}).get("id")
        key = (creator, frozenset(m["user_id"] for m in channel.get("members", [])))
        if key in ours:
            pairs[key].append(channel["cid"])
    result.duplicates += sorted(
        f"{len(cids)} channels for one conversation: {', '.join(sorted(cids))}"
        for cids in pairs.values()
        if len(cids) > 1
    )
    return result


def fake_channels(stream_url: str, api_key: str | None = None) -> list[dict[str, Any]]:
    """Every channel of the fake's app (`api_key`, else its only one), from its control plane."""
    params = {"api_key": api_key} if api_key else {}
    session = requests.Session()
    session.trust_env = False
    answer = session.get(f"{stream_url}/_fake/state", params=params, timeout=STATE_TIMEOUT_S)
    answer.raise_for_status()
    state = answer.json()
    apps = state.get("apps")
    if apps is not None:  # several apps: the one named, else the first
        state = next((a for a in apps if not api_key or a.get("api_key") == api_key), apps[0])
    return list(state.get("channels", []))
