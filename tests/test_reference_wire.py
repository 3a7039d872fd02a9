"""The reference's Stream calls leave in one write each: head and body together, the
same bytes as urllib3's stock connection sends in two."""

from __future__ import annotations

from stream_chat import StreamChat
from urllib3.connection import HTTPConnection as StockConnection
from urllib3.connectionpool import HTTPConnectionPool as StockPool

from chatgate.fakes.stream.credentials import DEV_API_KEY, DEV_API_SECRET
from chatgate.reference.sync.wire import HTTPConnection, HTTPConnectionPool, write_requests_whole

BODY = b'{"users":{"amr":{"id":"amr"}}}'


class _Socket:
    """Stands in for a connected socket: records each write."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def settimeout(self, timeout: float | None) -> None:
        del timeout


def _writes(connection_class: type[StockConnection]) -> list[bytes]:
    connection = connection_class("127.0.0.1", 9)
    connection.sock = _Socket()
    connection.request("POST", "/users", body=BODY, headers={"Content-Type": "application/json"})
    return connection.sock.writes


def test_a_request_with_a_body_leaves_in_one_write_with_the_same_bytes() -> None:
    stock, ours = _writes(StockConnection), _writes(HTTPConnection)
    assert len(stock) == 2
    assert ours == [b"".join(stock)]
    assert ours[0].endswith(b"\r\n\r\n" + BODY)


def test_the_sdk_session_gets_one_write_pools_that_keep_urllib3s_names() -> None:
    stream = StreamChat(DEV_API_KEY, DEV_API_SECRET, base_url="http://127.0.0.1:9")
    adapter = stream.session.get_adapter("http://127.0.0.1:9")
    assert adapter.poolmanager.pool_classes_by_scheme["http"] is StockPool
    write_requests_whole(stream)
    assert adapter.poolmanager.pool_classes_by_scheme["http"] is HTTPConnectionPool
    assert HTTPConnectionPool.__name__ == StockPool.__name__
