"""The `chatgate` command line.

Stopping: SIGINT (Ctrl-C) or SIGTERM stops any command cleanly at any moment, during
start-up too (PostgreSQL's initdb can take seconds): everything it started is stopped and
removed, one line says so, and the exit status is 0, as for any stop the user asked for.

The handlers are installed before anything is imported, started or printed. During
start-up the signals are held back except in the waits that are safe to cut short (see
`chatgate.postgres.signals`): there the first one raises StopRequested, which unwinds
whatever has started; arriving anywhere else it is handled as soon as the step at hand is
done (milliseconds). While serving it ends the wait. From then on, and during any clean-up,
further signals are ignored so that nothing cuts the clean-up short.
"""

from __future__ import annotations

import argparse
import gc
import ipaddress
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from chatgate import __version__, load_cli, migrate_cli
from chatgate.verify import cli as verify_cli

if TYPE_CHECKING:
    from chatgate.fakes.stream.credentials import Credentials

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)  # as chatgate.postgres.signals, unimported yet
STOPPED_STATUS = 0
"""Exit status after SIGINT/SIGTERM: the user asked for the stop, so it is a success."""

_WHAT = {
    "fake-stream": "fake Stream Chat",
    "serve": "chatgate reference backend",
    "serve-chat": "chatgate chat",
    "demo": "chatgate demo",
    "migrate": "chatgate migrate",
    "load": "chatgate load",
    "verify": "chatgate verify",
}


