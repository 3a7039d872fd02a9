"""Who may act: the acting user of server-side writes and the client-side rules.

Server-side calls act for the user named in the body. Client-side calls (a
user token) act as the token's user and need Stream's default permissions:
channel members may read and write, `admin` may read and write any channel,
everyone else gets code 17 with Stream's permission text.
"""

from __future__ import annotations

from typing import Any

from .call import Call
from .errors import input_error, not_allowed
from .models import AppState, Channel
from .validation import check_user_id, expect


def acting_user(call: Call, body: dict[str, Any], path: str = "") -> str:
    """The user a write acts for: `<path>.user.id` / `<path>.user_id`, or the token's user.

    Server-side, naming nobody is Stream's code-4 "either ... must be provided" error.
    """
    prefix = f"{path}." if path else ""
    user = body.get("user")
    user_id = body.get("user_id")
    if user is not None:
        expect(user, dict, f"{prefix}user")
        user_id = user.get("id", user_id)
    if not call.principal.server:
        if user_id is not None and user_id != call.principal.user_id:
            raise not_allowed(
                f"user {call.principal.user_id} cannot act on behalf of user {user_id}"
            )
        user_id = call.principal.user_id
    if user_id is None:
        raise input_error(
            f"either {prefix}user or {prefix}user_id must be provided when using server side auth."
        )
    check_user_id(user_id, f"{prefix}user.id")
    if call.app.live_user(user_id) is None:
        raise input_error(f"the user {user_id} does not exist")
    return str(user_id)


def _role(app: AppState, user_id: str) -> str:
    user = app.users.get(user_id)
    return user.role if user is not None else "user"


def _allowed(call: Call, channel: Channel) -> bool:
    principal = call.principal
    if principal.server:
        return True
    user_id = principal.user_id or ""
    return user_id in channel.members or _role(call.app, user_id) == "admin"


def require_channel_access(call: Call, channel: Channel, action: str = "ReadChannel") -> None:
    """Raise Stream's code-17 error unless the caller may do `action` in `channel`."""
    if _allowed(call, channel):
        return
    user_id = call.principal.user_id
    raise not_allowed(
        f"User '{user_id}' with role '{_role(call.app, user_id or '')}' is not allowed to "
        f"perform action {action} in scope '{channel.type}'"
    )


def can_read(call: Call, channel: Channel) -> bool:
    """True if the caller may read `channel` (used to filter query results)."""
    return _allowed(call, channel)
