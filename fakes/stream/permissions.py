"""Who may act: the acting user of server-side writes and the client-side rules.

Server-side calls act for the user named in the body. Client-side calls (a
user token) act as the token's user and need Stream's default permissions:
channel members may read and write, `admin` may read and write any channel,
only `user` and `admin` may create channels, and everyone else gets code 17
with Stream's permission text. An app with `disable_permissions_checks` skips
these rules (a user token still acts only for its own user).

A deactivated user cannot act (Stream: "Deactivated users cannot connect to
Stream Chat or send/receive messages"), whether named server-side or signing
the request.
"""

from __future__ import annotations

from typing import Any

from . import texts
from .call import Call
from .errors import StreamError, input_error, not_allowed
from .models import AppState, Channel, User
from .validation import check_user_id, expect

# Roles whose default grants include CreateChannel. UNCONFIRMED beyond `user`
# and `admin`: guest and anonymous lack it in Stream's default policies, and a
# custom role has only the grants an operator gives it (the fake gives none).
CHANNEL_CREATOR_ROLES = frozenset({"user", "admin"})


def act_as(call: Call, user_id: Any) -> Any:
    """The user a request acts for: `user_id` server-side, the token's user client-side.

    A user token naming anyone else is code 17.
    """
    principal = call.principal
    if principal.server:
        return user_id
    if user_id is not None and user_id != principal.user_id:
        raise not_allowed(f"user {principal.user_id} cannot act on behalf of user {user_id}")
    return principal.user_id


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
    user_id = act_as(call, user_id)
    if user_id is None:
        raise input_error(
            f"either {prefix}user or {prefix}user_id must be provided when using server side auth."
        )
    check_user_id(user_id, f"{prefix}user.id")
    user = call.app.live_user(user_id)
    if user is None:
        raise input_error(texts.USER_DOES_NOT_EXIST.format(user_id=user_id))
    require_active(user)
    return str(user_id)


# UNCONFIRMED: the live code and text for a deactivated user; code 17 (not allowed) is
# the most plausible for a user that exists but may not act.
USER_DEACTIVATED = "user {user_id} is deactivated"


def require_active(user: User | None) -> None:
    """Code 17 if `user` is deactivated (a user the fake has no record of passes)."""
    if user is not None and user.deactivated_at is not None:
        raise not_allowed(USER_DEACTIVATED.format(user_id=user.id))


def checks_disabled(app: AppState) -> bool:
    """True if the app's `disable_permissions_checks` setting is on."""
    return app.settings.get("disable_permissions_checks") is True


def role_of(app: AppState, user_id: str) -> str:
    """The user's role; a token for a user Stream has no record of counts as `user`."""
    user = app.users.get(user_id)
    return user.role if user is not None else "user"


def denied(app: AppState, user_id: str, action: str, scope: str) -> StreamError:
    """Stream's code-17 permission error for a client-side caller."""
    return not_allowed(
        f"User '{user_id}' with role '{role_of(app, user_id)}' is not allowed to perform "
        f"action {action} in scope '{scope}'"
    )


def _allowed(call: Call, channel: Channel) -> bool:
    principal = call.principal
    if principal.server or checks_disabled(call.app):
        return True
    user_id = principal.user_id or ""
    return user_id in channel.members or role_of(call.app, user_id) == "admin"


def require_channel_access(call: Call, channel: Channel, action: str = "ReadChannel") -> None:
    """Raise Stream's code-17 error unless the caller may do `action` in `channel`."""
    if not _allowed(call, channel):
        raise denied(call.app, call.principal.user_id or "", action, channel.type)


def require_create_channel(call: Call, channel_type: str) -> None:
    """Raise Stream's code-17 error unless the caller may create a channel of this type."""
    user_id = call.principal.user_id or ""
    if (
        not call.principal.server
        and not checks_disabled(call.app)
        and role_of(call.app, user_id) not in CHANNEL_CREATOR_ROLES
    ):
        raise denied(call.app, user_id, "CreateChannel", channel_type)


def can_read(call: Call, channel: Channel) -> bool:
    """True if the caller may read `channel` (used to filter query results)."""
    return _allowed(call, channel)
