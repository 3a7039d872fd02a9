"""Load generator for the standalone fake, run as its own process.

`python -m bench.fake_stream_load URL --connections 16 --seconds 4`
opens `connections` keep-alive HTTP/1.1 connections (one thread each) and sends
server-signed upserts of fresh users (`POST /users`) back to back for `seconds`,
then prints one JSON object: the latency of every request, the wall time and the
failures (`bench.bench_fake_stream` runs one per round).

The client is a minimal one over a raw socket (one prepared request, a response
read up to its declared Content-Length), so the figures measure the server, not
`http.client`'s header parsing.
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from array import array
from urllib.parse import urlsplit

import jwt

from chatgate.fakes.stream.credentials import DEV_API_KEY, DEV_API_SECRET


class _Connection:
    """One keep-alive connection that sends upserts and reads each answer whole."""

    def __init__(self, host: str, port: int, token: str, api_key: str) -> None:
        self._sock = socket.create_connection((host, port), timeout=30)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = (
            f"POST /users?api_key={api_key} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: {token}\r\nstream-auth-type: jwt\r\n"
            "Content-Type: application/json\r\nContent-Length: "
        ).encode()
        self._buffer = b""

    def upsert(self, user_id: str) -> int:
        """Upsert one user; returns the HTTP status."""
        body = json.dumps({"users": {user_id: {"id": user_id, "name": user_id}}}).encode()
        self._sock.sendall(self._head + str(len(body)).encode() + b"\r\n\r\n" + body)
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._receive()
        head, _, rest = self._buffer.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(rest) < length:
            rest += self._receive()
        self._buffer = rest[length:]
        return int(head.split(b" ", 2)[1])

    def _receive(self) -> bytes:
        chunk = self._sock.recv(65536)
        if not chunk:
            raise ConnectionError("the fake closed the connection")
        return chunk

    def close(self) -> None:
        self._sock.close()


def run(base_url: str, *, connections: int, seconds: float, warmup: int) -> dict[str, object]:
    """Drive the load; the latency (s) of every request."""
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    token = jwt.encode({"server": True}, DEV_API_SECRET, algorithm="HS256")
    pool = [_Connection(host, port, token, DEV_API_KEY) for _ in range(connections)]
    latencies = [array("d") for _ in range(connections)]
    failures = [0] * connections
    start: list[float] = []
    # Every connection is warm before the clock starts.
    barrier = threading.Barrier(connections, action=lambda: start.append(time.perf_counter()))

    def worker(index: int) -> None:
        connection = pool[index]
        for n in range(warmup):
            connection.upsert(f"warm-{index}-{n}")
        barrier.wait()
        began = start[0]
        end = began + seconds
        n = 0
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                return
            status = connection.upsert(f"load-{index}-{n}")
            latency = time.perf_counter() - t0
            if status != 201:
                failures[index] += 1
            latencies[index].append(latency)
            n += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - start[0]
    for connection in pool:
        connection.close()
    return {
        "wall_s": wall,
        "failures": sum(failures),
        "latencies": [x for per in latencies for x in per],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=int, default=100, help="requests per connection first")
    args = parser.parse_args(argv)
    result = run(
        args.base_url,
        connections=args.connections,
        seconds=args.seconds,
        warmup=args.warmup,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
