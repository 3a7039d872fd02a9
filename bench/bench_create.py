"""Conversation creation over HTTP: the reference, and the seed's algorithm (upsert, fixed
1 s wait, create, one retry), each served in its own process on real PostgreSQL, with the
standalone fake (`chatgate fake-stream`, this checkout's code) as Stream.

Run: `.venv/bin/python -m bench.bench_create [--baseline REV] [--creates 300]`. Prints figures.

- create p50, p99 and req/s at concurrency 1, 8 and 32 (`--creates` per level), each
  a company messaging a user Stream has never seen;
- the seed-to-reference p50 ratio at concurrency 1, each on a server of its own warmed
  up as the levels' is (`RATIO_WARM_UP` creates first). Waits are recorded, never slept:
  the served backend prints each wait it asked for, and a request's latency is its
  measured time plus its share of them (the seed waits its fixed 1 s once per create).

`--baseline REV` first builds git revision REV into a temporary directory (`git archive` +
`pip install --no-deps --target`, as `bench.bench_fake_stream` does) and measures the
reference served from that code and the current code taking turns (each level, then each
half of the ratio: REV and current, then current and REV, ...), against one fake, and
prints both and the ratios.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from bench.bench_fake_stream import build_revision
from bench.stats import percentile
from chatgate.postgres import PostgresServer, get_postgres
from chatgate.processes import read_until

SEED = "seed-fixed-wait"
LEVELS = (1, 8, 32)
# Creates before the ratio's measured ones: a fresh server's first requests also open its
# pooled connections and let psycopg prepare its statements (after 5 uses each).
RATIO_WARM_UP = 20
START_TIMEOUT_S = 60.0

# Serves the reference (or a mutant) from whatever chatgate is importable, with the API
# every revision since 0.2 has: build_api(...) and ReferenceServer. With `record`, each
# wait the backend asks for is printed, not slept; with `sleep` it is slept (for load).
_SERVE = """
import signal, sys, threading
import psycopg
from stream_chat import StreamChat
from chatgate.fakes.stream.credentials import DEV_API_KEY, DEV_API_SECRET
from chatgate.fixtures.targets.mutants import MUTANTS
from chatgate.reference.http.auth import DEV_AUTH_SECRET
from chatgate.reference.http.server import ReferenceServer, build_api
from chatgate.reference.sync.retry import RetryPolicy
from chatgate.reference.sync.schema import apply_schema
from chatgate.reference.sync.service import ConversationService

database_url, stream_url, target, waits = sys.argv[1:5]
with psycopg.connect(database_url) as conn:
    apply_schema(conn)
api = build_api(
    database_url,
    StreamChat(DEV_API_KEY, DEV_API_SECRET, base_url=stream_url),
    auth_secret=DEV_AUTH_SECRET,
    test_mode=True,
    service_class=ConversationService if target == "reference" else MUTANTS[target].service,
    retry=RetryPolicy(sleep=lambda s: print(f"waited {s}", flush=True))
    if waits == "record"
    else RetryPolicy(),
)
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
with ReferenceServer(api) as server:
    print(f"listening on {server.base_url}", flush=True)
    stop.wait()
"""


@dataclass(frozen=True)
class Code:
    """Where the served backend's code comes from: `pythonpath` (None: this checkout)."""

    label: str
    pythonpath: str | None = None


@dataclass
class Served:
    """A backend in a subprocess; `waits()` reads what it asked to wait, once stopped."""

    base_url: str
    proc: subprocess.Popen[str]

    def stop(self) -> list[float]:
        """Stop it; the waits it printed."""
        self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=30)
        return [float(line.split()[1]) for line in out.splitlines() if line.startswith("waited ")]


def _env(code: Code) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("STREAM_API_KEY", "STREAM_API_SECRET")}
    if code.pythonpath is not None:
        env["PYTHONPATH"] = code.pythonpath
    return env


