"""The official Python SDK's public surface, and the HTTP request each method sends.

Every public method of `stream_chat.StreamChat` and `stream_chat.channel.Channel`
is called once with sample arguments against a recording transport (`responses`
intercepting `requests`), so the route each one calls is read off the wire, not
copied by hand. Coverage (`coverage.py`) matches these requests to the route table.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import json
import re
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
import responses
from stream_chat import StreamChat, StreamChatAsync
from stream_chat.async_chat.channel import Channel as AsyncChannel
from stream_chat.types.segment import SegmentType

BASE_URL = "http://sdk-surface.invalid"
SAMPLE_ID = "sample-id"
SAMPLE_TIME = "2030-01-01T00:00:00Z"
API_KEY = "sdk-surface-key"
API_SECRET = "sdk-surface-secret-long-enough-for-hs256"
# The raw HTTP verbs of the client: transport, not operations.
GENERIC_VERBS = frozenset({"get", "post", "put", "patch", "delete"})
# An answer every method can read what it needs from (`query` reads channel.id,
# `query_members` reads members).
_ANSWER = {"channel": {"id": SAMPLE_ID}, "members": [], "duration": "0.00ms"}


@dataclass(frozen=True)
class SdkCall:
    """One HTTP request an SDK method sent: method, path and top-level body keys."""

    method: str
    path: str
    body_keys: frozenset[str]


@dataclass(frozen=True)
class SdkMethod:
    """A public SDK method and the requests it sends (none: it works locally)."""

    owner: str
    name: str
    calls: tuple[SdkCall, ...]
    in_async_client: bool

    @property
    def qualname(self) -> str:
        return f"{self.owner}.{self.name}"


def _sample_file() -> str:
    """A small local file for the upload methods, which read their `url` from disk."""
    path = Path(tempfile.gettempdir()) / "chatgate-sdk-surface.txt"
    path.write_bytes(b"chatgate")
    return str(path)


Arguments = tuple[tuple[Any, ...], dict[str, Any]]


def _overrides(upload: str) -> dict[str, Arguments]:
    """Arguments for the methods whose own checks need particular values, or whose
    parameters the name rules of `_sample` cannot guess."""
    delivered = {
        "latest_delivered_messages": [{"cid": f"messaging:{SAMPLE_ID}", "id": SAMPLE_ID}],
        "user_id": SAMPLE_ID,
    }
    file_args = (upload, "a.txt", {"id": SAMPLE_ID})
    signature = hmac.new(API_SECRET.encode(), b"{}", hashlib.sha256).hexdigest()
    return {
        "StreamChat.update_message": (({"id": SAMPLE_ID, "text": "x"},), {}),
        "StreamChat.update_message_partial": ((SAMPLE_ID, {"set": {}}, SAMPLE_ID), {}),
        "StreamChat.mark_delivered": ((delivered,), {}),
        "StreamChat.send_file": ((f"channels/messaging/{SAMPLE_ID}/file", *file_args), {}),
        "StreamChat.create_segment": ((SegmentType.USER,), {}),
        "StreamChat.segment": ((SegmentType.USER,), {}),
        # The SDK spreads `options` into the query, so None (its default) raises.
        "StreamChat.update_user_location": ((SAMPLE_ID, SAMPLE_ID, {}), {}),
        "StreamChat.set_http_session": ((requests.Session(),), {}),
        "StreamChat.verify_webhook": ((b"{}", "signature"), {}),
        "StreamChat.verify_and_parse_webhook": ((b"{}", signature), {}),
        "StreamChat.parse_sqs": (("e30=",), {}),
        "StreamChat.parse_sns": (("e30=",), {}),
        "Channel.send_file": (file_args, {}),
        "Channel.send_image": (file_args, {}),
    }


def _sample(parameter: inspect.Parameter) -> Any:
    """A plausible value for a required parameter, from its annotation."""
    annotation = str(parameter.annotation)
    if "List" in annotation or "Iterable" in annotation:
        return [{"id": SAMPLE_ID}] if "Dict" in annotation else [SAMPLE_ID]
    if "Dict" in annotation:
        return {"id": SAMPLE_ID}
    if annotation == str(bool):
        return False
    if annotation == str(int):
        return 1
    if "datetime" in annotation:
        return SAMPLE_TIME
    return SAMPLE_ID


def _required_arguments(function: Callable[..., Any]) -> Arguments:
    parameters = list(inspect.signature(function).parameters.values())[1:]  # without self
    args = tuple(
        _sample(p)
        for p in parameters
        if p.default is inspect.Parameter.empty
        and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    )
    return args, {}


def public_methods(cls: type) -> list[str]:
    """The public callables of an SDK class, sorted."""
    return sorted(
        name
        for name, value in inspect.getmembers(cls)
        if not name.startswith("_") and callable(value)
    )


def _body_keys(request: Any) -> frozenset[str]:
    content_type = request.headers.get("Content-Type", "")
    if not request.body or not content_type.startswith("application/json"):
        return frozenset()
    raw = request.body.decode() if isinstance(request.body, bytes) else request.body
    body = json.loads(raw) if raw else {}
    return (
        frozenset(k for k, v in body.items() if v is not None)
        if isinstance(body, dict)
        else frozenset()
    )


def _record(
    mock: responses.RequestsMock, target: Any, name: str, arguments: Arguments
) -> tuple[SdkCall, ...]:
    seen = len(mock.calls)
    args, kwargs = arguments
    getattr(target, name)(*args, **kwargs)
    return tuple(
        SdkCall(
            call.request.method or "", urlsplit(call.request.url).path, _body_keys(call.request)
        )
        for call in list(mock.calls)[seen:]
    )


def sdk_methods() -> list[SdkMethod]:
    """Every public method of StreamChat and Channel with the requests it sends."""
    client = StreamChat(API_KEY, API_SECRET, base_url=BASE_URL)
    channel = client.channel("messaging", SAMPLE_ID)
    overrides = _overrides(_sample_file())
    found: list[SdkMethod] = []
    with (
        warnings.catch_warnings(),  # the deprecated aliases warn
        responses.RequestsMock(assert_all_requests_are_fired=False) as mock,
    ):
        warnings.simplefilter("ignore", DeprecationWarning)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            mock.add(method, re.compile(re.escape(BASE_URL) + ".*"), json=_ANSWER)
        for owner, target, async_cls in (
            ("StreamChat", client, StreamChatAsync),
            ("Channel", channel, AsyncChannel),
        ):
            for name in public_methods(type(target)):
                if owner == "StreamChat" and name in GENERIC_VERBS:
                    continue
                qualname = f"{owner}.{name}"
                function = getattr(type(target), name)
                arguments = overrides.get(qualname) or _required_arguments(function)
                calls = _record(mock, target, name, arguments)
                found.append(SdkMethod(owner, name, calls, hasattr(async_cls, name)))
    return found
