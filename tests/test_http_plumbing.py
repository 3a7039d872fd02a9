"""The HTTP plumbing both served apps share: request JSON decoded defensively, and an
answer's head and body written to the socket together."""

from __future__ import annotations

import asyncio
import json

import pytest

from chatgate.http.asgi import HeldWrites
from chatgate.http.jsonbody import MAX_DEPTH, Undecodable, decode_json


def nested(levels: int, inner: str = "1") -> str:
    return "[" * levels + inner + "]" * levels


@pytest.mark.parametrize(
    "raw",
    [
        nested(MAX_DEPTH - 1),
        nested(MAX_DEPTH, ""),
        json.dumps({"text": "[" * 500}),
        json.dumps({"text": "{" * 500}).encode("utf-16"),
    ],
    ids=["63-arrays-round-a-number", "64-empty-arrays", "brackets-in-a-string", "utf-16"],
)
def test_json_at_most_the_depth_limit_decodes(raw: str | bytes) -> None:
    assert decode_json(raw) == json.loads(raw)


@pytest.mark.parametrize(
    "raw",
    [nested(MAX_DEPTH), nested(MAX_DEPTH).encode("utf-32"), nested(40, nested(30, "{}"))],
    ids=["64-arrays-round-a-number", "utf-32", "objects-inside-arrays"],
)
def test_json_past_the_depth_limit_is_refused_with_the_reason(raw: str | bytes) -> None:
    decoded = decode_json(raw)
    assert isinstance(decoded, Undecodable)
    assert decoded.error == f"nested deeper than {MAX_DEPTH} levels"


def test_json_that_does_not_parse_keeps_its_text_and_the_reason() -> None:
    decoded = decode_json(b'{"a": ')
    assert isinstance(decoded, Undecodable)
    assert decoded.text == '{"a": '
    assert "Expecting value" in decoded.error


class _Recording(asyncio.Transport):
    """A transport that records what reaches it."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:  # type: ignore[override]
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 1) if name == "peername" else default


def test_writes_held_for_an_answer_reach_the_transport_as_one() -> None:
    real = _Recording()
    held = HeldWrites(real)
    with held.holding():
        held.write(b"HTTP/1.1 200 OK\r\n\r\n")
        held.write(b"{}")
        assert real.writes == []
    assert real.writes == [b"HTTP/1.1 200 OK\r\n\r\n{}"]
    held.write(b"next")
    assert real.writes[-1] == b"next"
    assert held.get_extra_info("peername") == ("127.0.0.1", 1)


def test_closing_while_holding_writes_what_was_held_first() -> None:
    real = _Recording()
    held = HeldWrites(real)
    with held.holding():
        held.write(b"head")
        held.close()
    assert (real.writes, real.closed) == ([b"head"], True)
