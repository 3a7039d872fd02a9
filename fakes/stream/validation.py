"""Input rules of the real API: id formats, sizes, types and reserved fields.

Texts marked UNCONFIRMED follow Stream's own importer wording
(stream-api-contract.md §5.1) because the live API's text is not on record.
"""

from __future__ import annotations

import re
from typing import Any

from . import texts
from .errors import StreamError, input_error

USER_ID_RE = re.compile(r"^[@\w-]*$", re.ASCII)
CHANNEL_ID_RE = re.compile(r"^[\w-]*$", re.ASCII)
ROLE_NAME_RE = re.compile(r"^[\w-]*$", re.ASCII)

MAX_USER_ID = 255
MAX_CHANNEL_ID = 64
MAX_MESSAGE_ID = 255
MAX_ROLE_NAME = 64  # CreateRoleRequest.name maxLength (PROTO)
MAX_BATCH = 100

# Fields the server owns; sending them is a code-4 "is a reserved field" error.
# UNCONFIRMED: the full live list (contract §5.5); these are the documented ones.
RESERVED_USER_FIELDS = frozenset(
    {"online", "last_active", "created_at", "updated_at", "deactivated_at", "deleted_at"}
)
RESERVED_CHANNEL_FIELDS = frozenset(
    {"cid", "created_at", "updated_at", "last_message_at", "member_count", "config", "deleted_at"}
)
RESERVED_MESSAGE_FIELDS = frozenset(
    {
        "created_at",
        "updated_at",
        "latest_reactions",
        "own_reactions",
        "reaction_counts",
        "reaction_scores",
        "reply_count",
        "deleted_reply_count",
        "deleted_at",
        "cid",
    }
)

_TYPE_NAMES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
    type(None): "null",
}


def type_name(value: Any) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def expect(value: Any, expected: type | tuple[type, ...], path: str) -> Any:
    """Return `value` if it has the JSON type expected at `path`, else a code-4 error.

    UNCONFIRMED text: the live API answers type errors with a decoder message.
    """
    kinds = expected if isinstance(expected, tuple) else (expected,)
    ok = isinstance(value, kinds) and not (
        isinstance(value, bool) and bool not in kinds and (int in kinds or float in kinds)
    )
    if not ok:
        wanted = " or ".join(dict.fromkeys(_TYPE_NAMES.get(k, k.__name__) for k in kinds))
        raise input_error(f"invalid field {path}: expected {wanted}, got {type_name(value)}")
    return value


def optional(
    body: dict[str, Any], key: str, expected: type | tuple[type, ...], path: str = ""
) -> Any:
    """`body[key]` type-checked, or None when it is absent or null."""
    value = body.get(key)
    return None if value is None else expect(value, expected, path or key)


def required(
    body: dict[str, Any], key: str, expected: type | tuple[type, ...], path: str = ""
) -> Any:
    """`body[key]` type-checked; absent or null is `<key> is a required field`."""
    value = body.get(key)
    if value is None:
        raise input_error(texts.REQUIRED_FIELD.format(path=path or key))
    return expect(value, expected, path or key)


def _check_name(value: Any, path: str, pattern: re.Pattern[str], limit: int) -> str:
    """A required string of at most `limit` characters matching `pattern`."""
    expect(value, str, path)
    if not value:
        raise input_error(texts.REQUIRED_FIELD.format(path=path))
    if len(value) > limit:
        raise input_error(texts.MAX_LENGTH_EXCEEDED.format(path=path, limit=limit))
    if not pattern.match(value):
        raise input_error(f'{path} "{value}" invalid ("{pattern.pattern}" allowed)')
    return str(value)


def check_user_id(user_id: Any, path: str = "user.id") -> str:
    """A valid user id: `^[@\\w-]*$`, 1..255 characters."""
    return _check_name(user_id, path, USER_ID_RE, MAX_USER_ID)


def check_channel_id(channel_id: str) -> str:
    """A valid client-chosen channel id: `^[\\w-]*$`, at most 64 characters."""
    if "!" in channel_id:
        raise input_error(
            "Cannot create a channel with a '!' in the ID, this is a reserved character."
        )
    if len(channel_id) > MAX_CHANNEL_ID:
        raise input_error(f"max channelID length exceeded ({MAX_CHANNEL_ID})")
    if not CHANNEL_ID_RE.match(channel_id):
        raise input_error(f'channel.id "{channel_id}" invalid ("^[\\w-]*$" allowed)')
    return channel_id


def check_role_name(name: Any, path: str = "name") -> str:
    """A custom role's name: `^[\\w-]*$`, 1..64 characters.

    UNCONFIRMED: the spec gives only the length; the pattern and the texts
    follow the id rules above.
    """
    return _check_name(name, path, ROLE_NAME_RE, MAX_ROLE_NAME)


def check_batch(items: list[Any] | dict[str, Any], path: str, limit: int = MAX_BATCH) -> None:
    if len(items) > limit:
        raise input_error(f"{path} must contain at most {limit} items")


def check_reserved(data: dict[str, Any], reserved: frozenset[str], prefix: str) -> None:
    """Reject server-owned fields with Stream's text and `exception_fields`."""
    hits = sorted(key for key in data if key in reserved)
    if hits:
        fields = {f"{prefix}{key}": f"{prefix}{key} is a reserved field" for key in hits}
        raise StreamError(4, ", ".join(fields.values()), exception_fields=fields)


def int_in_range(value: Any, path: str, low: int, high: int) -> int:
    """An integer option bounded like the API's limits (`<path> must be N or less`)."""
    expect(value, int, path)
    if value < low:
        raise input_error(f"{path} must be {low} or greater")
    if value > high:
        raise input_error(f"{path} must be {high} or less")
    return int(value)


def query_bool(query: dict[str, str], key: str) -> bool:
    """A boolean query parameter as the SDKs send it (`"true"`/`"false"`)."""
    value = query.get(key)
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise input_error(f'invalid query parameter {key}: expected true or false, got "{value}"')


def query_int(query: dict[str, str], key: str, default: int) -> int:
    """A whole-number query parameter (`limit`, `offset`); absent or empty is `default`."""
    raw = query.get(key)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise input_error(
            f'invalid query parameter {key}: expected a number, got "{raw}"'
        ) from None