@contextmanager
def fake_stream(workdir: Path) -> Iterator[str]:
    """This checkout's `chatgate fake-stream` in a subprocess; its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatgate.cli", "fake-stream", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(Code("current")),
        cwd=workdir,
    )
    try:
        banner = read_until(proc, "listening on", START_TIMEOUT_S)
        yield banner.split("listening on ")[1].split()[0]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


@contextmanager
def served(
    code: Code,
    target: str,
    postgres: PostgresServer,
    stream_url: str,
    workdir: Path,
    *,
    waits: str = "record",
) -> Iterator[Served]:
    """`target` (reference or a mutant) from `code`, on a fresh database; its waits are
    recorded (`record`, see `Served.stop`) or slept (`sleep`)."""
    database = postgres.create_database()
    # A neutral working directory: the checkout's own folders must not shadow `code`.
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVE, postgres.url_for(database), stream_url, target, waits],
        stdout=subprocess.PIPE,
        text=True,
        env=_env(code),
        cwd=workdir,
    )
    try:
        banner = read_until(proc, "listening on", START_TIMEOUT_S)
        yield Served(banner.split("listening on ")[1].split()[0], proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
        postgres.drop_database(database)


def _seed(base_url: str, recipients: int) -> tuple[str, str, list[str]]:
    """An owner running a company, and `recipients` users; (bearer, company, user ids)."""
    owner, company = str(uuid.uuid4()), str(uuid.uuid4())
    users = [str(uuid.uuid4()) for _ in range(recipients)]
    answer = requests.post(
        f"{base_url}/api/test/provider-state",
        json={
            "users": [{"id": u, "name": f"user {u[:8]}"} for u in [owner, *users]],
            "companies": [{"id": company, "name": "a company"}],
            "memberships": [{"company_id": company, "user_id": owner, "role": "owner"}],
        },
        timeout=60,
    )
    answer.raise_for_status()
    return answer.json()["data"]["tokens"][owner], company, users


_connection = threading.local()


def _create(base_url: str, bearer: str, company: str, user: str) -> float:
    """One company-to-new-user creation; its latency in seconds.

    Each thread keeps one keep-alive `http.client` connection per backend: the figures measure the
    backend, not `requests`' per-call work (over a millisecond of the client's CPU per
    create on this machine, charged to every backend alike)."""
    if not hasattr(_connection, "by_url"):
        _connection.by_url = {}
    connection = _connection.by_url.get(base_url)
    if connection is None:
        parts = urlsplit(base_url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        _connection.by_url[base_url] = connection
    body = json.dumps(
        {"conversation_type": "user_company", "participant_ids": [user], "company_id": company}
    ).encode()
    headers = {"Authorization": f"Bearer {bearer}", "Content-Type": "application/json"}
    started = time.perf_counter()
    connection.request("POST", "/api/chat/conversations", body, headers)
    answer = connection.getresponse()
    text = answer.read()
    elapsed = time.perf_counter() - started
    if answer.status != 201:
        raise RuntimeError(f"creation failed ({answer.status}): {text.decode(errors='replace')}")
    return elapsed


@dataclass(frozen=True)
class Figures:
    label: str
    concurrency: int
    latencies: list[float]
    wall_s: float

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 50) * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.wall_s

    def line(self) -> str:
        p99 = percentile(self.latencies, 99) * 1000
        return (
            f"{self.label:<28} c={self.concurrency:<3} n={len(self.latencies):>5}  "
            f"p50={self.p50_ms:8.2f} ms  p99={p99:8.2f} ms  {self.rps:7.0f} req/s"
        )


def run_level(label: str, base_url: str, concurrency: int, creates: int) -> Figures:
    bearer, company, users = _seed(base_url, creates)
    with ThreadPoolExecutor(concurrency) as pool:
        started = time.perf_counter()
        latencies = list(pool.map(lambda u: _create(base_url, bearer, company, u), users))
        wall = time.perf_counter() - started
    return Figures(label, concurrency, latencies, wall)


def sequential_with_waits(
    code: Code, target: str, postgres: PostgresServer, stream_url: str, workdir: Path, n: int
) -> Figures:
    """`n` creates one at a time after `RATIO_WARM_UP` unmeasured ones, each create
    charged an equal share of the waits recorded for all of them."""
    with served(code, target, postgres, stream_url, workdir) as backend:
        run_level("warm-up", backend.base_url, 1, RATIO_WARM_UP)
        figures = run_level(f"{target}, {code.label}", backend.base_url, 1, n)
        waits = backend.stop()
    share = sum(waits) / (RATIO_WARM_UP + n)
    return Figures(figures.label, 1, [x + share for x in figures.latencies], figures.wall_s)


def _turns(codes: list[Code], turn: int) -> list[Code]:
    """`codes` in the order they take turn `turn`: reversed every other turn, so neither
    is always measured first."""
    return codes if turn % 2 == 0 else codes[::-1]


def _levels(
    codes: list[Code], postgres: PostgresServer, stream_url: str, workdir: Path, creates: int
) -> dict[str, dict[int, Figures]]:
    """Each code's reference at every level, the codes taking turns at each level."""
    levels: dict[str, dict[int, Figures]] = {code.label: {} for code in codes}
    with ExitStack() as stack:
        urls = {
            code.label: stack.enter_context(
                served(code, "reference", postgres, stream_url, workdir)
            ).base_url
            for code in codes
        }
        for code in codes:
            run_level("warm-up", urls[code.label], 8, 50)
        for turn, concurrency in enumerate(LEVELS):
            for code in _turns(codes, turn):
                figures = run_level(
                    f"reference, {code.label}", urls[code.label], concurrency, creates
                )
                levels[code.label][concurrency] = figures
                print(figures.line(), flush=True)
    return levels


