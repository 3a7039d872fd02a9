"""`chatgate load`: Locust load profiles for conversation creation, with SLO gates and a
post-run consistency check, from one command.

With no `--target` it starts the whole stack on loopback (the standalone fake Stream and
the reference backend, each its own process, on the embedded PostgreSQL), runs Locust
headless (or its web UI with `--web`), writes Locust's HTML and CSV reports, prints a
summary table, and exits 0 when every gate passed, 1 when one failed, 2 for a mistake in
the options. Distributed runs use Locust's own engine: `--processes N` on one machine,
`--master` and `--worker --master-host H` across machines (docs/load.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any

from chatgate.cliargs import http_url, positive_float, positive_int, report_dir_problem
from chatgate.load.catalog import PROFILES, SHAPE_NAMES

LOCUSTFILE = "chatgate.load.locustfile"
USAGE_ERROR = 2
GATE_FAILED = 1
START_TIMEOUT_S = 120.0
STOP_TIMEOUT_S = 60.0
REPORT_WIDTH = 110


def _ratio(text: str) -> float:
    value = positive_float(text) if text not in ("0", "0.0") else 0.0
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, got {value}")
    return value


_TIMESPAN = re.compile(r"^(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s?)?$")


def _duration(text: str) -> str:
    """A Locust run time (`90`, `30s`, `5m`, `1h30m`), checked here: importing Locust would
    patch this process with gevent."""
    found = _TIMESPAN.match(text.strip()) if text.strip() else None
    if found is None:
        raise argparse.ArgumentTypeError(f"must be a time like 30s, 5m or 1h30m, got {text!r}")
    seconds = sum(int(found[k] or 0) * f for k, f in (("h", 3600), ("m", 60), ("s", 1)))
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1s, got {text!r}")
    return text.strip()


def add_parser(sub: Any) -> None:
    """The `load` command, on the top-level subparsers."""
    load = sub.add_parser(
        "load",
        help="load conversation creation with Locust; SLO gates and a consistency check",
        description="Load a backend's conversation creation with Locust and gate the release "
        "on the result: p95 creation latency, the failure ratio, and zero missing-member "
        "errors; then, when Stream is chatgate's fake, check that every created conversation "
        "has exactly its channel and members on Stream. With no --target it starts the "
        "reference backend, the fake Stream and PostgreSQL on loopback. Exit status: 0 every "
        "gate passed, 1 one failed, 2 a mistake in the options. See docs/load.md.",
    )
    what = load.add_argument_group("what to load")
    what.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="company-new-user",
        metavar="NAME",
        help="company-new-user (default): a company messaging people Stream has never seen; "
        "company-existing-user; user-company; mixed (create, read, list, token); "
        "fake-stream (the fake Stream itself, through the SDK)",
    )
    what.add_argument(
        "--shape",
        choices=SHAPE_NAMES,
        default="steady",
        metavar="NAME",
        help="steady (default), ramp, spike or soak",
    )
    what.add_argument("--users", type=positive_int, default=10, metavar="N", help="default 10")
    what.add_argument(
        "--spawn-rate",
        type=positive_float,
        default=10.0,
        metavar="R",
        help="users started per second (default 10)",
    )
    what.add_argument(
        "--duration",
        type=_duration,
        default="60s",
        metavar="TIME",
        help="how long, e.g. 30s, 5m, 1h30m (default 60s)",
    )
    what.add_argument(
        "--target",
        type=http_url,
        default=None,
        metavar="URL",
        help="the backend, in test mode (default: start the reference on loopback)",
    )
    what.add_argument(
        "--stream-url",
        type=http_url,
        default=None,
        metavar="URL",
        help="with --target: the chatgate fake Stream it uses, for the consistency check",
    )
    shape = load.add_argument_group("shapes")
    shape.add_argument(
        "--ramp-steps", type=positive_int, default=4, metavar="N", help="ramp: steps (4)"
    )
    shape.add_argument(
        "--spike-users",
        type=positive_int,
        default=50,
        metavar="N",
        help="spike: users during the spike (50)",
    )
    shape.add_argument(
        "--spike-at",
        type=float,
        default=0.5,
        metavar="WHEN",
        help="spike: its start, in seconds, or a fraction of the run below 1 (0.5)",
    )
    shape.add_argument(
        "--spike-for",
        type=positive_float,
        default=10.0,
        metavar="S",
        help="spike: seconds it lasts (10)",
    )
    gates = load.add_argument_group("gates (missing-member errors are always gated at 0)")
    gates.add_argument(
        "--p95-ms",
        type=positive_float,
        default=None,
        metavar="MS",
        help="p95 creation latency limit (default 2000)",
    )
    gates.add_argument(
        "--failure-ratio",
        type=_ratio,
        default=None,
        metavar="R",
        help="failed / all requests limit (default 0.01)",
    )
    gates.add_argument(
        "--gates-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="TOML with a [gates] table (p95_ms, failure_ratio); the options above win",
    )
    out = load.add_argument_group("reports")
    out.add_argument(
        "--report-dir",
        type=Path,
        default=Path("load-report"),
        metavar="DIR",
        help="Locust's HTML and CSV reports and summary.json (default load-report)",
    )
    out.add_argument(
        "--web",
        action="store_true",
        help="Locust's web UI on loopback while it runs; Ctrl-C ends the run",
    )
    out.add_argument("--web-port", type=positive_int, default=8089, metavar="P")
    scale = load.add_argument_group("scale (Locust's own distributed mode)")
    scale.add_argument(
        "--processes",
        type=positive_int,
        default=None,
        metavar="N",
        help="spread the load over N worker processes on this machine",
    )
    scale.add_argument("--master", action="store_true", help="be the master of remote workers")
    scale.add_argument(
        "--expect-workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="with --master: workers to wait for (1)",
    )
    scale.add_argument(
        "--master-bind-host",
        default="127.0.0.1",
        metavar="HOST",
        help="with --master: the address workers reach (127.0.0.1)",
    )
    scale.add_argument("--worker", action="store_true", help="be a worker of a --master")
    scale.add_argument(
        "--master-host",
        default="127.0.0.1",
        metavar="HOST",
        help="with --worker: the master (127.0.0.1)",
    )
    scale.add_argument("--master-port", type=positive_int, default=5557, metavar="P", help="(5557)")


@dataclass(frozen=True)
class Stack:
    target: str
    stream_url: str | None


def _problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the options together, if anything."""
    if args.master and args.worker:
        return "--master and --worker exclude each other"
    if args.processes and (args.master or args.worker):
        return "--processes runs its own master and workers; leave out --master/--worker"
    if args.stream_url and not args.target:
        return "--stream-url goes with --target (without one, chatgate starts its own fake)"
    if args.profile == "fake-stream" and args.target:
        return "the fake-stream profile loads chatgate's own fake; leave out --target"
    if args.gates_file is not None:
        from chatgate.load.gates import GateFileError, read_thresholds

        try:
            read_thresholds(args.gates_file)
        except GateFileError as error:
            return str(error)
    return None


