"""Where a stop request (SIGINT, SIGTERM) may interrupt the main thread, and where not.

A signal handler that raises (the command line's does during start-up) can interrupt the
main thread between any two bytecodes. Between spawning a process and keeping its handle,
or making a directory and registering its removal, that leaves the process or the
directory behind; inside a library call it can leave a half-made connection or a thread
starting on a socket that is being closed. So:

- `deferred()` holds SIGINT/SIGTERM back for its body (they stay pending and are handled
  as soon as it ends). chatgate wraps its own critical steps in it, and the command line
  holds the signals back for the whole of its start-up;
- `interruptible()` lets them in for its body even so: the long waits that are safe to cut
  short (initdb, waiting for the server to accept connections, a container starting, a
  connection to a server the user named) use it, so a stop request never waits for them;
- `unblocked_in_child()` is a preexec_fn for children spawned while the signals are held
  back, which would otherwise inherit the blocked mask.

Only the main thread runs Python signal handlers, and only its mask is changed: threads
started while the signals are held back inherit the blocked mask, so they never take one.
Elsewhere (another thread, a platform without pthread_sigmask) these do nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator

STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


def _masking_applies() -> bool:
    return (
        hasattr(signal, "pthread_sigmask") and threading.current_thread() is threading.main_thread()
    )


@contextlib.contextmanager
def _mask(how: int) -> Iterator[None]:
    if not _masking_applies():
        yield
        return
    previous = signal.pthread_sigmask(how, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def deferred() -> contextlib.AbstractContextManager[None]:
    """Hold SIGINT/SIGTERM back while the body runs."""
    return _mask(signal.SIG_BLOCK)


def interruptible() -> contextlib.AbstractContextManager[None]:
    """Let SIGINT/SIGTERM in while the body runs, even if the caller holds them back."""
    return _mask(signal.SIG_UNBLOCK)


def unblocked_in_child(then: Callable[[], None] | None = None) -> Callable[[], None] | None:
    """A preexec_fn unblocking SIGINT/SIGTERM in the child when this thread has them blocked
    (then running `then`, another preexec_fn); just `then` when it has not."""
    if not hasattr(signal, "pthread_sigmask"):
        return then
    if not STOP_SIGNALS & set(signal.pthread_sigmask(signal.SIG_BLOCK, ())):
        return then

    def preexec() -> None:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        if then is not None:
            then()

    return preexec
