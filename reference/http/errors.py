"""The HTTP API's failures: its own error type, the one mapping from the sync layer's
failure kinds to statuses, and every text the HTTP layer says itself.

Every failure is answered `{"success": false, "error": "<text>"}` with its status.
"""

from __future__ import annotations

from chatgate.http.answer import HttpAnswer, json_answer
from chatgate.reference.sync.errors import Failure, SyncError

MAX_BODY_BYTES = 1024 * 1024

STATUS_OF: dict[Failure, int] = {
    Failure.INVALID: 400,
    Failure.UNAUTHENTICATED: 401,
    Failure.FORBIDDEN: 403,
    Failure.NOT_FOUND: 404,
    Failure.CONFLICT: 409,
    Failure.UPSTREAM_FAILED: 502,
    Failure.UPSTREAM_BUSY: 503,
}


class ApiError(Exception):
    """A failure the HTTP layer answers with `status` and `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    @classmethod
    def of(cls, error: SyncError) -> ApiError:
        """The answer to a failure of the sync layer."""
        return cls(STATUS_OF[error.failure], error.message)

    def answer(self) -> HttpAnswer:
        return json_answer(self.status, {"success": False, "error": self.message})


def bad_request(message: str) -> ApiError:
    return ApiError(400, message)


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, message)


# -- bearer tokens ---------------------------------------------------------------------------
def bearer_required() -> ApiError:
    return _unauthenticated("Authorization: Bearer <token> is required")


def bearer_expired() -> ApiError:
    return _unauthenticated("the bearer token has expired")


def bearer_invalid(reason: Exception) -> ApiError:
    return _unauthenticated(f"the bearer token is invalid: {reason}")


def bearer_sub_not_text() -> ApiError:
    return _unauthenticated("the bearer token's sub must be a string")


# -- requests --------------------------------------------------------------------------------
def body_too_large() -> ApiError:
    return ApiError(413, f"the request body is larger than {MAX_BODY_BYTES} bytes")


def not_an_object() -> ApiError:
    return bad_request("the request body must be a JSON object")


def not_json(reason: str) -> ApiError:
    return bad_request(f"the request body is not valid JSON: {reason}")


def wrong_content_type(media: str) -> ApiError:
    return ApiError(415, f"Content-Type must be application/json, got {media}")


def not_whole_number(name: str, text: str) -> ApiError:
    return bad_request(f"{name} must be a whole number, got {text!r}")


def bad_conversation_id() -> ApiError:
    return bad_request("a conversation id is 1 to 64 letters, digits, '-' or '_'")


def no_route(method: str, path: str) -> ApiError:
    return ApiError(404, f"no route {method} {path}")


def method_not_allowed(method: str, path: str, allowed: tuple[str, ...]) -> ApiError:
    return ApiError(405, f"{method} is not allowed on {path}; use {' or '.join(allowed)}")


def unknown_fields(names: list[str]) -> ApiError:
    return bad_request(f"unknown field(s): {', '.join(names)}")


def conversation_type_not_text() -> ApiError:
    return bad_request("conversation_type is required and must be a string")


def participant_ids_not_texts() -> ApiError:
    return bad_request("participant_ids must be a list of id strings")


def company_id_not_text() -> ApiError:
    return bad_request("company_id must be a string")


INTERNAL = ApiError(500, "internal error")


# -- provider states -------------------------------------------------------------------------
def provider_state_not_an_object() -> ApiError:
    return bad_request("the provider state must be a JSON object")


def unknown_provider_state_keys(names: list[str]) -> ApiError:
    return bad_request(f"unknown provider-state key(s): {', '.join(names)}")


def reset_not_boolean() -> ApiError:
    return bad_request("reset must be true or false")


def entries_not_a_list(key: str) -> ApiError:
    return bad_request(f"{key} must be a list")


def entry_not_an_object(where: str) -> ApiError:
    return bad_request(f"{where} must be an object")


def entry_unknown_fields(where: str, names: list[str]) -> ApiError:
    return bad_request(f"{where} has unknown field(s): {', '.join(names)}")


def entry_field_required(where: str) -> ApiError:
    return bad_request(f"{where} is required")


def entry_field_not_text(where: str) -> ApiError:
    return bad_request(f"{where} must be a string")


def entry_not_a_uuid(where: str, value: object) -> ApiError:
    return bad_request(f"{where} must be a UUID string, got {value!r}")


def entry_bad_role(where: str, roles: tuple[str, ...]) -> ApiError:
    return bad_request(f"{where} must be one of {', '.join(roles)}")


def unknown_membership_party(user_id: str, company_id: str) -> ApiError:
    return bad_request(
        f"membership of user {user_id} in company {company_id} names an unknown user or company"
    )
