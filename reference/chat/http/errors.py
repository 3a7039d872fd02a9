"""Every text the chat's HTTP layer says itself, and the one way a service failure
becomes an answer: the conversation half's `ApiError` and its Failure-to-status table
(`reference.http.errors.STATUS_OF`), so both halves answer a kind of failure alike. The
bearer token's own texts are the conversation half's too (`reference.http.auth`)."""

from __future__ import annotations

from typing import Any

from chatgate.reference.http.errors import (
    INTERNAL,
    STATUS_OF,
    ApiError,
    bad_request,
    method_not_allowed,
    no_route,
    not_json,
)

from ..errors import ChatError

__all__ = [
    "INTERNAL",
    "ApiError",
    "bad_request",
    "method_not_allowed",
    "no_route",
    "not_json",
]


def of_service(error: ChatError) -> ApiError:
    """The answer to a failure of the chat service."""
    return ApiError(STATUS_OF[error.failure], error.message)


# -- identity --------------------------------------------------------------------------------
def bearer_sub_not_a_user_id() -> ApiError:
    return ApiError(401, "the bearer token's sub must be a user id (a positive whole number)")


def bearer_names_no_user() -> ApiError:
    return ApiError(401, "the bearer token names no user of this backend")


# -- requests --------------------------------------------------------------------------------
def body_too_large(limit: int) -> ApiError:
    return ApiError(413, f"the request body is larger than {limit} bytes")


def wrong_content_type(media: str) -> ApiError:
    return bad_request(f"Content-Type must be application/json, got {media}")


def body_required() -> ApiError:
    return bad_request("the request body must be a JSON object")


def no_body_taken(method: str, path: str) -> ApiError:
    return bad_request(f"{method} {path} takes no request body")


def parameter_required(name: str) -> ApiError:
    return bad_request(f"the query parameter {name} is required")


def repeated_parameter(name: str) -> ApiError:
    return bad_request(f"the query parameter {name} is given more than once")


def not_whole_number(where: str, text: str) -> ApiError:
    return bad_request(f"{where} must be a whole number, got {text!r}")


# -- what a value breaks in its schema (reference/chat/http/schema.py) -------------------------
TYPE_WORDS = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "null",
}


def _between(low: int | None, high: int | None, unit: str = "") -> str:
    if low is not None and low == high:
        return f"exactly {low}{unit}"
    if low is not None and high is not None:
        return f"{low} to {high}{unit}" if unit else f"from {low} to {high}"
    return f"at least {low}{unit}" if low is not None else f"at most {high}{unit}"


def not_a_choice(where: str, choices: str) -> ApiError:
    return bad_request(f"{where} must be {choices}")


def wrong_type(where: str, kinds: list[str]) -> ApiError:
    return bad_request(f"{where} must be {' or '.join(TYPE_WORDS[k] for k in kinds)}")


def not_allowed(where: str, allowed: list[Any], value: Any) -> ApiError:
    shown = ", ".join(str(v) for v in allowed)
    return bad_request(f"{where} must be one of {shown}, got {value!r}")


def out_of_range(where: str, low: int | None, high: int | None, value: int) -> ApiError:
    return bad_request(f"{where} must be a whole number {_between(low, high)}, got {value}")


def bad_length(where: str, low: int | None, high: int | None) -> ApiError:
    return bad_request(f"{where} must be {_between(low, high, ' characters')}")


def bad_count(where: str, low: int | None, high: int | None) -> ApiError:
    return bad_request(f"{where} must have {_between(low, high, ' items')}")


def repeated_item(where: str) -> ApiError:
    return bad_request(f"{where} must not repeat an item")


def too_few_fields(where: str, least: int, names: list[str]) -> ApiError:
    return bad_request(f"{where} must have at least {least} of {', '.join(names)}")


def field_required(where: str) -> ApiError:
    return bad_request(f"{where} is required")


def unknown_fields(where: str, names: list[str]) -> ApiError:
    return bad_request(f"{where} has unknown field(s): {', '.join(names)}")


def direct_needs_one_other() -> ApiError:
    return bad_request("a direct conversation names exactly one other user in participant_user_ids")


def direct_has_no_name() -> ApiError:
    return bad_request("a direct conversation has no name; only a group has one")


def group_needs_a_name(limit: int) -> ApiError:
    return bad_request(f"a group needs a name of 1 to {limit} characters")


# -- provider states -------------------------------------------------------------------------
def duplicate_key(where: str, key: str) -> ApiError:
    return bad_request(f"{where} repeats the key {key!r}; keys are unique")


def unknown_user_key(where: str, key: str) -> ApiError:
    return bad_request(f"{where} names the user key {key!r}, which this call does not create")


def unknown_user_id(where: str, user_id: int) -> ApiError:
    return bad_request(f"{where} names user {user_id}, who does not exist")


def no_such_profile(where: str, profile: str) -> ApiError:
    return bad_request(f"{where}: that user has no {profile} profile")


def connection_with_oneself(where: str) -> ApiError:
    return bad_request(f"{where} connects a user with themselves")


def repeated_participant(where: str) -> ApiError:
    return bad_request(f"{where} lists the same user and profile twice")


def direct_needs_two_users(where: str) -> ApiError:
    return bad_request(f"{where} is direct: its participants must be exactly two users")


def legacy_group_needs_a_name(where: str) -> ApiError:
    return bad_request(f"{where} is a group: it needs a name")


def direct_has_name(where: str) -> ApiError:
    return bad_request(f"{where} is direct: it has no name")


def sender_not_a_participant(where: str) -> ApiError:
    return bad_request(f"{where} is from a user and profile that is not a participant")


def second_direct(where: str, first: int, second: int) -> ApiError:
    return bad_request(
        f"{where} would be a second direct conversation of users {first} and {second}: a "
        "migrated database keeps one per pair (the migration merged the others), so put "
        "all of the pair's messages in one"
    )
