"""The shared HTTP transport refuses an oversized body before reading it whole, for the
fake Stream and the reference backend alike."""

from __future__ import annotations

import json
import select
import socket
from urllib.parse import urlsplit

import pytest

from chatgate.fakes.stream.dispatcher import MAX_BODY_BYTES
from chatgate.fakes.stream.server import FakeStreamServer

DEADLINE_S = 10.0


def _raw_request(base_url: str, head: str, body: bytes = b"") -> bytes:
    """Send `head`, then as much of `body` as the server reads; stop sending as soon as
    it answers, and return the answer."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=DEADLINE_S) as sock:
        sock.sendall(head.encode())
        sock.setblocking(False)
        pending = memoryview(body)
        answer = b""
        while not _is_complete(answer):
            readable, writable, _ = select.select([sock], [sock] if pending else [], [], DEADLINE_S)
            if not readable and not writable:
                raise TimeoutError(f"no answer within {DEADLINE_S} s; got {answer[:200]!r}")
            if readable:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
                pending = pending[len(pending) :]  # it answered: stop sending
            elif writable:
                try:
                    pending = pending[sock.send(pending[:65536]) :]
                except (BrokenPipeError, ConnectionResetError):
                    pending = pending[len(pending) :]
    return answer


def _declared_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise AssertionError(f"the answer declares no Content-Length: {head!r}")


def _is_complete(answer: bytes) -> bool:
    head, separator, body = answer.partition(b"\r\n\r\n")
    return bool(separator) and len(body) >= _declared_length(head)


def _status_and_json(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(body[: _declared_length(head)])


def test_the_fake_refuses_a_declared_oversized_body_without_waiting_for_it(
    fake_stream_server: FakeStreamServer,
) -> None:
    # 50 MB announced, none sent: a 413 can only come before the body is read.
    head = (
        f"POST /users?api_key={fake_stream_server.api_key} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 50000000\r\n\r\n"
    )
    status, body = _status_and_json(_raw_request(fake_stream_server.base_url, head))
    assert status == 413
    assert body["code"] == 22
    assert body["message"] == 'UpdateUsers failed with error: "request body is too large"'
    assert fake_stream_server.journal.count("UpdateUsers") == 0


@pytest.mark.parametrize("chunk_kib", [64, 1024])
def test_the_fake_stops_reading_a_chunked_body_once_it_passes_the_limit(
    fake_stream_server: FakeStreamServer, chunk_kib: int
) -> None:
    chunk = b"x" * (chunk_kib * 1024)
    # Twice the limit offered; the server answers as soon as it has seen too much.
    count = 2 * MAX_BODY_BYTES // len(chunk)
    framed = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * count
    head = (
        f"POST /users?api_key={fake_stream_server.api_key} HTTP/1.1\r\n"
        "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    status, body = _status_and_json(_raw_request(fake_stream_server.base_url, head, framed))
    assert (status, body["code"]) == (413, 22)
    # The server keeps serving.
    client = fake_stream_server.client()
    client.upsert_user({"id": "amr"})
    assert "amr" in fake_stream_server.state.users
