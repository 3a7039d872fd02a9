"""Every decision of the user-based chat a known-bad variant may override, in one place.

`ChatService` (service.py) validates, orchestrates and calls these steps; the chat
mutants in `chatgate.fixtures.targets.chat_mutants` subclass it and override one of them
to reproduce a documented bug (docs/chat.md, and the real-world cases, B3). Each step is
small on purpose, so a mutant is a few lines. The steps and who overrides them:

    step                what the reference does                       the bug a mutant puts back
    blocked_between     a block in either direction                   is_user_blocked reads a
                        (starts, sends, calls, group create and add)  missing column, swallows
                                                                      the error: fails open
    may_message         refuse on a block either way, or when the     check_can_message is
                        other's who_can_message keeps me out          never called
                        (start_direct, a send into a direct, calls)
    store_settings      INSERT ... ON CONFLICT (user_id) upsert of    an upsert with no unique
                        the one settings row; returns what is stored  key, or mismatched
                                                                      placeholders
    call_types          ("voice", "video"), as call_logs' CHECK       "audio" calls, which the
                        allows                                        CHECK refuses
    record_call         the call_logs row with the participants'      (a call written without
                        user ids                                      the user columns)
    clear_history       chat_cleared_at for me only ("delete for      only last_read_at moves:
                        me"): history and search hide the past        the history stays
    remove_block        the block row is deleted                      a soft unblock on a
                                                                      missing column
    blocked_list        only the blocks there are now                 unblocked users listed
    media_link          a durable https URL; blob:, data:, file:      a blob: URL stored for
                        and http: refused                             others who cannot open it
    visible_read_marks  each reader's read_receipts honoured          read-status ignores the
                                                                      setting
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatgate.reference.db import Connection

from . import errors, store
from .media import durable_url

CALL_TYPES = ("voice", "video")  # as call_logs' CHECK allows (never "audio")
AUDIENCES = ("everyone", "connections", "none")
DEFAULT_SETTINGS = {
    "who_can_message": "everyone",
    "read_receipts": True,
    "last_seen_visibility": "everyone",
}


@dataclass(frozen=True)
class ReadMark:
    """How far another participant has read: a message id, or None (nothing read, or
    they keep their read receipts to themselves)."""

    user_id: int
    read_up_to: int | None


class ChatSteps:
    """The overridable decisions of the chat (see the module's table)."""

    call_types: tuple[str, ...] = CALL_TYPES

    def blocked_between(self, conn: Connection, a: int, b: int) -> bool:
        """Step: is there a block between `a` and `b`, in either direction?"""
        return store.blocked_either_way(conn, a, b)

    def may_message(self, conn: Connection, me: int, other: int) -> None:
        """Step: refuse unless `other` takes messages from `me`: no block either way, and
        their who_can_message lets `me` in. An unknown setting refuses (fails closed)."""
        if self.blocked_between(conn, me, other):
            raise errors.blocked()
        audience = (store.settings_of(conn, other) or DEFAULT_SETTINGS)["who_can_message"]
        if audience == "everyone":
            return
        if audience == "connections" and store.connected(conn, me, other):
            return
        raise errors.not_accepting(audience if audience in AUDIENCES else "none")

    def store_settings(self, conn: Connection, me: int, changes: dict[str, Any]) -> dict[str, Any]:
        """Step: write `changes` to `me`'s one settings row (the first write creates it);
        returns the stored settings."""
        return store.save_settings(conn, me, changes)

    def record_call(
        self, conn: Connection, conversation: int, me: int, call_type: str, users: list[int]
    ) -> dict[str, Any]:
        """Step: the call_logs row of a new call, `me` calling `users` (me included)."""
        return store.insert_call(conn, conversation, me, call_type, users)

    def clear_history(self, conn: Connection, conversation: int, me: int, at: datetime) -> None:
        """Step: delete for me: hide the conversation's history up to `at` from `me` only."""
        store.clear_for(conn, conversation, me, at)

    def remove_block(self, conn: Connection, me: int, other: int) -> None:
        """Step: lift `me`'s block of `other` (the row goes)."""
        store.unblock(conn, me, other)

    def blocked_list(self, conn: Connection, me: int) -> list[int]:
        """Step: the users `me` blocks now, ascending."""
        return store.blocked_by(conn, me)

    def media_link(self, url: Any) -> str:
        """Step: a media URL others can open later (durable https only)."""
        return durable_url(url)

    def visible_read_marks(self, conn: Connection, conversation: int, me: int) -> list[ReadMark]:
        """Step: the other participants' read marks, each hidden (None) when that reader
        turned read_receipts off."""
        marks = []
        for r in store.read_marks(conn, conversation, me):
            receipts = r["read_receipts"]  # None: no settings row (or no value): the default
            shown = DEFAULT_SETTINGS["read_receipts"] if receipts is None else receipts
            marks.append(ReadMark(r["user_id"], r["read_up_to"] if shown is True else None))
        return marks
