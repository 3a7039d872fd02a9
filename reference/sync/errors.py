"""What can go wrong in the conversation half, and every text it says about it.

A `SyncError` names a `Failure` (what kind of thing went wrong), never an HTTP status:
the HTTP API maps the kinds to statuses in one place (`chatgate.reference.http.errors`).
Each function below builds one error; the texts live here and nowhere else.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class Failure(Enum):
    """The kinds of failure of the conversation half."""

    INVALID = "invalid input"
    UNAUTHENTICATED = "not signed in as a known user"
    FORBIDDEN = "not allowed"
    NOT_FOUND = "not found"
    CONFLICT = "conflicts with what exists"
    UPSTREAM_FAILED = "Stream refused or is unreachable"
    UPSTREAM_BUSY = "Stream's rate limit resets too far away"


class SyncError(Exception):
    """A failure of kind `failure`, with the text the caller is shown."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message


def invalid(message: str) -> SyncError:
    """Bad input, as `message` says (texts of the validation below, and the HTTP layer's)."""
    return SyncError(Failure.INVALID, message)


# -- input ---------------------------------------------------------------------------------
def not_a_uuid(what: str, value: Any) -> SyncError:
    return invalid(f"{what} must be a UUID, got {value!r}")


def bad_conversation_type(allowed: tuple[str, ...]) -> SyncError:
    return invalid(f"conversation_type must be one of {', '.join(allowed)}")


def no_participants() -> SyncError:
    return invalid("participant_ids must be a non-empty list")


def too_many_participants(limit: int, got: int) -> SyncError:
    return invalid(f"participant_ids may name at most {limit} participants, got {got}")


def name_not_text() -> SyncError:
    return invalid("name must be a string")


def name_too_long(limit: int, got: int) -> SyncError:
    return invalid(f"name must be at most {limit} characters, got {got}")


def company_id_not_allowed_for_user_user() -> SyncError:
    return invalid("company_id is not allowed for a user_user conversation")


def company_id_required_for_company() -> SyncError:
    return invalid("company_id is required when acting as a company")


def nobody_else() -> SyncError:
    return invalid("a conversation needs at least one participant besides you")


def bad_profile_type() -> SyncError:
    return invalid("profile_type must be user or company")


def company_id_required_for_profile() -> SyncError:
    return invalid("company_id is required when profile_type=company")


def company_id_only_for_company_profile() -> SyncError:
    return invalid("company_id is only allowed when profile_type=company")


def out_of_range(name: str, low: int, high: int) -> SyncError:
    return invalid(f"{name} must be between {low} and {high}")


# -- who ---------------------------------------------------------------------------------------
def unknown_user() -> SyncError:
    return SyncError(Failure.UNAUTHENTICATED, "the bearer token does not name a known user")


def not_a_member() -> SyncError:
    return SyncError(Failure.FORBIDDEN, "User must be a member of this company")


def not_running_the_company() -> SyncError:
    return SyncError(Failure.FORBIDDEN, "Only company owners and admins can act as the company")


def unknown_ids(kind: str, ids: list[str]) -> SyncError:
    return SyncError(Failure.NOT_FOUND, f"unknown {kind} id(s): {', '.join(ids)}")


def conversation_not_found() -> SyncError:
    return SyncError(Failure.NOT_FOUND, "Conversation not found")


# -- Stream ------------------------------------------------------------------------------------
def foreign_creator(cid: str) -> SyncError:
    return SyncError(
        Failure.CONFLICT,
        f"Stream channel {cid} already exists and was not created by this "
        "conversation's initiator; refusing to adopt it",
    )


def foreign_members(cid: str) -> SyncError:
    return SyncError(
        Failure.CONFLICT,
        f"Stream channel {cid} already has members outside this conversation; refusing to adopt it",
    )


def stream_refused(error: Exception) -> SyncError:
    return SyncError(Failure.UPSTREAM_FAILED, f"Stream Chat refused the request: {error}")


def stream_unreachable(error: Exception) -> SyncError:
    return SyncError(Failure.UPSTREAM_FAILED, f"Stream Chat is unreachable: {error}")


def rate_limited(wait_s: float) -> SyncError:
    return SyncError(
        Failure.UPSTREAM_BUSY, f"Stream Chat rate limit reached; try again in {wait_s:.0f} s"
    )
