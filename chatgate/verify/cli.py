"""`chatgate verify`: does this backend still keep the chat contract? One command runs the
Gherkin suites (through pytest) and answers with the seeds' checklists.

    chatgate verify                                   # everything, on the embedded defaults
    chatgate verify --target http://127.0.0.1:8080 --stream-url http://127.0.0.1:3030
    chatgate verify --chat-target http://127.0.0.1:8081
    chatgate verify --migration-command "python migrate.py"

With no target at all, every suite runs against the reference (the conversation half
with the fake Stream, the migration, the user-based chat) on the embedded PostgreSQL.
Naming a target runs the suites it names only. Exit status: 0 every selected scenario
passed (a skip says why and is not a failure), 1 one failed, 2 a mistake in the options
or no scenario selected, 6 the preflight of an http target found a problem (one message
says what), 3 pytest itself failed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chatgate.cliargs import http_url, nonblank, report_dir_problem

USAGE_ERROR = 2
FAILED_RUN = 1
PYTEST_FAILED = 3
PREFLIGHT_FAILED = 6  # as chatgate.fixtures.targets.preflight
NO_TESTS = 5  # pytest's own "no tests collected"
PYTEST_USAGE_ERROR = 4  # pytest's own: e.g. an unknown tag in --tags
REPORT_WIDTH = 120


# Options of the conversation suite that verify hands on as they are.
PASSED_ON = (
    ("--stream-api-key", "the fake app's api key (default STREAM_API_KEY, else the dev key)"),
    ("--stream-api-secret", "the fake app's api secret (default STREAM_API_SECRET, else dev)"),
    ("--stream-user-id-format", "the backend's Stream user ids (default onecrew_{kind}_{id})"),
    ("--channel-type", "the backend's Stream channel type (default messaging)"),
    ("--company-role", "the Stream role the backend gives companies (default company)"),
)


@dataclass(frozen=True)
class Suite:
    """One Gherkin suite: its module in chatgate.features and what selects it."""

    name: str
    module: str
    options: tuple[str, ...]


def _target(text: str) -> str:
    return "reference" if text == "reference" else http_url(text)


def add_parser(sub: Any) -> None:
    """The `verify` command, on the top-level subparsers."""
    verify = sub.add_parser(
        "verify",
        help="run the contract's Gherkin suites against a backend; the seeds' checklists",
        description="Does this backend still keep the chat contract? Runs the Gherkin suites "
        "through pytest and prints the seeds' checklists with a mark per item, then every "
        "failure: the item, the scenario, the step and why. With no target every suite runs "
        "against the reference on the embedded defaults; naming a target runs its suite "
        "only. Exit status: 0 every selected scenario passed, 1 one failed, 2 a mistake in "
        "the options, 3 pytest failed, 6 an http target's preflight found a problem. "
        "Reports (cucumber JSON, JUnit XML, an HTML page) go to --report-dir.",
    )
    verify.add_argument(
        "--target", type=_target, metavar="reference|URL",
        help="the conversation half's backend (company-to-user checklist); an http(s) URL "
        "needs --stream-url",
    )  # fmt: skip
    verify.add_argument(
        "--stream-url", type=http_url, metavar="URL",
        help="the chatgate fake Stream (`chatgate fake-stream`) the --target backend uses",
    )  # fmt: skip
    verify.add_argument(
        "--chat-target", type=_target, metavar="reference|URL",
        help="the user-based chat backend (the migration quick start's checklist)",
    )  # fmt: skip
    verify.add_argument(
        "--migration-command", type=nonblank, metavar="CMD",
        help="a team's migration script, run with DATABASE_URL set, held to the migration "
        "scenarios",
    )  # fmt: skip
    verify.add_argument(
        "--tags", type=nonblank, metavar="EXPR",
        help="only the scenarios whose tags match, e.g. 'privacy and not media' (pytest -m)",
    )  # fmt: skip
    verify.add_argument(
        "--report-dir", type=Path, default=Path("chatgate-report"), metavar="DIR",
        help="where cucumber.json, junit.xml and checklists.html go (default chatgate-report)",
    )  # fmt: skip
    verify.add_argument(
        "--backend-log", type=Path, metavar="FILE",
        help="the --target backend's log (JSON lines or text), for the log scenario",
    )  # fmt: skip
    backend = verify.add_argument_group(
        "the --target backend's Stream settings (docs/backend-contract.md, section 1)"
    )
    for option, meaning in PASSED_ON:
        backend.add_argument(option, type=nonblank, metavar="VALUE", help=meaning)


def suites(args: argparse.Namespace) -> list[Suite]:
    """The suites to run and their pytest options."""
    everything = not (args.target or args.chat_target or args.migration_command)
    chosen = []
    if everything or args.target:
        options = [f"--target={args.target or 'reference'}"]
        if args.stream_url:
            options.append(f"--stream-url={args.stream_url}")
        if args.backend_log:
            # pytest runs in the report folder: the log's path must not depend on it.
            options.append(f"--backend-log={args.backend_log.resolve()}")
        for option, _ in PASSED_ON:
            value = getattr(args, option.removeprefix("--").replace("-", "_"))
            if value is not None:
                options.append(f"{option}={value}")
        chosen.append(Suite("conversations", "test_features.py", tuple(options)))
    if everything or args.migration_command:
        option = (
            f"--migration-command={args.migration_command}"
            if args.migration_command
            else "--migration=reference"
        )
        chosen.append(Suite("migration", "test_migration_features.py", (option,)))
    if everything or args.chat_target:
        chosen.append(
            Suite(
                "chat",
                "test_chat_features.py",
                (f"--chat-target={args.chat_target or 'reference'}",),
            )
        )
    return chosen


def _problem(args: argparse.Namespace) -> str | None:
    if args.target and args.target != "reference" and not args.stream_url:
        return "--target URL needs --stream-url: the chatgate fake Stream that backend uses"
    if args.stream_url and not (args.target and args.target != "reference"):
        return "--stream-url goes with an http(s) --target"
    if args.backend_log and not args.target:
        return "--backend-log goes with --target"
    given = [o for o, _ in PASSED_ON if getattr(args, o.removeprefix("--").replace("-", "_"))]
    if given and not args.target:
        return f"{given[0]} goes with --target"
    if args.backend_log and not args.backend_log.is_file():
        return f"--backend-log: no such file: {args.backend_log}"
    return None


def pytest_command(chosen: list[Suite], args: argparse.Namespace) -> list[str]:
    from chatgate.fixtures.targets.runner import features_dir

    report = args.report_dir.resolve()
    command = [
        sys.executable, "-m", "pytest",
        *(str(features_dir() / s.module) for s in chosen),
        "-p", "chatgate.verify.progress", "-p", "no:cacheprovider", "-q", "-rN",
        f"--cucumberjson={report / 'cucumber.json'}",
        f"--junitxml={report / 'junit.xml'}",
        "-o", "junit_family=xunit2",
        *(o for s in chosen for o in s.options),
    ]  # fmt: skip
    if args.tags:
        command += ["-m", args.tags]
    return command


@contextmanager
def _progress_pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    try:
        yield read_fd, write_fd
    finally:
        for fd in (read_fd, write_fd):
            with suppress(OSError):  # the child's end is closed once it started
                os.close(fd)


def _run_pytest(command: list[str], log: Path, cwd: Path) -> int:
    """Run pytest with its output in `log`, showing progress from its events meanwhile."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from chatgate.postgres.signals import interruptible

    from .progress import PROGRESS_FD_ENV

    with _progress_pipe() as (read_fd, write_fd), log.open("w", encoding="utf-8") as out:
        env = {**os.environ, PROGRESS_FD_ENV: str(write_fd)}
        with Progress(
            TextColumn("[bold]scenarios"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"), TimeElapsedColumn(),
            transient=False,
        ) as progress:  # fmt: skip
            task = progress.add_task("scenarios", total=None, failed=0)
            proc = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=cwd, pass_fds=(write_fd,),
            )  # fmt: skip
            os.close(write_fd)  # the child holds it now: the pipe ends when pytest does
            failed = 0

            def follow() -> None:
                nonlocal failed
                with os.fdopen(os.dup(read_fd), encoding="utf-8") as events:
                    for line in events:
                        event = json.loads(line)
                        if event["event"] == "collected":
                            progress.update(task, total=event["count"])
                        elif event["event"] == "done":
                            failed += event["outcome"] == "failed"
                            progress.update(task, advance=1, failed=failed)

            reader = threading.Thread(target=follow, daemon=True)
            reader.start()
            try:
                with interruptible():
                    status = proc.wait()
            finally:
                if proc.poll() is None:
                    proc.terminate()
                    proc.wait()
            reader.join(timeout=30)
    return status