def _ratio(reference: Figures, seed: Figures, label: str) -> float:
    """The seed's p50 over the reference's, printed with both."""
    ratio = seed.p50_ms / reference.p50_ms
    print(reference.line())
    print(seed.line())
    print(f"  seed / reference p50 over HTTP ({label}): {ratio:.0f}x", flush=True)
    return ratio


def measure(
    codes: list[Code], postgres: PostgresServer, args: argparse.Namespace, workdir: Path
) -> dict[str, dict[str, Any]]:
    """Every figure for each of `codes`, printed as measured. The codes take turns at each
    step (a level, a half of the ratio), so a change in the machine's load between steps
    falls on all of them, not on whichever was measured later."""
    alone: dict[str, dict[str, Figures]] = {code.label: {} for code in codes}
    with fake_stream(workdir) as stream_url:
        levels = _levels(codes, postgres, stream_url, workdir, args.creates)
        for turn, target in enumerate(("reference", SEED), start=len(LEVELS)):
            for code in _turns(codes, turn):
                alone[code.label][target] = sequential_with_waits(
                    code, target, postgres, stream_url, workdir, args.seed_creates
                )
    return {
        code.label: {
            "levels": levels[code.label],
            "ratio": _ratio(alone[code.label]["reference"], alone[code.label][SEED], code.label),
        }
        for code in codes
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", metavar="REV", help="also measure git revision REV")
    parser.add_argument("--creates", type=int, default=300, help="creates per level")
    parser.add_argument("--seed-creates", type=int, default=40, help="creates for the ratio")
    args = parser.parse_args(argv)
    print("conversation creation over HTTP, company -> never-synced user (waits not slept)")
    with tempfile.TemporaryDirectory(prefix="chatgate-bench-") as tmp, get_postgres() as pg:
        workdir = Path(tmp)
        codes = [Code("current")]
        if args.baseline:
            build = workdir / "baseline"
            build.mkdir()
            codes.insert(0, Code(args.baseline, str(build_revision(args.baseline, build))))
        results = measure(codes, pg, args, workdir)
    if args.baseline:
        before, after = results[args.baseline], results["current"]
        print(f"-- current against {args.baseline}")
        for concurrency in LEVELS:
            b, a = before["levels"][concurrency], after["levels"][concurrency]
            print(
                f"  c={concurrency:<3} p50 {b.p50_ms:7.2f} -> {a.p50_ms:7.2f} ms "
                f"({b.p50_ms / a.p50_ms:.2f}x faster), {b.rps:5.0f} -> {a.rps:5.0f} req/s "
                f"({a.rps / b.rps:.2f}x)"
            )
        print(f"  seed / reference p50: {before['ratio']:.0f}x -> {after['ratio']:.0f}x")


if __name__ == "__main__":
    main()
