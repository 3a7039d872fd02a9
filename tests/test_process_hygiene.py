"""Stopping `chatgate serve` / `chatgate fake-stream` with SIGTERM or SIGINT at any moment.

Each case starts the command as a user does (a subprocess, embedded PostgreSQL in a private
work area), sends the signal at one moment of its life, and checks what a user would see
and what the machine keeps: the documented exit status and one "stopped" line, no
traceback, no process left from the command's tree, no `chatgate-pg-*` work directory and
none of the PostgreSQL shared memory segments they mapped left in /dev/shm.

Descendants are followed two ways: /proc is sampled while the command runs, and this test
process is a child subreaper, so anything that outlives its parent is re-parented here
and shows up as a child of ours.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from chatgate.cli import STOPPED_STATUS
from chatgate.postgres.embedded import WORKDIR_PREFIX

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="follows processes through /proc"
)

CLI = [sys.executable, "-m", "chatgate.cli"]
DEADLINE_S = 60.0
_POLL_S = 0.002
_WHAT = {"serve": "chatgate reference backend", "fake-stream": "fake Stream Chat"}
_READY = {"serve": "backend listening on", "fake-stream": "fake Stream Chat listening on"}
_REQUEST_PATH = {"serve": "/healthz", "fake-stream": "/_fake/state"}


# -- processes, from /proc -------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    state: str
    started: int  # clock ticks after boot: tells a process from a later one with its pid
    comm: str


def _read_proc(pid: int) -> Proc | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = stat[stat.index("(") + 1 : stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2 :].split()
    return Proc(pid, int(fields[1]), fields[0], int(fields[19]), comm)


def processes() -> dict[int, Proc]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            proc = _read_proc(int(entry))
            if proc is not None:
                found[proc.pid] = proc
    return found


def descendants(root: int, table: dict[int, Proc]) -> list[Proc]:
    children: dict[int, list[Proc]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc)
    found, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child.pid)
    return found


def alive(proc: Proc) -> bool:
    """Still running: same pid *and* start time, and not a zombie waiting to be reaped."""
    now = _read_proc(proc.pid)
    return now is not None and now.started == proc.started and now.state not in ("Z", "X")


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def catches(pid: int, signum: int) -> bool:
    """True once `pid` has a handler for `signum` (its SigCgt mask in /proc)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    found = re.search(r"^SigCgt:\s*([0-9a-f]+)$", status, re.M)
    return found is not None and bool(int(found.group(1), 16) & (1 << (signum - 1)))


@contextlib.contextmanager
def adopting_orphans() -> Iterator[None]:
    """Make this process the subreaper of its orphaned descendants (Linux)."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    pr_set_child_subreaper = 36
    if prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        pytest.skip("cannot become a child subreaper")
    try:
        yield
    finally:
        prctl(pr_set_child_subreaper, 0, 0, 0, 0)


def shared_memory_mapped(pid: int) -> set[str]:
    """The PostgreSQL POSIX shared memory segments (/dev/shm/PostgreSQL.*) `pid` maps."""
    try:
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return set()
    return set(re.findall(r"/dev/shm/(PostgreSQL\.\d+)", maps))


class Sampler:
    """Records every descendant of `root` seen in /proc while it runs, and the PostgreSQL
    shared memory segments they map (a server that does not shut down cleanly leaves them
    in /dev/shm)."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.seen: dict[tuple[int, int], Proc] = {}
        self.segments: set[str] = set()
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self, maps: bool = False) -> list[Proc]:
        found = descendants(self.root, processes())
        segments = set()
        if maps:
            for proc in found:
                if proc.comm == "postgres":
                    segments |= shared_memory_mapped(proc.pid)
        with self._lock:
            for proc in found:
                self.seen[(proc.pid, proc.started)] = proc
            self.segments |= segments
        return found

    def _run(self) -> None:
        count = 0
        while not self._done.is_set():
            self.sample(maps=count % 10 == 0)
            count += 1
            self._done.wait(_POLL_S)

    def stop(self) -> list[Proc]:
        self._done.set()
        self._thread.join(timeout=10)
        with self._lock:
            return list(self.seen.values())