def run(args: argparse.Namespace) -> int:
    """Run `chatgate verify` with parsed `args`; the exit status."""
    problem = _problem(args) or report_dir_problem(args.report_dir)
    if problem:
        print(f"chatgate verify: error: {problem}", file=sys.stderr)
        return USAGE_ERROR
    report = args.report_dir
    for name in ("cucumber.json", "junit.xml", "checklists.html", "pytest.log"):
        (report / name).unlink(missing_ok=True)
    chosen = suites(args)
    print("chatgate verify: " + ", ".join(f"{s.name} ({' '.join(s.options)})" for s in chosen))
    status = _run_pytest(pytest_command(chosen, args), report / "pytest.log", report.resolve())
    return _answer(status, args, chosen)


def _tail(log: Path, lines: int = 25) -> str:
    text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
    return "\n".join(text.strip().splitlines()[-lines:])


def _answer(status: int, args: argparse.Namespace, chosen: list[Suite]) -> int:
    from rich.console import Console

    from . import checklists, html, results, terminal
    from .checklist_map import items

    report = args.report_dir
    log = report / "pytest.log"
    if status == PREFLIGHT_FAILED:
        problems = [
            line.strip().removesuffix("!").strip()
            for line in _tail(log, 40).splitlines()
            if line.startswith("  - ")
        ]
        said = "\n".join(problems) or _tail(log, 15)
        print(f"chatgate verify: the preflight failed; no scenario ran:\n{said}", file=sys.stderr)
        return PREFLIGHT_FAILED
    if status == PYTEST_USAGE_ERROR:
        errors = [line for line in _tail(log, 40).splitlines() if line.startswith("ERROR:")]
        said = errors[-1].removeprefix("ERROR:").strip() if errors else _tail(log, 5)
        print(f"chatgate verify: error: {said}", file=sys.stderr)
        return USAGE_ERROR
    if status == NO_TESTS:
        print(f"chatgate verify: error: no scenario matches --tags {args.tags!r}", file=sys.stderr)
        return USAGE_ERROR
    junit = report / "junit.xml"
    if status not in (0, 1) or not junit.exists():
        print(f"chatgate verify: pytest failed (status {status}):\n{_tail(log)}", file=sys.stderr)
        return PYTEST_FAILED
    cucumber = report / "cucumber.json"
    raw = json.loads(cucumber.read_text(encoding="utf-8")) if cucumber.exists() else []
    outcomes = results.read(raw, junit.read_text(encoding="utf-8"))
    judged = checklists.judge(items(), outcomes)
    passed = checklists.verdict(outcomes) and status == 0
    console = Console() if sys.stdout.isatty() else Console(width=REPORT_WIDTH)
    terminal.checklist_tables(judged, console)
    terminal.failures(judged, outcomes, console)
    terminal.summary_line(passed, outcomes, console)
    targets = "; ".join(f"{s.name}: {' '.join(s.options)}" for s in chosen)
    (report / "checklists.html").write_text(
        html.page(judged, outcomes, passed=passed, title="chatgate verify", meta=targets),
        encoding="utf-8",
    )
    console.print(
        f"reports: {report / 'checklists.html'}, {cucumber}, {junit}, {log}", soft_wrap=True
    )
    return 0 if passed else FAILED_RUN
