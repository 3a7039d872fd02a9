"""Throughput and latency of the fake Stream Chat.

- in-process: the sync SDK through the `responses` transport, one thread;
- standalone: `chatgate fake-stream` in its own process, load from this process
  with a fixed number of concurrent SDK clients.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from stream_chat import StreamChat

from bench.stats import summary
from chatgate.fakes.stream.credentials import DEV_API_KEY, DEV_API_SECRET
from chatgate.fakes.stream.inprocess import InProcessStream


def _timed(op: Callable[[int], object], count: int) -> tuple[list[float], float]:
    latencies = []
    started = time.perf_counter()
    for i in range(count):
        t0 = time.perf_counter()
        op(i)
        latencies.append(time.perf_counter() - t0)
    return latencies, time.perf_counter() - started


def bench_in_process(count: int) -> None:
    with InProcessStream() as stream:
        client = stream.client
        client.upsert_user({"id": "company", "role": "admin"})
        lat, wall = _timed(lambda i: client.upsert_user({"id": f"u{i}", "name": f"U{i}"}), count)
        print(summary("in-process upsert_user", lat, wall))
        lat, wall = _timed(
            lambda i: client.channel(
                "messaging", f"c{i}", {"members": ["company", f"u{i}"]}
            ).create("company"),
            count,
        )
        print(summary("in-process channel create (2 members)", lat, wall))

        def pair(i: int) -> None:
            client.upsert_users([{"id": f"p{i}"}, {"id": "company", "role": "admin"}])
            client.channel("messaging", f"p{i}", {"members": ["company", f"p{i}"]}).create(
                "company"
            )

        lat, wall = _timed(pair, count)
        print(summary("in-process upsert+create pair", lat, wall))


def _start_server() -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "STREAM_API_KEY": DEV_API_KEY, "STREAM_API_SECRET": DEV_API_SECRET}
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatgate.cli", "fake-stream", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # the banner; the process exits if it cannot start
    if "listening on" not in line:
        proc.kill()
        raise RuntimeError(f"fake-stream did not start: {line!r}")
    return proc, line.split("listening on ")[1].split()[0]


def _load(base_url: str, concurrency: int, count: int, kind: str) -> tuple[list[float], float]:
    clients = [
        StreamChat(DEV_API_KEY, DEV_API_SECRET, base_url=base_url) for _ in range(concurrency)
    ]
    clients[0].upsert_user({"id": "company", "role": "admin"})
    per_worker = count // concurrency

    def worker(w: int) -> list[float]:
        client = clients[w]
        out = []
        for n in range(per_worker):
            uid = f"{kind}-w{w}-{n}"
            t0 = time.perf_counter()
            if kind == "upsert":
                client.upsert_user({"id": uid, "name": uid})
            else:
                client.channel("messaging", uid, {"members": ["company"]}).create("company")
            out.append(time.perf_counter() - t0)
        return out

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(worker, range(concurrency)))
    wall = time.perf_counter() - started
    return [x for r in results for x in r], wall


def bench_standalone(count: int, concurrency: int) -> None:
    proc, base_url = _start_server()
    try:
        for kind, label in (("upsert", "upsert_user"), ("create", "channel create")):
            lat, wall = _load(base_url, concurrency, count, kind)
            print(summary(f"standalone {label} (c={concurrency})", lat, wall))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="operations per measurement")
    parser.add_argument("--concurrency", type=int, default=8, help="standalone SDK clients")
    args = parser.parse_args(argv)
    print(f"== fake Stream Chat (python {sys.version.split()[0]}, {os.cpu_count()} cpus)")
    bench_in_process(args.count)
    bench_standalone(args.count, args.concurrency)


if __name__ == "__main__":
    main()