def poll(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if check():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the command exited ({proc.returncode}) before {what}")
        time.sleep(_POLL_S)
    raise AssertionError(f"not seen within {DEADLINE_S:.0f}s: {what}")


# -- the moments -----------------------------------------------------------------------------


class Output:
    """The command's stdout, read straight from the pipe (no buffer for a selector to
    miss lines in), with a deadline."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self._fd = proc.stdout.fileno()
        self.text = ""

    def line_with(self, marker: str) -> str:
        """Wait for a whole line containing `marker`; returns it."""
        deadline = time.monotonic() + DEADLINE_S
        while True:
            for line in self.text.splitlines(keepends=True):
                if marker in line and line.endswith("\n"):
                    return line
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{marker!r} not printed; output so far:\n{self.text}")
            if select.select([self._fd], [], [], remaining)[0]:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    raise AssertionError(f"stdout closed before {marker!r}:\n{self.text}")
                self.text += chunk.decode(errors="replace")


@dataclass(frozen=True)
class Run:
    proc: subprocess.Popen[bytes]
    command: str
    sampler: Sampler
    output: Output


def handlers_installed(run: Run) -> None:
    """As soon as the command handles SIGTERM (it installs both handlers first thing)."""
    poll("the SIGTERM handler", lambda: catches(run.proc.pid, signal.SIGTERM), run.proc)


def initdb_running(run: Run) -> None:
    def seen() -> bool:
        return any(p.comm == "initdb" for p in run.sampler.sample())

    poll("initdb running", seen, run.proc)


def postgres_starting(run: Run) -> None:
    """The server process has been spawned; it may still be starting."""

    def seen() -> bool:
        return any(
            p.comm == "postgres" and p.ppid == run.proc.pid and "-p" in cmdline(p.pid)
            for p in run.sampler.sample()
        )

    poll("the PostgreSQL server process", seen, run.proc)


def first_line(run: Run) -> None:
    run.output.line_with("")


def ready_line(run: Run) -> None:
    run.output.line_with(_READY[run.command])


def after_a_request(run: Run) -> None:
    line = run.output.line_with(_READY[run.command])
    base_url = line.split(_READY[run.command])[1].split()[0]
    response = requests.get(base_url + _REQUEST_PATH[run.command], timeout=10)
    assert response.status_code == 200, response.text


@dataclass(frozen=True)
class Case:
    command: str
    moment: Callable[[Run], None]
    signum: signal.Signals
    repeat: bool = False  # keep signalling, alternating SIGTERM/SIGINT, until it exits

    def __str__(self) -> str:
        more = "-then-more-signals" if self.repeat else ""
        return f"{self.command}-{self.signum.name}-{self.moment.__name__}{more}"


TERM, INT = signal.SIGTERM, signal.SIGINT
CASES = [
    Case("serve", handlers_installed, TERM),
    Case("serve", initdb_running, INT),
    Case("serve", postgres_starting, TERM),
    Case("serve", postgres_starting, INT, repeat=True),
    Case("serve", first_line, INT),
    Case("serve", ready_line, TERM),
    Case("serve", ready_line, INT),
    Case("serve", after_a_request, TERM),
    Case("serve", after_a_request, INT),
    Case("serve", after_a_request, TERM, repeat=True),
    Case("fake-stream", handlers_installed, INT),
    Case("fake-stream", handlers_installed, TERM),
    Case("fake-stream", ready_line, TERM),
    Case("fake-stream", ready_line, INT),
    Case("fake-stream", after_a_request, INT),
    Case("fake-stream", after_a_request, TERM, repeat=True),
]


# -- the test --------------------------------------------------------------------------------


def _traversable_by_everyone(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


@pytest.fixture
def pg_tmpdir() -> Iterator[Path]:
    """A private base for the embedded server's work directories that the server's OS
    user (another account under root) can still reach: tmp_path may sit in a 0700 dir."""
    bases = [Path("/dev/shm"), Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")]
    base = next(
        (
            b.resolve()
            for b in bases
            if b.is_dir() and os.access(b, os.W_OK) and _traversable_by_everyone(b.resolve())
        ),
        None,
    )
    if base is None:
        pytest.skip("no temporary directory that other users can traverse")
    path = Path(tempfile.mkdtemp(prefix="chatgate-hygiene-", dir=base))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)  # holds something only after a failure


def _children_of_this_process() -> set[int]:
    return {p.pid for p in processes().values() if p.ppid == os.getpid()}


def _where(pid: int) -> str:
    """What the kernel says a stuck process is doing (state, syscall, threads, children)."""
    lines = []
    for name in ("wchan", "syscall"):
        with contextlib.suppress(OSError):
            lines.append(f"{name}: {Path(f'/proc/{pid}/{name}').read_text().strip()}")
    with contextlib.suppress(OSError):
        lines += [f"thread {t}: {_read_proc(int(t))}" for t in os.listdir(f"/proc/{pid}/task")]
    lines += [f"descendant: {p}" for p in descendants(pid, processes())]
    return "\n".join(lines)


def _end_and_reap(pids: set[int]) -> None:
    """Reap what was re-parented here; after a failure, first end it: SIGINT (PostgreSQL's
    fast shutdown, which also frees its shared memory), SIGKILL past a deadline."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + 10
    pending = set(pids)
    while pending:
        for pid in list(pending):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    if time.monotonic() < deadline:
                        continue
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
            pending.discard(pid)
        if pending:
            time.sleep(_POLL_S)


def _signal_until_exit(proc: subprocess.Popen[bytes], first: signal.Signals) -> None:
    order = [first, INT if first == TERM else TERM]
    deadline = time.monotonic() + DEADLINE_S
    sent = 0
    while time.monotonic() < deadline:
        proc.send_signal(order[sent % 2])
        sent += 1
        try:
            proc.wait(timeout=_POLL_S)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.mark.parametrize("case", CASES, ids=str)
def test_a_stop_signal_at_any_moment_leaves_no_process_and_no_work_directory(
    case: Case, pg_tmpdir: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CHATGATE_DATABASE_URL"}
    env.update(CHATGATE_POSTGRES_PROVIDER="embedded", CHATGATE_PG_TMPDIR=str(pg_tmpdir))
    env["PYTHONFAULTHANDLER"] = "1"
    args = ["serve", "--test-mode"] if case.command == "serve" else ["fake-stream"]
    with adopting_orphans():
        before = _children_of_this_process()
        proc = subprocess.Popen(
            [*CLI, *args, "--port", "0"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            env=env,
        )
        sampler = Sampler(proc.pid)
        output = Output(proc)
        try:
            try:
                case.moment(Run(proc, case.command, sampler, output))
                if case.repeat:
                    _signal_until_exit(proc, case.signum)
                else:
                    proc.send_signal(case.signum)
                rest, errors = proc.communicate(timeout=DEADLINE_S)
            except (AssertionError, subprocess.TimeoutExpired) as exc:
                where = _where(proc.pid)
                proc.send_signal(signal.SIGABRT)  # where was it stuck? (PYTHONFAULTHANDLER)
                more, stuck = (b.decode(errors="replace") for b in proc.communicate())
                raise AssertionError(
                    f"{exc}\n{where}\nstdout:\n{output.text}{more}\nstderr:\n{stuck}"
                ) from None
            out = output.text + rest.decode(errors="replace")
            err = errors.decode(errors="replace")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate(timeout=DEADLINE_S)
            seen = sampler.stop()
        # checked at once: the command must have waited for everything it started
        survivors = [p for p in seen if alive(p)]
        adopted = _children_of_this_process() - before - {proc.pid}
        survivors += [p for pid in adopted if (p := _read_proc(pid)) and alive(p)]
        _end_and_reap(adopted)

    last = out.strip().splitlines()[-1] if out.strip() else ""
    print(f"signal case {CASES.index(case) + 1} of {len(CASES)}: {case}: {last!r}")
    assert not survivors, f"left running: {survivors}"
    assert not [e.name for e in pg_tmpdir.iterdir() if e.name.startswith(WORKDIR_PREFIX)]
    assert not [name for name in sampler.segments if Path("/dev/shm", name).exists()]
    assert "Traceback" not in err, err
    assert proc.returncode == STOPPED_STATUS, (out, err)
    assert re.fullmatch(rf"{_WHAT[case.command]} stopped( by SIG(TERM|INT))?", last), out
    if case.command == "serve" and case.moment not in (handlers_installed, initdb_running):
        assert any(p.comm == "postgres" for p in seen), "the case should have met PostgreSQL"