def _spawn(command: list[str], marker: str) -> tuple[subprocess.Popen[str], str]:
    from chatgate.postgres.signals import interruptible
    from chatgate.processes import read_until

    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        with interruptible():  # a stop request while it starts stops it
            seen = read_until(proc, marker, START_TIMEOUT_S)
    except BaseException:
        _stop(proc)
        raise
    line = next(x for x in seen.splitlines() if marker in x)
    return proc, line.split(marker, 1)[1].split()[0]


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@contextmanager
def _stack(args: argparse.Namespace) -> Iterator[Stack]:
    """The target to load: the given one, or the fake and the reference started here."""
    if args.target:
        yield Stack(args.target, args.stream_url)
        return
    chatgate = [sys.executable, "-m", "chatgate.cli"]
    with ExitStack() as stack:
        fake, stream_url = _spawn([*chatgate, "fake-stream", "--port", "0"], "listening on ")
        stack.callback(_stop, fake)
        print(f"fake Stream Chat on {stream_url}", flush=True)
        if args.profile == "fake-stream":
            yield Stack(stream_url, stream_url)
            return
        backend, target = _spawn(
            [*chatgate, "serve", "--test-mode", "--port", "0", "--stream-url", stream_url],
            "backend listening on ",
        )
        stack.callback(_stop, backend)
        print(f"reference backend on {target}", flush=True)
        yield Stack(target, stream_url)


def _locustfile() -> str:
    spec = find_spec(LOCUSTFILE)  # found, not imported: Locust is imported by Locust alone
    if spec is None or not spec.origin:
        raise RuntimeError(f"{LOCUSTFILE} is not installed")
    return spec.origin


