"""What can go wrong in the user-based chat, and every text it says about it.

A `ChatError` names a failure kind (the same kinds as the conversation half's, mapped to
HTTP statuses in one place by `chatgate.reference.http.errors`), never a status.
"""

from __future__ import annotations

from typing import Any

from chatgate.reference.sync.errors import Failure


class ChatError(Exception):
    """A failure of kind `failure`, with the text the caller is shown."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure
        self.message = message


def not_migrated() -> ChatError:
    return ChatError(
        Failure.CONFLICT,
        "this database is not migrated to user identities; run `chatgate migrate apply` first",
    )


def not_an_id(what: str, value: Any) -> ChatError:
    return ChatError(Failure.INVALID, f"{what} must be a positive whole number, got {value!r}")


def no_such_user(user_id: int) -> ChatError:
    return ChatError(Failure.NOT_FOUND, f"there is no user {user_id}")


def with_oneself() -> ChatError:
    return ChatError(Failure.INVALID, "a direct conversation needs another user than yourself")


def no_such_conversation() -> ChatError:
    # The same words whether it does not exist or is not yours: no existence oracle.
    return ChatError(Failure.NOT_FOUND, "Conversation not found")


def bad_text(limit: int) -> ChatError:
    return ChatError(
        Failure.INVALID, f"text must be a non-blank string of at most {limit} characters"
    )


def bad_limit(limit: int) -> ChatError:
    return ChatError(Failure.INVALID, f"limit must be a whole number from 1 to {limit}")


def bad_offset() -> ChatError:
    return ChatError(Failure.INVALID, "offset must be a whole number, 0 or more")


def blocked() -> ChatError:
    return ChatError(
        Failure.FORBIDDEN, "you cannot message this user: one of you has blocked the other"
    )


def not_accepting(audience: str) -> ChatError:
    who = "nobody" if audience == "none" else "their connections only"
    return ChatError(Failure.FORBIDDEN, f"this user accepts messages from {who}")


def bad_setting(name: str, allowed: str) -> ChatError:
    return ChatError(Failure.INVALID, f"{name} must be {allowed}")


def unknown_settings(names: list[str], known: tuple[str, ...]) -> ChatError:
    return ChatError(
        Failure.INVALID, f"unknown settings {names}; the settings are {', '.join(known)}"
    )


def no_settings() -> ChatError:
    return ChatError(Failure.INVALID, "settings must be an object with at least one setting")


def no_such_message() -> ChatError:
    return ChatError(Failure.NOT_FOUND, "Message not found")


# -- groups ------------------------------------------------------------------------------
def bad_group_name(limit: int) -> ChatError:
    return ChatError(
        Failure.INVALID, f"a group's name must be a non-blank string of 1 to {limit} characters"
    )


def bad_group_members(limit: int) -> ChatError:
    return ChatError(
        Failure.INVALID,
        f"participant_user_ids must be a list of 1 to {limit} user ids (the others, not you)",
    )


def repeated_members(user_ids: list[int]) -> ChatError:
    return ChatError(Failure.INVALID, f"participant_user_ids names users {user_ids} more than once")


def self_in_group() -> ChatError:
    return ChatError(
        Failure.INVALID,
        "participant_user_ids lists the others: you are in the group you make already",
    )


def blocked_from_group(user_id: int) -> ChatError:
    return ChatError(
        Failure.FORBIDDEN,
        f"you cannot add user {user_id} to a group: one of you has blocked the other",
    )


def not_a_group() -> ChatError:
    return ChatError(Failure.INVALID, "only a group takes new participants")


def bad_search(limit: int) -> ChatError:
    return ChatError(Failure.INVALID, f"a search needs 1 to {limit} characters of text")


# -- media -------------------------------------------------------------------------------
def bad_media_kind(kinds: tuple[str, ...]) -> ChatError:
    return ChatError(Failure.INVALID, f"kind must be one of {', '.join(kinds)}")


def empty_media() -> ChatError:
    return ChatError(Failure.INVALID, "the upload is empty")


def media_too_big(kind: str, limit: int) -> ChatError:
    return ChatError(Failure.INVALID, f"a {kind} upload may be at most {limit} bytes")


def not_audio() -> ChatError:
    return ChatError(
        Failure.INVALID, "a voice note must be audio (read from its bytes): this is not"
    )


def voice_too_long(limit: float, seconds: float) -> ChatError:
    return ChatError(
        Failure.INVALID,
        f"a voice note may last at most {limit:.0f} s; this one lasts {seconds:.1f} s",
    )


def not_an_image(mime: str, allowed: tuple[str, ...]) -> ChatError:
    return ChatError(
        Failure.INVALID, f"an image must be one of {', '.join(allowed)}; these bytes are {mime}"
    )


def refused_file(mime: str) -> ChatError:
    return ChatError(Failure.INVALID, f"files of type {mime} (programs) are not accepted")


def claim_mismatch(claimed: str, actual: str) -> ChatError:
    return ChatError(
        Failure.INVALID, f"the upload says it is {claimed}, but its bytes are {actual}"
    )


def bad_media_url(shown: str) -> ChatError:
    return ChatError(Failure.INVALID, f"media_url must be a URL, got {shown}")


def not_durable(url: str) -> ChatError:
    return ChatError(
        Failure.INVALID,
        f"media_url must be a durable https URL that others can open later, got {url!r}; "
        "upload the file instead of sending a blob:, data:, file: or http: address",
    )


def no_such_media() -> ChatError:
    return ChatError(Failure.NOT_FOUND, "Media not found")


# -- calls -------------------------------------------------------------------------------
def bad_call_type(allowed: tuple[str, ...]) -> ChatError:
    return ChatError(Failure.INVALID, f"call_type must be one of {', '.join(allowed)}")


def no_such_call() -> ChatError:
    return ChatError(Failure.NOT_FOUND, "Call not found")


def bad_call_event(events: tuple[str, ...]) -> ChatError:
    return ChatError(Failure.INVALID, f"event must be one of {', '.join(events)}")


def call_not_in(status: str, target: str, allowed: tuple[str, ...]) -> ChatError:
    return ChatError(
        Failure.CONFLICT,
        f"a call that is {status} cannot become {target}; "
        f"only a call that is {' or '.join(allowed)} can",
    )


def not_the_callers(event: str, who: str) -> ChatError:
    return ChatError(Failure.FORBIDDEN, f"only the {who} may {event} this call")
