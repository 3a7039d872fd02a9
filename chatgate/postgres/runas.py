"""Which OS user runs the embedded server: ourselves, or (as root) an unprivileged account.

`initdb` and `postgres` refuse to run as root, so under root (CI) chatgate uses the system
account `chatgate-pg`, creating it with `useradd --system` if it is missing, and falls back
to `nobody`. `CHATGATE_PG_OS_USER` names another existing account to use instead.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass

from chatgate.postgres.errors import ProviderFailed
from chatgate.postgres.signals import deferred, unblocked_in_child

log = logging.getLogger(__name__)

DEFAULT_OS_USER = "chatgate-pg"
FALLBACK_OS_USER = "nobody"
OS_USER_ENV = "CHATGATE_PG_OS_USER"


@dataclass(frozen=True)
class OsUser:
    """An OS account to run the server processes as."""

    name: str
    uid: int
    gid: int

    @property
    def is_current(self) -> bool:
        """True when this is the account we already run as (no switching needed)."""
        return self.uid == os.geteuid()

    def subprocess_kwargs(self) -> dict[str, object]:
        """Arguments for `subprocess` that run the child as this user (nothing if it is us)."""
        if self.is_current:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def current_user() -> OsUser:
    """The account this process runs as."""
    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    return OsUser(name=name, uid=uid, gid=os.getegid())


def _lookup(name: str) -> OsUser | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return OsUser(name=entry.pw_name, uid=entry.pw_uid, gid=entry.pw_gid)


def _create_system_user(name: str) -> str | None:
    """Try `useradd --system`; returns why it failed, or None on success."""
    useradd = shutil.which("useradd") or next(
        (p for p in ("/usr/sbin/useradd", "/sbin/useradd") if os.path.exists(p)), None
    )
    if useradd is None:
        return "useradd not found"
    nologin = shutil.which("nologin") or "/usr/sbin/nologin"
    command = [useradd, "--system", "--user-group", "--no-create-home"]
    command += ["--home-dir", "/nonexistent", "--shell", nologin, name]
    # Not to be cut short by a stop request: a killed useradd can leave /etc/passwd locked.
    with deferred():
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            preexec_fn=unblocked_in_child(),
        )
    if result.returncode == 0 or _lookup(name) is not None:  # a parallel worker may have won
        log.info("created system user %s to run the embedded PostgreSQL server", name)
        return None
    return f"useradd exited {result.returncode}: {result.stderr.strip()}"


def server_user(environ: Mapping[str, str] | None = None) -> OsUser:
    """The account to run initdb/postgres as: us unless we are root."""
    if os.geteuid() != 0:
        return current_user()
    environ = os.environ if environ is None else environ
    wanted = environ.get(OS_USER_ENV, "").strip()
    if wanted:
        user = _lookup(wanted)
        if user is None:
            raise ProviderFailed(f"{OS_USER_ENV}={wanted!r} names no existing OS user")
        if user.uid == 0:
            raise ProviderFailed(f"{OS_USER_ENV}={wanted!r} is root; PostgreSQL refuses root")
        return user
    user = _lookup(DEFAULT_OS_USER)
    if user is None:
        why = _create_system_user(DEFAULT_OS_USER)
        user = _lookup(DEFAULT_OS_USER)
        if user is None:
            log.info("cannot create %s (%s); using %s", DEFAULT_OS_USER, why, FALLBACK_OS_USER)
            user = _lookup(FALLBACK_OS_USER)
    if user is None:
        raise ProviderFailed(
            f"running as root and neither {DEFAULT_OS_USER!r} could be created "
            f"nor {FALLBACK_OS_USER!r} exists; set {OS_USER_ENV} to an unprivileged account"
        )
    return user
