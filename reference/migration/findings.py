"""The hard cases found in a legacy database, each with the policy the migration
applies to it: what `chatgate migrate plan` reports before anything changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg

from . import store
from .legacy import require_legacy_schema

# One sentence per policy; docs/migration.md explains each at length.
POLICIES = {
    "settings": "merged into one row per user: the most restrictive privacy value wins per "
    "field; every other field comes from the most recently updated row",
    "participants": "collapsed to one row per user: the earliest join, flags OR-ed",
    "blocks": "collapsed to one block per user pair: the earliest, with its reason",
    "reactions": "collapsed to one reaction per user and emoji: the earliest",
    "receipts": "collapsed to one receipt per user and message: the earliest read",
    "direct_conversations": "merged into the oldest: messages, reactions, receipts and call "
    "logs re-pointed, nothing deleted, the mapping recorded",
    "self_conversations": "kept, with the user as its one participant",
    "orphans": "kept with the user id they were written with, and reported; never NULL",
    "stale_user_ids": "corrected to the user behind the profile",
}


@dataclass(frozen=True)
class HardCase:
    key: str
    title: str
    groups: int  # how many users, pairs or conversations the case touches
    rows: int  # how many rows are in those groups
    policy: str

    @property
    def found(self) -> bool:
        return self.rows > 0


@dataclass(frozen=True)
class Findings:
    tables: dict[str, int]
    cases: list[HardCase]
    orphans: dict[str, tuple[int, int]]  # actor column -> (profile gone, profile without user)

    def case(self, key: str) -> HardCase:
        return next(c for c in self.cases if c.key == key)


def _case(key: str, title: str, counts: tuple[int, int]) -> HardCase:
    return HardCase(key, title, counts[0], counts[1], POLICIES[key])


def find(conn: psycopg.Connection[Any]) -> Findings:
    """Every hard case in the legacy database at `conn` (read-only)."""
    require_legacy_schema(conn)
    orphans = store.orphans(conn)
    stale = store.stale_user_ids(conn)
    self_chats = store.self_conversations(conn)
    orphan_rows = sum(gone + userless for gone, userless in orphans.values())
    cases = [
        _case("settings", "users with several chat_settings rows", store.duplicate_settings(conn)),
        _case(
            "participants",
            "users in one conversation through several profiles",
            store.duplicate_participants(conn),
        ),
        _case("blocks", "user pairs blocked several times", store.duplicate_blocks(conn)),
        _case(
            "reactions",
            "reactions repeated across one user's profiles",
            store.duplicate_reactions(conn),
        ),
        _case(
            "receipts",
            "read receipts repeated across one user's profiles",
            store.duplicate_receipts(conn),
        ),
        _case(
            "direct_conversations",
            "user pairs with several direct conversations",
            store.duplicate_direct_conversations(conn),
        ),
        _case(
            "self_conversations",
            "direct conversations of a user with themselves",
            (self_chats, self_chats),
        ),
        _case("orphans", "rows whose profile is gone or has no user", (orphan_rows, orphan_rows)),
        _case(
            "stale_user_ids",
            "rows whose user id is not their profile's user",
            (sum(stale.values()),) * 2,
        ),
    ]
    return Findings(store.row_counts(conn), cases, orphans)
