"""What a test reads off the journal's entries (as `/_fake/journal` renders them):
how many attempts a call took, how long a backend paused between calls (in real
time), and whether members were upserted before their channel was created. The same
functions serve the in-process `Journal` and a harness reading over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .handlers.channels import distinct_channel_id

Entry = Mapping[str, Any]
CREATE_OPERATIONS = ("GetOrCreateChannel", "GetOrCreateDistinctChannel")


def _ok(entry: Entry) -> bool:
    return 200 <= int(entry["status"]) < 300


def attempts(entries: Iterable[Entry], accept: Callable[[Entry], bool] = lambda _: True) -> int:
    """Calls until the first success, that one included (all of them if none succeeded)."""
    count = 0
    for entry in entries:
        if not accept(entry):
            continue
        count += 1
        if _ok(entry):
            break
    return count


def pause_before_retry(entries: Iterable[Entry], operation: str) -> float | None:
    """Real seconds between the first failed `operation` and the next `operation`
    (its retry); None when nothing failed or nothing followed."""
    failed_at: float | None = None
    for entry in entries:
        if entry["operation"] != operation:
            continue
        if failed_at is not None:
            return float(entry["received_s"]) - failed_at
        if not _ok(entry):
            failed_at = float(entry["received_s"])
    return None


def time_to_first_success(
    entries: Iterable[Entry], start: str, accept: Callable[[Entry], bool]
) -> float | None:
    """Real seconds from the first `start` call to the first successful accepted call."""
    started_at: float | None = None
    for entry in entries:
        if started_at is None and entry["operation"] == start:
            started_at = float(entry["received_s"])
        elif started_at is not None and accept(entry) and _ok(entry):
            return float(entry["received_s"]) - started_at
    return None


def _distinct_matches(entry: Entry, channel_id: str) -> bool:
    body = entry.get("body")
    data = body.get("data") if isinstance(body, dict) else None
    members = data.get("members") if isinstance(data, dict) else None
    if not isinstance(members, list):
        return False
    ids = [m.get("user_id") if isinstance(m, dict) else m for m in members]
    return distinct_channel_id([str(i) for i in ids]) == channel_id


def channel_creation(entries: Iterable[Entry], cid: str) -> Entry | None:
    """The first successful get-or-create call that addressed channel `cid` (`type:id`)."""
    channel_type, _, channel_id = cid.partition(":")
    for entry in entries:
        if entry["operation"] not in CREATE_OPERATIONS or not _ok(entry):
            continue
        if entry["path"] == f"/channels/{channel_type}/{channel_id}/query":
            return entry
        if (
            entry["operation"] == "GetOrCreateDistinctChannel"
            and entry["path"] == f"/channels/{channel_type}/query"
            and _distinct_matches(entry, channel_id)
        ):
            return entry
    return None


def upserted_before(entries: Iterable[Entry], seq: int) -> set[str]:
    """The user ids successfully upserted by requests before journal entry `seq`."""
    upserted: set[str] = set()
    for entry in entries:
        if entry["seq"] >= seq:
            break
        body = entry.get("body")
        users = body.get("users") if isinstance(body, dict) else None
        if entry["operation"] == "UpdateUsers" and _ok(entry) and isinstance(users, dict):
            upserted.update(users)
    return upserted


def members_upserted_late(
    entries: Iterable[Entry], cid: str, member_ids: Iterable[str]
) -> list[str]:
    """The members of channel `cid` not upserted before its first successful create, in
    the given order; AssertionError when the channel was never created."""
    entries = list(entries)
    creation = channel_creation(entries, cid)
    if creation is None:
        raise AssertionError(f"channel {cid} was never created successfully")
    upserted = upserted_before(entries, creation["seq"])
    return [uid for uid in member_ids if uid not in upserted]