def locust_command(args: argparse.Namespace, stack: Stack | None) -> list[str]:
    """The Locust command line for these options (`stack` is None for a worker)."""
    command = [sys.executable, "-m", "locust", "-f", _locustfile()]
    if stack is None:
        return [
            *command,
            "--worker",
            "--master-host",
            args.master_host,
            "--master-port",
            str(args.master_port),
        ]
    report = args.report_dir
    command += [
        PROFILES[args.profile],
        "--host", stack.target,
        "--users", str(args.users),
        "--spawn-rate", str(args.spawn_rate),
        "--run-time", args.duration,
        "--html", str(report / "report.html"),
        "--csv", str(report / "locust"),
        "--summary-json", str(report / "summary.json"),
        "--only-summary",
        "--ramp-steps", str(args.ramp_steps),
        "--spike-users", str(args.spike_users),
        "--spike-at", str(args.spike_at),
        "--spike-for", str(args.spike_for),
    ]  # fmt: skip
    if stack.stream_url:
        command += ["--stream-url", stack.stream_url]
    for option, value in (
        ("--p95-ms", args.p95_ms),
        ("--failure-ratio", args.failure_ratio),
        ("--gates-file", args.gates_file),
    ):
        if value is not None:
            command += [option, str(value)]
    if args.web:
        command += ["--web-host", "127.0.0.1", "--web-port", str(args.web_port), "--autostart"]
    else:
        command += ["--headless"]
    if args.processes:
        command += ["--processes", str(args.processes)]
    if args.master:
        command += [
            "--master", "--master-bind-host", args.master_bind_host,
            "--master-bind-port", str(args.master_port),
            "--expect-workers", str(args.expect_workers),
        ]  # fmt: skip
    return command


def run(args: argparse.Namespace) -> int:
    """Run `chatgate load` with parsed `args`; the exit status."""
    problem = _problem(args)
    if problem:
        print(f"chatgate load: error: {problem}", file=sys.stderr)
        return USAGE_ERROR
    env = {**os.environ, "CHATGATE_LOAD_SHAPE": args.shape}
    if args.worker:
        return _run_locust(locust_command(args, None), env)
    problem = report_dir_problem(args.report_dir)
    if problem:
        print(f"chatgate load: error: {problem}", file=sys.stderr)
        return USAGE_ERROR
    summary_file = args.report_dir / "summary.json"
    summary_file.unlink(missing_ok=True)
    with _stack(args) as stack:
        if not stack.stream_url:
            print("consistency: not checked (no --stream-url: Stream is not chatgate's fake)")
        if args.web:
            print(f"Locust web UI on http://127.0.0.1:{args.web_port} (Ctrl-C stops)", flush=True)
        log = args.report_dir / "locust.log"
        print(f"Locust: {args.users} users for {args.duration}, its output in {log}", flush=True)
        with log.open("w", encoding="utf-8") as output:
            status = _run_locust(locust_command(args, stack), env, output)
    return _report(summary_file, status, args.report_dir)


def _run_locust(command: list[str], env: dict[str, str], output: IO[str] | None = None) -> int:
    """Run Locust to its end; a stop request (Ctrl-C, SIGTERM) asks it to stop as Locust
    stops: the run so far is reported and gated. Locust runs in a session of its own, so
    a terminal's Ctrl-C reaches it once, from here."""
    from chatgate.postgres.signals import interruptible

    proc: subprocess.Popen[bytes] | None = None
    try:
        with interruptible():
            proc = subprocess.Popen(
                command, env=env, stdout=output, stderr=output, start_new_session=True
            )
            return proc.wait()
    except BaseException:
        if proc is None or proc.poll() is not None:
            raise
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise


def _report(summary_file: Path, status: int, report_dir: Path) -> int:
    from rich.console import Console

    from chatgate.load.summary import render

    if not summary_file.exists():
        log = report_dir / "locust.log"
        tail = "\n".join(log.read_text(encoding="utf-8").splitlines()[-15:]) if log.exists() else ""
        print(
            f"chatgate load: Locust ended (status {status}) without a summary:\n{tail}",
            file=sys.stderr,
        )
        return status or GATE_FAILED
    # A log or a CI page is wider than the 80 columns rich assumes off a terminal.
    console = Console() if sys.stdout.isatty() else Console(width=REPORT_WIDTH)
    render(json.loads(summary_file.read_text(encoding="utf-8")), console)
    print(
        f"reports: {report_dir / 'report.html'}, {report_dir}/locust_*.csv, {summary_file}, "
        f"{report_dir / 'locust.log'}"
    )
    return status
