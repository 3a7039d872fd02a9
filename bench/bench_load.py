"""Conversation creation under Locust, through `chatgate load` itself, for one profile
(`company-new-user`): the reference at two user counts, the seed's fixed-wait algorithm
served over HTTP (its 1 s wait really slept) and its ratio to the reference, the same
with 2 worker processes, and the fake Stream's own capacity.

Run: `.venv/bin/python -m bench.bench_load [--duration 20s] [--users 8 32]`. Prints figures.
Each backend is its own process (this checkout's code) on real PostgreSQL, with the
standalone fake as Stream; Locust is its own process(es) too.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bench_create import SEED, Code, fake_stream, served
from chatgate.postgres import PostgresServer, get_postgres

PROFILE = "company-new-user"
CREATE = "create: company -> new user"


@dataclass(frozen=True)
class LoadFigures:
    label: str
    creations: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float

    def line(self) -> str:
        return (
            f"{self.label:<40} n={self.creations:>6} fail={self.failures:<4} "
            f"{self.rps:8.1f} creations/s  p50={self.p50_ms:6.0f}  p95={self.p95_ms:6.0f}  "
            f"p99={self.p99_ms:6.0f} ms"
        )


def _figures(label: str, summary: dict[str, Any], route: str) -> LoadFigures:
    row = next(r for r in summary["routes"] if r["name"] == route)
    return LoadFigures(
        label,
        row["requests"],
        row["failures"],
        row["rps"],
        row["p50_ms"] or 0.0,
        row["p95_ms"] or 0.0,
        row["p99_ms"] or 0.0,
    )


def load(label: str, workdir: Path, route: str, *options: str) -> LoadFigures:
    """One `chatgate load` run with `options`; its figures for `route`, printed."""
    report = workdir / label.replace(" ", "-").replace(",", "")
    done = subprocess.run(
        [sys.executable, "-m", "chatgate.cli", "load", "--report-dir", str(report), *options],
        capture_output=True,
        text=True,
        check=False,
    )
    summary_file = report / "summary.json"
    if not summary_file.exists():
        raise RuntimeError(f"{label}: chatgate load failed ({done.returncode}): {done.stderr}")
    figures = _figures(label, json.loads(summary_file.read_text()), route)
    print(figures.line(), flush=True)
    return figures


def _backend_runs(
    target: str, postgres: PostgresServer, stream_url: str, workdir: Path, runs: list[list[str]]
) -> list[LoadFigures]:
    """`runs` (each a list of options) against `target` served from this checkout."""
    out = []
    with served(Code("current"), target, postgres, stream_url, workdir, waits="sleep") as backend:
        for options in runs:
            label = f"{target}, {' '.join(options)}"
            command = [
                "--profile", PROFILE, "--target", backend.base_url,
                "--stream-url", stream_url, *options,
            ]  # fmt: skip
            out.append(load(label, workdir, CREATE, *command))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", default="20s", help="each run's length")
    parser.add_argument("--users", type=int, nargs=2, default=[8, 32], help="two user counts")
    args = parser.parse_args(argv)
    few, many = args.users
    print(f"conversation creation under Locust ({PROFILE}), {args.duration} a run")
    with tempfile.TemporaryDirectory(prefix="chatgate-bench-") as tmp, get_postgres() as pg:
        workdir = Path(tmp)
        with fake_stream(workdir) as stream_url:
            at = ["--duration", args.duration, "--spawn-rate", "100"]
            reference = _backend_runs(
                "reference",
                pg,
                stream_url,
                workdir,
                [
                    ["--users", str(few), *at],
                    ["--users", str(many), *at],
                    ["--users", str(many), "--processes", "2", *at],
                ],
            )
            seed = _backend_runs(
                SEED,
                pg,
                stream_url,
                workdir,
                [
                    ["--users", str(few), *at],
                    ["--users", str(few), "--processes", "2", *at],
                ],
            )
        fake = [
            load(
                f"fake-stream, 16 users{', 2 processes' if processes else ''}",
                workdir,
                "create: stream channel",
                *["--profile", "fake-stream", "--users", "16", *at, *processes],
            )
            for processes in ([], ["--processes", "2"])
        ]
    ref_few, _, ref_many_2 = reference
    seed_few, seed_2 = seed
    print(
        f"  seed / reference at {few} users: p50 {seed_few.p50_ms / ref_few.p50_ms:.0f}x, "
        f"throughput {ref_few.rps / max(seed_few.rps, 0.01):.0f}x lower"
    )
    print(
        f"  with 2 worker processes: reference {ref_many_2.rps:.0f} creations/s at {many} users; "
        f"seed p50 {seed_2.p50_ms:.0f} ms at {few} users"
    )
    print(f"  fake Stream's own capacity: {max(f.rps for f in fake):.0f} channel creations/s")


if __name__ == "__main__":
    main()
