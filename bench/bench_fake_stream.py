"""Throughput and latency of the fake Stream Chat.

- in-process: the sync SDK through the `responses` transport, one thread;
- standalone: `chatgate fake-stream` in its own process, loaded from another
  process (`bench.fake_stream_load`) over 16 keep-alive connections for 20 s:
  req/s, p50 and p99 overall, and p99 per round to show whether it stays flat.

`--baseline REV` first builds git revision REV into a temporary directory
(`git archive` + `pip install --no-deps --target`) and serves the fake from that
code beside the current code's; the load takes turns between the two, a round
each (REV then current, then current then REV, ...), and the ratio is printed.
The baseline runs without uvicorn's standard extras (httptools, uvloop) unless
`--baseline-extras`: revisions before they were a dependency ran without them.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.stats import percentile, summary
from chatgate.fakes.stream.credentials import DEV_API_KEY, DEV_API_SECRET
from chatgate.fakes.stream.inprocess import InProcessStream

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60.0

# Serves the fake through the CLI, optionally with httptools and uvloop hidden
# (uvicorn's "auto" then falls back to h11 and asyncio, as without the extras).
_LAUNCH = """
import sys
if sys.argv[1] == "hide-extras":
    sys.modules["httptools"] = None
    sys.modules["uvloop"] = None
from chatgate.cli import main
sys.exit(main(["fake-stream", "--port", "0"]))
"""


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


@dataclass(frozen=True)
class Code:
    """Where the fake's code comes from: `pythonpath` (None: this checkout's install)."""

    label: str
    pythonpath: str | None = None
    hide_extras: bool = False


def build_revision(rev: str, into: Path) -> Path:
    """Install git revision `rev` of chatgate (no dependencies) under `into`; its path."""
    source, target = into / "src", into / "site"
    source.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", "--format=tar", rev],
        check=True,
        capture_output=True,
        timeout=120,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True, timeout=120)
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"),
            *("--no-build-isolation", "--no-compile", "--target", str(target), str(source)),
        ],
        check=True,
        timeout=600,
        cwd=into,
    )
    return target


def _read_banner(proc: subprocess.Popen[str], deadline: float) -> str:
    """The line in which the fake says where it listens, or RuntimeError by `deadline`."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                continue
            line = proc.stdout.readline()
            if not line:
                break
            if "listening on" in line:
                return line.split("listening on ")[1].split()[0]
    raise RuntimeError(f"fake-stream did not start (exit status {proc.poll()})")


@contextmanager
def serve(code: Code, workdir: Path) -> Iterator[str]:
    """Run the fake from `code` in a subprocess; yields its base URL."""
    env = {**os.environ, "STREAM_API_KEY": DEV_API_KEY, "STREAM_API_SECRET": DEV_API_SECRET}
    if code.pythonpath is not None:
        env["PYTHONPATH"] = code.pythonpath
    mode = "hide-extras" if code.hide_extras else "extras"
    # A neutral working directory: the checkout's own folders must not shadow `code`.
    command = [sys.executable, "-c", _LAUNCH, mode]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env, cwd=workdir)
    try:
        yield _read_banner(proc, time.monotonic() + START_TIMEOUT_S)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@dataclass
class Result:
    """One server's load, over every round it was given."""

    label: str
    rounds_ms: list[list[float]] = field(default_factory=list)
    wall_s: float = 0.0
    failures: int = 0

    @property
    def requests(self) -> int:
        return sum(len(per) for per in self.rounds_ms)

    @property
    def rps(self) -> float:
        return self.requests / self.wall_s

    def percentile_ms(self, pct: float) -> float:
        return percentile([x for per in self.rounds_ms for x in per], pct)

    def line(self) -> str:
        rounds = " ".join(f"{percentile(per, 99):.1f}" for per in self.rounds_ms)
        return (
            f"{self.label:<32} n={self.requests:>7}  {self.rps:>8.0f} req/s  "
            f"p50={self.percentile_ms(50):6.2f} ms  p99={self.percentile_ms(99):7.2f} ms  "
            f"p99 per round: {rounds} ms" + (f"  FAILURES={self.failures}" if self.failures else "")
        )


def load_round(result: Result, base_url: str, connections: int, seconds: float) -> None:
    """Drive `base_url` for one round from a separate process (`bench.fake_stream_load`);
    add what it measured to `result`."""
    done = subprocess.run(
        [
            *(sys.executable, "-m", "bench.fake_stream_load", base_url),
            *("--connections", str(connections), "--seconds", str(seconds)),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=seconds + 300,
    )
    data = json.loads(done.stdout)
    result.rounds_ms.append([x * 1000 for x in data["latencies"]])
    result.wall_s += data["wall_s"]
    result.failures += data["failures"]


def bench_standalone(
    codes: list[Code], workdir: Path, *, connections: int, seconds: float, rounds: int
) -> list[Result]:
    """Every code's server runs for the whole bench, and the load visits them in turns, a
    round each (A B, then B A, ...): a change in the machine's speed lands on all of them,
    while each server's journal still grows round after round."""
    results = [Result(f"{code.label} upsert (c={connections})") for code in codes]
    with ExitStack() as servers:
        urls = [servers.enter_context(serve(code, workdir)) for code in codes]
        for r in range(rounds):
            turn = list(zip(results, urls, strict=True))
            for result, url in turn if r % 2 == 0 else reversed(turn):
                load_round(result, url, connections, seconds / rounds)
    for result in results:
        print(result.line(), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000, help="in-process operations")
    parser.add_argument("--no-in-process", action="store_true", help="skip the in-process run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20.0, help="measured load per server")
    parser.add_argument("--rounds", type=int, default=5, help="rounds the load is split into")
    parser.add_argument("--baseline", metavar="REV", help="also measure git revision REV")
    parser.add_argument(
        "--baseline-extras", action="store_true", help="let the baseline use httptools/uvloop"
    )
    args = parser.parse_args(argv)
    print(f"== fake Stream Chat (python {sys.version.split()[0]}, {os.cpu_count()} cpus)")
    if not args.no_in_process:
        bench_in_process(args.count)
    with tempfile.TemporaryDirectory(prefix="chatgate-bench-") as tmp:
        workdir = Path(tmp)
        codes = []
        if args.baseline:
            site = build_revision(args.baseline, workdir)
            extras = "with" if args.baseline_extras else "without"
            codes.append(
                Code(
                    f"baseline {args.baseline} ({extras} extras)",
                    str(site),
                    hide_extras=not args.baseline_extras,
                )
            )
        codes.append(Code("current"))
        results = bench_standalone(
            codes, workdir, connections=args.connections, seconds=args.seconds, rounds=args.rounds
        )
    if len(results) == 2:
        before, after = results
        print(
            f"current / baseline: {after.rps / before.rps:.2f}x req/s, "
            f"p99 {before.percentile_ms(99):.2f} -> {after.percentile_ms(99):.2f} ms"
        )


if __name__ == "__main__":
    main()
