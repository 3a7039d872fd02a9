"""The `chatgate` command line, run as a user runs it: in a subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from stream_chat import StreamChat

from chatgate.fakes.stream.credentials import DEV_API_KEY, DEV_API_SECRET
from chatgate.processes import read_until

CLI = [sys.executable, "-m", "chatgate.cli"]


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {k: v for k, v in os.environ.items() if k not in ("STREAM_API_KEY", "STREAM_API_SECRET")}
    proc = subprocess.Popen(
        [*CLI, "fake-stream", "--port", "0", "--seed", "7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner = read_until(proc, "listening on")
        base_url = banner.split("listening on ")[1].split()[0]
        yield proc, base_url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def test_fake_stream_prints_its_url_serves_the_sdk_and_stops_on_sigterm(served) -> None:
    proc, base_url = served
    assert base_url.startswith("http://127.0.0.1:")
    client = StreamChat(DEV_API_KEY, DEV_API_SECRET, base_url=base_url)
    assert client.upsert_user({"id": "amr"})["users"]["amr"]["role"] == "user"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert proc.stdout is not None
    assert "fake Stream Chat stopped" in proc.stdout.read()


def test_fake_stream_stops_cleanly_on_sigint(served) -> None:
    proc, _ = served
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0


def test_fake_stream_uses_key_and_secret_from_the_environment() -> None:
    env = {**os.environ, "STREAM_API_KEY": "env-key", "STREAM_API_SECRET": "env-secret-" + "x" * 24}
    proc = subprocess.Popen(
        [*CLI, "fake-stream", "--port", "0"], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        base_url = read_until(proc, "listening on").split("listening on ")[1].split()[0]
        client = StreamChat("env-key", env["STREAM_API_SECRET"], base_url=base_url)
        assert client.get_app_settings()["app"]["name"] == "env-key"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
        assert proc.stdout is not None
        proc.stdout.close()


def test_fake_stream_rejects_an_out_of_range_port() -> None:
    result = subprocess.run(
        [*CLI, "fake-stream", "--port", "70000"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "port must be between 0 and 65535, got 70000" in result.stderr


def test_fake_stream_reports_a_port_already_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*CLI, "fake-stream", "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


def test_demo_plays_the_company_to_user_exchange() -> None:
    result = subprocess.run([*CLI, "demo"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[create] channel messaging:sat-education-amr" in out
    assert "Hello Amr" in out
    assert "but don't exist: [onecrew_user_7c1e2f4a-0b7d-4f5e-9a51-3f0c2d9e8b41]" in out
    assert "demo finished: all steps behaved as Stream does" in out


@pytest.mark.parametrize(
    ("option", "value", "error"),
    [
        ("--channel-type", "a:b", "the channel type must be 1 to 64 characters"),
        ("--stream-user-id-format", "acme_{id}", "must hold {kind} and {id} once each"),
        ("--stream-user-id-format", "acme {kind} {id}", "which Stream refuses"),
    ],
)
def test_serve_refuses_a_stream_naming_stream_would_refuse(
    option: str, value: str, error: str
) -> None:
    result = subprocess.run(
        [*CLI, "serve", "--port", "0", option, value], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("chatgate: error: "), result.stderr
    assert error in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # no traceback


def test_serve_refuses_an_unknown_mutant_naming_the_known_ones() -> None:
    result = subprocess.run(
        [*CLI, "serve", "--port", "0", "--mutant", "no-such-bug"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("chatgate: error: unknown mutant 'no-such-bug'; known: ")
    assert "recipient-not-upserted" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


_SIGNAL_TAKEN_BY_ANOTHER_THREAD = """
import signal, threading, time
from chatgate.cli import StopSignals

stop = StopSignals()
stop.install()
main = threading.get_native_id()

def main_blocks_in_its_read() -> bool:
    with open(f"/proc/self/task/{main}/wchan") as wchan:
        return "pipe" in wchan.read()

def take_it_here() -> None:
    # A thread with the stop signals let in, as one started during an `interruptible()`
    # wait inherits them: the signal's C handler runs in this thread, not the main one.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    deadline = time.monotonic() + 10
    while not main_blocks_in_its_read():
        if time.monotonic() > deadline:
            raise SystemExit("the main thread never blocked in its wait")
        time.sleep(0.001)
    signal.pthread_kill(threading.get_ident(), signal.SIGINT)

threading.Thread(target=take_it_here).start()
stop.wait()
stop.finish()
print("stopped by", signal.Signals(stop.received).name)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches the wait in /proc")
def test_a_stop_signal_taken_by_another_thread_still_ends_the_wait() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SIGNAL_TAKEN_BY_ANOTHER_THREAD],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "stopped by SIGINT"
