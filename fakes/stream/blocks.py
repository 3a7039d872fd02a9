"""What a user-level block (`block_user`) refuses.

Stream's block docs: the blocked user can no longer send messages to the blocker
in 1:1 channels, and cannot add the blocker to channels. A 1:1 channel is a
distinct (member-based id) channel of exactly two members. Unread counts leave
blocked users' messages out (unread.py).

UNCONFIRMED: the codes and texts (code 17, not allowed, is the most plausible),
and that server-side calls acting for the blocked user are refused too.
"""

from __future__ import annotations

from collections.abc import Iterable

from .errors import not_allowed
from .models import AppState, Channel

BLOCKED_SEND = "user {user_id} cannot send messages to user {blocker_id}, who blocked them"
BLOCKED_ADD = "user {user_id} cannot add user {blocker_id} to a channel, who blocked them"


def _blocks(app: AppState, blocker_id: str, user_id: str) -> bool:
    return (blocker_id, user_id) in app.blocks


def refuse_blocked_send(app: AppState, sender_id: str, channel: Channel) -> None:
    """Code 17 if `channel` is a 1:1 channel whose other member blocked `sender_id`."""
    if not channel.distinct or len(channel.members) != 2 or sender_id not in channel.members:
        return
    (other,) = (uid for uid in channel.members if uid != sender_id)
    if _blocks(app, other, sender_id):
        raise not_allowed(BLOCKED_SEND.format(user_id=sender_id, blocker_id=other))


def refuse_blocked_add(app: AppState, adder_id: str | None, user_ids: Iterable[str]) -> None:
    """Code 17 if one of `user_ids` blocked `adder_id` (who adds them to a channel)."""
    if adder_id is None:
        return
    for user_id in user_ids:
        if _blocks(app, user_id, adder_id):
            raise not_allowed(BLOCKED_ADD.format(user_id=adder_id, blocker_id=user_id))
