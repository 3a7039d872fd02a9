"""The `chatgate` command line."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from collections.abc import Sequence

from chatgate import __version__
from chatgate.fakes.stream.credentials import DEV_API_KEY, Credentials, default_credentials


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

    sub.add_parser(
        "demo",
        help="play a company-to-user exchange against the fake through the official SDK",
    )
    return parser


def _serve_fake(args: argparse.Namespace) -> int:
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
    server.start()
    print(f"fake Stream Chat listening on {server.base_url}", flush=True)
    print(f"  api key: {credentials.api_key}", flush=True)
    print(
        f"  point the Python SDK at it: StreamChat(key, secret, base_url={server.base_url!r})"
        f" or STREAM_CHAT_URL={server.base_url}",
        flush=True,
    )
    _wait_for_signal()
    server.stop()
    print("fake Stream Chat stopped", flush=True)
    return 0


def _wait_for_signal() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def _credentials(args: argparse.Namespace) -> Credentials:
    defaults = default_credentials()
    return Credentials(
        api_key=args.api_key or defaults.api_key, api_secret=args.api_secret or defaults.api_secret
    )


def _warn_if_not_loopback(host: str) -> None:
    if not _is_loopback(host):
        print(f"warning: binding {host}, which is not a loopback address", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `chatgate` console script."""
    args = build_parser().parse_args(argv)
    if args.command == "fake-stream":
        return _serve_fake(args)
    if args.command == "serve":
        from chatgate.reference.http.serve import serve

        _warn_if_not_loopback(args.host)
        return serve(
            host=args.host,
            port=args.port,
            database_url=args.database_url,
            stream_url=args.stream_url,
            credentials=_credentials(args),
            test_mode=args.test_mode,
            wait=_wait_for_signal,
        )
    if args.command == "demo":
        from chatgate.demo import run_demo

        return run_demo()
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