class StopRequested(BaseException):
    """SIGINT/SIGTERM while a command is still starting: raised in the main thread (only in
    a wait that is safe to cut short) so every `with` block that started something unwinds
    and stops it. A BaseException, so no `except Exception` on the way swallows it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name


class StopSignals:
    """SIGINT and SIGTERM for the life of one command (and the interpreter's exit after it).

    The first one raises StopRequested while the command starts up, or just ends `wait()`
    once it serves. Any later one is ignored, as is every one after `finish()`: the command
    is stopping, and nothing may cut its clean-up short.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._state = "starting"
        # A pipe, not a threading.Event: the handler runs in the main thread, possibly in
        # the middle of the very wait it ends, and an Event's set() there would wait for
        # the lock that wait holds (a deadlock seen once in CI). A write is always safe.
        self._wake_read, self._wake_write = os.pipe()
        os.set_blocking(self._wake_write, False)  # set_wakeup_fd requires it
        self._installed = False

    def install(self) -> None:
        """Handle the signals, and hold them back until `interruptible()` or `wait()`."""
        if threading.current_thread() is not threading.main_thread():
            return  # only the main thread may set handlers (and it alone runs them)
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)
        self._installed = True

    def _handle(self, signum: int, _frame: object) -> None:
        state, self._state = self._state, "stopping"
        if state == "stopping":
            return
        self.received = signum
        os.write(self._wake_write, b"\0")
        if state == "starting":
            raise StopRequested(signum)

    def wait(self) -> None:
        """Serve until SIGINT or SIGTERM arrives (one held back during start-up ends it at
        once)."""
        from chatgate.postgres.signals import interruptible

        if self._state == "starting":
            self._state = "serving"
        # A thread started while the main thread had the signals let in (a library's,
        # during a wait in `interruptible()`) can take a process-directed signal: the C
        # handler then runs there, and the main thread's blocking read would never learn
        # of it. With the pipe as the wakeup fd, that handler writes to it from any thread.
        previous = signal.set_wakeup_fd(self._wake_write) if self._installed else -1
        try:
            with interruptible():
                os.read(self._wake_read, 1)
        finally:
            if self._installed:
                signal.set_wakeup_fd(previous)

    def finish(self) -> None:
        """The command is done: ignore the signals from now on, also while the interpreter
        exits (it resets Python handlers to the default, which would end the process by
        the signal and change its exit status, but it keeps SIG_IGN)."""
        self._state = "stopping"
        if self._installed:
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_IGN)


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a whole number, got {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 0 and 65535, got {value}")
    return value


def _nonempty(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_parser() -> argparse.ArgumentParser:
    from chatgate.fakes.stream.credentials import DEV_API_KEY
    from chatgate.naming import DEFAULT_CHANNEL_TYPE, DEFAULT_STREAM_USER_ID_FORMAT

    parser = argparse.ArgumentParser(
        prog="chatgate",
        description="Contract checks for chat backends on Stream Chat and PostgreSQL.",
    )
    parser.add_argument("--version", action="version", version=f"chatgate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    fake = sub.add_parser(
        "fake-stream",
        help="run the in-memory fake Stream Chat server",
        description="Serve an in-memory Stream Chat v1 API that the official SDKs talk to "
        "unchanged. Key and secret default to STREAM_API_KEY/STREAM_API_SECRET, else to "
        f"development values (api key {DEV_API_KEY!r}).",
    )
    fake.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    fake.add_argument(
        "--port", type=_port, default=3030, help="port to bind, 0 picks a free one (default 3030)"
    )
    fake.add_argument("--api-key", type=_nonempty, help="api key of the fake app")
    fake.add_argument("--api-secret", type=_nonempty, help="api secret of the fake app")
    fake.add_argument("--seed", type=int, help="seed for generated ids (reproducible runs)")
    fake.add_argument(
        "--enforce-rate-limits",
        type=int,
        metavar="PER_MINUTE",
        help="answer 429 (code 9) past this many calls per operation per minute",
    )

    serve = sub.add_parser(
        "serve",
        help="run the reference chat backend (HTTP API over PostgreSQL and Stream Chat)",
        description="Serve the reference backend's documented chat API. PostgreSQL: "
        "--database-url, else CHATGATE_DATABASE_URL / Docker / embedded (a fresh database). "
        "Stream Chat: --stream-url, else a fake Stream server started alongside.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=_port, default=8080, help="port to bind, 0 picks a free one (default 8080)"
    )
    serve.add_argument("--database-url", type=_nonempty, help="PostgreSQL URL to use as is")
    serve.add_argument(
        "--stream-url", type=_nonempty, help="Stream Chat base URL (default: start a fake)"
    )
    serve.add_argument("--api-key", type=_nonempty, help="Stream api key")
    serve.add_argument("--api-secret", type=_nonempty, help="Stream api secret")
    serve.add_argument(
        "--test-mode",
        action="store_true",
        help="enable POST /api/test/provider-state (seeds users, companies, memberships)",
    )
    serve.add_argument(
        "--mutant",
        metavar="NAME",
        help="serve a known-bad variant instead of the reference, to see a gate catch it "
        "(e.g. recipient-not-upserted, the incident's bug; an unknown name lists them all)",
    )
    serve.add_argument(
        "--role-policy",
        choices=("least-privilege", "app-admin"),
        default="least-privilege",
        help="Stream roles: companies get the custom role 'company' and reach only their own "
        "channels (default), or 'app-admin': OneCrew's choice, companies as Stream's admin, "
        "an app-wide role that reads and writes every channel",
    )
    serve.add_argument(
        "--stream-user-id-format",
        default=DEFAULT_STREAM_USER_ID_FORMAT,
        metavar="FORMAT",
        help="Stream user ids of users and companies, with {kind} (user or company) and {id} "
        f"(default {DEFAULT_STREAM_USER_ID_FORMAT!r})",
    )
    serve.add_argument(
        "--channel-type",
        default=DEFAULT_CHANNEL_TYPE,
        help=f"Stream channel type of the conversations (default {DEFAULT_CHANNEL_TYPE!r})",
    )

    chat = sub.add_parser(
        "serve-chat",
        help="run the reference user-based chat (HTTP API over a migrated PostgreSQL)",
        description="Serve the user-based chat of docs/chat-contract.md on a database the "
        "profile-to-user migration has migrated (`chatgate migrate apply`); its OpenAPI "
        "document is at /openapi.json. Bearer tokens: HS256 JWTs with sub=<user id>, secret "
        "from CHATGATE_AUTH_SECRET.",
    )
    chat.add_argument(
        "--database-url", type=_nonempty, required=True, help="the migrated PostgreSQL database"
    )
    chat.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    chat.add_argument(
        "--port", type=_port, default=8080, help="port to bind, 0 picks a free one (default 8080)"
    )
    chat.add_argument(
        "--test-mode",
        action="store_true",
        help="enable POST /api/test/provider-state (creates users, connections, legacy chat)",
    )

    sub.add_parser(
        "demo",
        help="play a company-to-user exchange against the fake through the official SDK",
    )
    migrate_cli.add_parser(sub)
    load_cli.add_parser(sub)
    verify_cli.add_parser(sub)
    return parser


def _serve_fake(args: argparse.Namespace, wait: Callable[[], None]) -> int:
    from chatgate.fakes.stream import FakeStream
    from chatgate.fakes.stream.server import FakeStreamServer

    credentials = _credentials(args)
    _warn_if_not_loopback(args.host)
    fake = FakeStream(seed=args.seed)
    if args.enforce_rate_limits is not None:
        if args.enforce_rate_limits < 1:
            print("chatgate: error: --enforce-rate-limits must be at least 1", file=sys.stderr)
            return 2
        fake.rate_limits.limit = args.enforce_rate_limits
        fake.rate_limits.enforce = True
    try:
        server = FakeStreamServer(fake, host=args.host, port=args.port, credentials=credentials)
    except OSError as exc:
        print(
            f"chatgate: error: cannot listen on {args.host}:{args.port}: {exc.strerror}",
            file=sys.stderr,
        )
        return 1
    try:
        server.start()
        # A long-lived server: what start-up allocated (modules, routes) lives as long as
        # the process, so the collector need never walk it again; its pauses then scale
        # with the fake's state, not with everything imported.
        gc.freeze()
        _say(f"fake Stream Chat listening on {server.base_url}")
        _say(f"  api key: {credentials.api_key}")
        _say(
            f"  point the Python SDK at it: StreamChat(key, secret, base_url={server.base_url!r})"
            f" or STREAM_CHAT_URL={server.base_url}"
        )
        wait()
    finally:
        server.stop()
    _say("fake Stream Chat stopped")
    return STOPPED_STATUS


def _say(text: str) -> None:
    # one write per line: a stop request between the text and its newline would leave
    # the "stopped" line glued to it
    print(text + "\n", end="", flush=True)


def _credentials(args: argparse.Namespace) -> Credentials:
    from chatgate.fakes.stream.credentials import Credentials, default_credentials

    defaults = default_credentials()
    return Credentials(
        api_key=args.api_key or defaults.api_key, api_secret=args.api_secret or defaults.api_secret
    )


def _warn_if_not_loopback(host: str) -> None:
    if not _is_loopback(host):
        print(f"warning: binding {host}, which is not a loopback address", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `chatgate` console script."""
    stop = StopSignals()
    command: str | None = None
    try:
        stop.install()  # before anything is imported, started or printed
        args = build_parser().parse_args(argv)
        command = args.command
        return _run(args, stop)
    except StopRequested as request:
        _say(f"{_WHAT.get(command or '', 'chatgate')} stopped by {request.signal_name}")
        return STOPPED_STATUS
    finally:
        stop.finish()  # signals from here to the exit (and its atexit clean-up) are ignored


def _run(args: argparse.Namespace, stop: StopSignals) -> int:
    if args.command == "fake-stream":
        return _serve_fake(args, stop.wait)
    if args.command == "serve":
        from chatgate.naming import StreamNaming
        from chatgate.reference.http.serve import serve

        try:
            naming = StreamNaming(args.stream_user_id_format, args.channel_type)
        except ValueError as error:
            print(f"chatgate: error: {error}", file=sys.stderr)
            return 2
        service_class = None
        if args.mutant is not None:
            from chatgate.fixtures.targets.mutants import MUTANTS

            if args.mutant not in MUTANTS:
                known = ", ".join(sorted(MUTANTS))
                print(
                    f"chatgate: error: unknown mutant {args.mutant!r}; known: {known}",
                    file=sys.stderr,
                )
                return 2
            service_class = MUTANTS[args.mutant].service
        _warn_if_not_loopback(args.host)
        return serve(
            host=args.host,
            port=args.port,
            database_url=args.database_url,
            stream_url=args.stream_url,
            credentials=_credentials(args),
            test_mode=args.test_mode,
            role_policy=args.role_policy,
            naming=naming,
            service_class=service_class,
            wait=stop.wait,
        )
    if args.command == "serve-chat":
        from chatgate.reference.chat.http.server import serve_chat

        _warn_if_not_loopback(args.host)
        return serve_chat(
            database_url=args.database_url,
            host=args.host,
            port=args.port,
            test_mode=args.test_mode,
            wait=stop.wait,
        )
    if args.command == "migrate":
        from chatgate.postgres.signals import interruptible

        # Safe to stop at any moment: every step commits whole or not at all.
        with interruptible():
            return migrate_cli.run(args)
    if args.command == "load":
        return load_cli.run(args)
    if args.command == "verify":
        return verify_cli.run(args)
    if args.command == "demo":
        from chatgate.demo import run_demo
        from chatgate.postgres.signals import interruptible

        with interruptible():  # in-process only: nothing to leave behind
            return run_demo()
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
