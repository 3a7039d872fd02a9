"""The one error type of the fake, rendered exactly like Stream's error body.

Stream answers every failure with
`{code, message, StatusCode, duration, more_info, details}` where message is
`<Operation> failed with error: "<reason>"` (stream-api-contract.md §2.3).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

MORE_INFO_URL = "https://getstream.io/chat/docs/api_errors_response"


class ErrorCode(IntEnum):
    """Stream's API error codes (JS `APIErrorCodes` plus code 5 from the docs table)."""

    INTERNAL = -1
    ACCESS_KEY = 2
    AUTHENTICATION_FAILED = 3
    INPUT = 4
    AUTHENTICATION = 5
    DUPLICATE_USERNAME = 6
    RATE_LIMIT = 9
    DOES_NOT_EXIST = 16
    NOT_ALLOWED = 17
    EVENT_NOT_SUPPORTED = 18
    CHANNEL_FEATURE_NOT_SUPPORTED = 19
    MESSAGE_TOO_LONG = 20
    MULTIPLE_NESTING_LEVEL = 21
    PAYLOAD_TOO_BIG = 22
    REQUEST_TIMEOUT = 23
    MAX_HEADER_SIZE_EXCEEDED = 24
    TOKEN_EXPIRED = 40
    TOKEN_NOT_VALID_YET = 41
    TOKEN_USED_BEFORE_IAT = 42
    TOKEN_SIGNATURE_INVALID = 43
    COOLDOWN = 60
    NO_ACCESS_TO_CHANNELS = 70
    MESSAGE_MODERATION_FAILED = 73
    APP_SUSPENDED = 99


# HTTP status per code, from the docs table (stream-api-contract.md §2.5).
_STATUS_BY_CODE: dict[int, int] = {
    ErrorCode.INTERNAL: 500,
    ErrorCode.ACCESS_KEY: 401,
    ErrorCode.AUTHENTICATION_FAILED: 401,
    ErrorCode.AUTHENTICATION: 401,
    ErrorCode.TOKEN_EXPIRED: 401,
    ErrorCode.TOKEN_NOT_VALID_YET: 401,
    ErrorCode.TOKEN_USED_BEFORE_IAT: 401,
    ErrorCode.TOKEN_SIGNATURE_INVALID: 401,
    ErrorCode.NOT_ALLOWED: 403,
    ErrorCode.COOLDOWN: 403,
    ErrorCode.NO_ACCESS_TO_CHANNELS: 403,
    ErrorCode.APP_SUSPENDED: 403,
    ErrorCode.DOES_NOT_EXIST: 404,
    ErrorCode.REQUEST_TIMEOUT: 408,
    ErrorCode.PAYLOAD_TOO_BIG: 413,
    ErrorCode.RATE_LIMIT: 429,
    ErrorCode.MAX_HEADER_SIZE_EXCEEDED: 431,
}


def status_for_code(code: int) -> int:
    """HTTP status Stream uses for an error code (400 for every input-like code)."""
    return _STATUS_BY_CODE.get(code, 400)


class StreamError(Exception):
    """A failure the fake reports to the client in Stream's exact error shape."""

    def __init__(
        self,
        code: int,
        reason: str,
        *,
        status: int | None = None,
        exception_fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.code = int(code)
        self.reason = reason
        self.status = status if status is not None else status_for_code(self.code)
        self.exception_fields = exception_fields

    def body(self, operation: str, duration: str) -> dict[str, Any]:
        """The JSON body Stream sends for this error from `operation`."""
        body: dict[str, Any] = {
            "code": self.code,
            "message": f'{operation} failed with error: "{self.reason}"',
            "exception_fields": self.exception_fields,
            "StatusCode": self.status,
            "duration": duration,
            "more_info": MORE_INFO_URL,
            "details": [],
        }
        if body["exception_fields"] is None:
            del body["exception_fields"]
        return body


def input_error(reason: str, **fields: Any) -> StreamError:
    """Code 4 (HTTP 400): the request is malformed or violates a rule."""
    return StreamError(ErrorCode.INPUT, reason, **fields)


def not_found(reason: str) -> StreamError:
    """Code 16 (HTTP 404): the addressed resource does not exist."""
    return StreamError(ErrorCode.DOES_NOT_EXIST, reason)


def not_allowed(reason: str) -> StreamError:
    """Code 17 (HTTP 403): the caller may not do this."""
    return StreamError(ErrorCode.NOT_ALLOWED, reason)
