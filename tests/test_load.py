"""`chatgate load`: the gates, the consistency check and the shapes on their own, then
short real Locust runs (seconds, a handful of users) against the reference, a mutant
served over HTTP, two worker processes, and the fake Stream itself."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests

from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.fixtures.targets.mutants import MUTANTS
from chatgate.load import plans
from chatgate.load.catalog import PROFILES
from chatgate.load.consistency import check
from chatgate.load.gates import (
    GateFileError,
    RunFigures,
    Thresholds,
    evaluate,
    merged,
    missing_members,
    read_thresholds,
)
from chatgate.load.records import Created
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer
from chatgate.reference.http.auth import DEV_AUTH_SECRET
from chatgate.reference.http.server import reference_database, serving_reference

CLI = [sys.executable, "-m", "chatgate.cli", "load"]
RUN_TIMEOUT_S = 240


# -- gates -------------------------------------------------------------------------------
def _run(**changes: Any) -> RunFigures:
    base = {
        "requests": 200,
        "failures": 0,
        "creations": 180,
        "creation_p95_ms": 120.0,
        "missing_members": 0,
    }
    return RunFigures(**{**base, **changes})


def test_every_gate_passes_on_a_clean_fast_run() -> None:
    results = evaluate(_run(), Thresholds())
    assert [(r.name, r.passed) for r in results] == [
        ("p95_ms", True),
        ("failure_ratio", True),
        ("missing_members", True),
    ]


def test_a_failed_gate_says_by_how_much() -> None:
    results = {r.name: r for r in evaluate(_run(creation_p95_ms=2600.0, failures=10), Thresholds())}
    assert not results["p95_ms"].passed
    assert results["p95_ms"].text == "p95 creation 2600 ms, limit 2000 ms: 600 ms over"
    assert not results["failure_ratio"].passed
    assert results["failure_ratio"].text.endswith("limit 1.00%: 4.00% over")


def test_one_missing_member_error_fails_the_run_whatever_the_thresholds() -> None:
    lenient = Thresholds(p95_ms=10_000, failure_ratio=1.0)
    (gate,) = [r for r in evaluate(_run(missing_members=1), lenient) if not r.passed]
    assert gate.name == "missing_members"
    assert gate.text == "missing-member errors 1, limit 0: 1 over"


@pytest.mark.parametrize(
    "text",
    [
        "502: Stream Chat refused the request: ... but don't exist: [<id>]",
        "CatchResponseError('502: ... but don\\'t exist: [<id>]')",  # as a worker reports it
    ],
)
def test_missing_member_errors_are_recognised_as_a_worker_reports_them_too(text: str) -> None:
    assert missing_members(text)
    assert not missing_members("502: Stream Chat is unreachable")


def test_a_run_without_creations_fails_the_latency_gate() -> None:
    (gate,) = [
        r for r in evaluate(_run(creations=0, creation_p95_ms=None), Thresholds()) if not r.passed
    ]
    assert gate.name == "p95_ms"
    assert "no creation ran" in gate.text


def test_thresholds_come_from_the_file_and_options_win(tmp_path: Path) -> None:
    gates = tmp_path / "gates.toml"
    gates.write_text("[gates]\np95_ms = 800\nfailure_ratio = 0.05\n")
    from_file = read_thresholds(gates)
    assert from_file == Thresholds(p95_ms=800, failure_ratio=0.05)
    assert merged(from_file, p95_ms=300.0, failure_ratio=None) == Thresholds(300, 0.05)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[gates]\np95 = 800\n", "unknown gates ['p95']; the gates are p95_ms, failure_ratio"),
        ("[gates]\np95_ms = 'fast'\n", "p95_ms must be a number, not 'fast'"),
        ("[gates]\nfailure_ratio = 2\n", "failure ratio threshold must be from 0 to 1, not 2.0"),
        ("[gates\n", "is not TOML"),
    ],
)
def test_a_bad_thresholds_file_is_refused_saying_why(tmp_path: Path, text: str, error: str) -> None:
    gates = tmp_path / "gates.toml"
    gates.write_text(text)
    with pytest.raises(GateFileError, match=None) as raised:
        read_thresholds(gates)
    assert error in str(raised.value)


# -- consistency ---------------------------------------------------------------------------
def _channel(cid: str, members: list[str], creator: str) -> dict[str, Any]:
    return {"cid": cid, "created_by": {"id": creator}, "members": [{"user_id": m} for m in members]}


def test_conversations_matching_their_channels_are_consistent() -> None:
    record = Created("c1", "messaging:c1", ("co", "u1"), "co")
    result = check([record], [_channel("messaging:c1", ["co", "u1"], "co")])
    assert result.ok
    assert result.lines() == ["consistency: ok, 1 conversations match their Stream channels"]


def test_a_missing_channel_wrong_members_and_duplicates_are_each_reported() -> None:
    records = [
        Created("gone", "messaging:gone", ("co", "u1"), "co"),
        Created("short", "messaging:short", ("co", "u2"), "co"),
        Created("twice-a", "messaging:twice-a", ("co", "u3"), "co"),
    ]
    channels = [
        _channel("messaging:short", ["co"], "co"),
        _channel("messaging:twice-a", ["co", "u3"], "co"),
        _channel("messaging:twice-b", ["co", "u3"], "co"),  # a second channel, same pair
    ]
    result = check(records, channels)
    assert not result.ok
    assert result.missing == ["gone"]
    assert result.wrong_members == ["messaging:short has ['co'], expected ['co', 'u2']"]
    assert result.duplicates == [
        "2 channels for one conversation: messaging:twice-a, messaging:twice-b"
    ]
    assert [line.split(":")[1].strip() for line in result.lines()] == [
        "1 orphan conversations (no channel on Stream)",
        "1 channels whose members differ",
        "1 duplicate channels",
    ]


def test_two_conversations_on_one_channel_are_duplicates() -> None:
    records = [
        Created("a", "messaging:x", ("co", "u1"), "co"),
        Created("b", "messaging:x", ("co", "u1"), "co"),
    ]
    result = check(records, [_channel("messaging:x", ["co", "u1"], "co")])
    assert result.duplicates == ["messaging:x is 2 conversations"]


# -- shapes --------------------------------------------------------------------------------
def _shape(plan: Any, at_s: float, **options: Any) -> Any:
    defaults = {
        "run_time": 60,
        "num_users": 20,
        "spawn_rate": 5.0,
        "ramp_steps": 4,
        "spike_users": 80,
        "spike_at": 0.5,
        "spike_for": 10.0,
    }
    return plan(at_s, SimpleNamespace(**{**defaults, **options}))


def test_ramp_climbs_in_steps_over_the_first_half_then_holds_and_ends() -> None:
    assert [_shape(plans.ramp, t)[0] for t in (0, 8, 16, 23, 31, 59)] == [5, 10, 15, 20, 20, 20]
    assert _shape(plans.ramp, 60) is None


def test_spike_jumps_for_its_window_only() -> None:
    assert _shape(plans.spike, 29) == (20, 5.0)
    assert _shape(plans.spike, 30) == (80, 80.0)
    assert _shape(plans.spike, 39.9) == (80, 80.0)
    assert _shape(plans.spike, 40) == (20, 5.0)
    assert _shape(plans.spike, 12, spike_at=10) == (80, 80.0)  # seconds, not a fraction
    assert _shape(plans.spike, 61) is None


def test_soak_holds_the_users_for_the_whole_run() -> None:
    assert _shape(plans.soak, 1) == (20, 5.0)
    assert _shape(plans.soak, 59) == (20, 5.0)
    assert _shape(plans.soak, 60) is None


def test_every_profile_on_offer_is_a_user_class_of_the_locustfile() -> None:
    """Locust itself lists the locustfile's classes (importing Locust here would patch this
    process with gevent)."""
    spec = find_spec("chatgate.load.locustfile")
    assert spec is not None
    assert spec.origin is not None
    listed = subprocess.run(
        [sys.executable, "-m", "locust", "-f", spec.origin, "--list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert set(PROFILES.values()) <= set(listed)


# -- the command ---------------------------------------------------------------------------
def _load(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT_S,
        env=env,
        check=False,
    )


def _summary(report: Path) -> dict[str, Any]:
    return json.loads((report / "summary.json").read_text())


def _creations(summary: dict[str, Any]) -> int:
    return sum(r["requests"] for r in summary["routes"] if r["name"].startswith("create: "))


def _failures(summary: dict[str, Any]) -> int:
    return sum(r["failures"] for r in summary["routes"] if r["name"].startswith("create: "))


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--master", "--worker"], "--master and --worker exclude each other"),
        (["--processes", "2", "--worker"], "--processes runs its own master and workers"),
        (["--stream-url", "http://127.0.0.1:9"], "--stream-url goes with --target"),
        (["--duration", "soon"], "must be a time like 30s, 5m or 1h30m, got 'soon'"),
        (["--users", "0"], "must be at least 1, got 0"),
        (["--target", "ftp://x"], "must be an http(s) URL, got 'ftp://x'"),
        (["--failure-ratio", "3"], "must be from 0 to 1, got 3.0"),
    ],
)
def test_a_mistake_in_the_options_is_one_line_and_exit_2(args: list[str], error: str) -> None:
    done = _load(*args)
    assert done.returncode == 2
    assert error in done.stderr
    assert "Traceback" not in done.stderr


def test_a_bad_gates_file_is_refused_before_anything_starts(tmp_path: Path) -> None:
    gates = tmp_path / "gates.toml"
    gates.write_text("[gates]\nlatency = 1\n")
    done = _load("--gates-file", str(gates), "--report-dir", str(tmp_path / "r"))
    assert done.returncode == 2
    assert "unknown gates ['latency']" in done.stderr
    assert not (tmp_path / "r").exists()


@pytest.fixture
def database_server_env(postgres_server: PostgresServer) -> dict[str, str]:
    """The environment for a `chatgate load` that starts its own backend: on the session's
    PostgreSQL server (a fresh database of its own) instead of a second embedded one."""
    return {**os.environ, DATABASE_URL_ENV: postgres_server.url_for("postgres")}


def test_a_short_run_against_the_reference_passes_every_gate_and_the_consistency_check(
    tmp_path: Path, database_server_env: dict[str, str]
) -> None:
    report = tmp_path / "report"
    done = _load(
        "--users", "3", "--duration", "3s", "--report-dir", str(report), env=database_server_env
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = _summary(report)
    assert summary["passed"]
    assert [g["gate"] for g in summary["gates"] if g["passed"]] == [
        "p95_ms",
        "failure_ratio",
        "missing_members",
    ]
    assert summary["consistency"]["ok"]
    assert summary["consistency"]["checked"] == _creations(summary) > 0
    assert "create: company -> new user" in done.stdout
    assert "load run passed" in done.stdout
    assert (report / "report.html").stat().st_size > 0
    assert (report / "locust_stats.csv").read_text().count("create: company -> new user") == 1


@pytest.fixture
def reference_over_http(
    postgres_server: PostgresServer, fake_stream_server: FakeStreamServer, request: Any
) -> Iterator[str]:
    """The reference, or the mutant named by the test's parameter, served on loopback with
    the session's standalone fake as its Stream; its base URL."""
    service = MUTANTS[request.param].service if request.param else None
    options = {"service_class": service} if service else {}
    with (
        reference_database(postgres_server) as url,
        serving_reference(
            url,
            fake_stream_server.client(),
            auth_secret=DEV_AUTH_SECRET,
            test_mode=True,
            **options,
        ) as server,
    ):
        yield server.base_url


@pytest.mark.parametrize("reference_over_http", ["recipient-not-upserted"], indirect=True)
def test_a_backend_that_skips_the_recipient_fails_the_missing_member_gate_by_name(
    tmp_path: Path, reference_over_http: str, fake_stream_server: FakeStreamServer
) -> None:
    report = tmp_path / "report"
    done = _load(
        "--users", "2", "--duration", "3s", "--report-dir", str(report),
        "--target", reference_over_http, "--stream-url", fake_stream_server.base_url,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    gates = {g["gate"]: g for g in _summary(report)["gates"]}
    assert not gates["missing_members"]["passed"]
    assert gates["missing_members"]["measured"] > 0
    assert "FAIL missing_members: missing-member errors" in done.stdout
    assert "load run FAILED" in done.stdout


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("reference_over_http", [None], indirect=True)
def test_two_worker_processes_share_the_run_and_the_master_checks_it_whole(
    tmp_path: Path, reference_over_http: str, fake_stream_server: FakeStreamServer
) -> None:
    report = tmp_path / "report"
    done = _load(
        "--users", "4", "--duration", "3s", "--processes", "2", "--report-dir", str(report),
        "--target", reference_over_http, "--stream-url", fake_stream_server.base_url,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = _summary(report)
    assert summary["workers_reported"] == 2
    assert summary["consistency"]["ok"]
    assert summary["consistency"]["checked"] == _creations(summary) > 0


@pytest.mark.parametrize("reference_over_http", ["recipient-not-upserted"], indirect=True)
def test_a_master_and_two_separate_workers_gate_the_whole_run(
    tmp_path: Path, reference_over_http: str, fake_stream_server: FakeStreamServer
) -> None:
    """The commands of a run across machines, on loopback: the workers' failures reach the
    master's gates."""
    report, port = tmp_path / "report", str(_free_port())
    workers = [
        subprocess.Popen(
            [*CLI, "--worker", "--master-host", "127.0.0.1", "--master-port", port],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        done = _load(
            "--master", "--expect-workers", "2", "--master-port", port,
            "--users", "4", "--duration", "3s", "--report-dir", str(report),
            "--target", reference_over_http, "--stream-url", fake_stream_server.base_url,
        )  # fmt: skip
        for worker in workers:
            assert worker.wait(timeout=60) == 0  # the master ends its workers
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
                worker.wait()
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    summary = _summary(report)
    assert summary["workers_reported"] == 2
    gates = {g["gate"]: g for g in summary["gates"]}
    assert gates["missing_members"]["measured"] == _failures(summary) > 0


def test_the_fake_stream_profile_loads_the_fake_itself(
    tmp_path: Path, database_server_env: dict[str, str]
) -> None:
    report = tmp_path / "report"
    done = _load(
        "--profile", "fake-stream", "--users", "2", "--duration", "2s",
        "--report-dir", str(report), env=database_server_env,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    summary = _summary(report)
    assert {r["name"] for r in summary["routes"]} >= {
        "stream: upsert users",
        "create: stream channel",
    }
    assert summary["consistency"]["checked"] == _creations(summary) > 0


@contextmanager
def _running(command: list[str]) -> Iterator[subprocess.Popen[str]]:
    """`command` running (its output piped) until the block ends; killed if still running."""
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def _channels_created(server: FakeStreamServer) -> int:
    return server.fake.journal.count("GetOrCreateChannel", ok=True)


@pytest.mark.parametrize("reference_over_http", [None], indirect=True)
def test_a_stop_request_ends_the_run_early_and_still_reports_and_gates_it(
    tmp_path: Path, reference_over_http: str, fake_stream_server: FakeStreamServer
) -> None:
    report = tmp_path / "report"
    command = [
        *CLI, "--users", "2", "--duration", "10m", "--report-dir", str(report),
        "--target", reference_over_http, "--stream-url", fake_stream_server.base_url,
    ]  # fmt: skip
    with _running(command) as proc:
        # Poll the fake's journal, with a deadline, until a channel was created.
        deadline = time.monotonic() + 60
        while not _channels_created(fake_stream_server) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _channels_created(fake_stream_server), "the load never created a channel"
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    summary = _summary(report)
    assert summary["consistency"]["checked"] == _creations(summary) > 0
    assert "load run passed" in out


@pytest.mark.parametrize("reference_over_http", [None], indirect=True)
def test_the_web_ui_serves_on_loopback_while_it_runs_and_ctrl_c_ends_the_run(
    tmp_path: Path, reference_over_http: str, fake_stream_server: FakeStreamServer
) -> None:
    report, port = tmp_path / "report", _free_port()
    command = [
        *CLI, "--web", "--web-port", str(port), "--users", "2", "--duration", "10m",
        "--report-dir", str(report),
        "--target", reference_over_http, "--stream-url", fake_stream_server.base_url,
    ]  # fmt: skip
    with _running(command) as proc:
        page = _poll_page(f"http://127.0.0.1:{port}/", deadline_s=60)
        assert page is not None, "the web UI never answered"
        # What a person sees: the UI, drawn by a real browser, lists the creations.
        shown, errors = _in_browser(f"http://127.0.0.1:{port}/", "create: company -> new user")
        assert shown, "the web UI never showed the creation row"
        assert errors == []
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    assert f"Locust web UI on http://127.0.0.1:{port}" in out
    assert _summary(report)["consistency"]["checked"] == _creations(_summary(report)) > 0


def _in_browser(url: str, text: str) -> tuple[bool, list[str]]:
    """Open `url` in headless chromium; (whether `text` showed within a deadline, the page's
    script errors)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no chromium: .ci/run should have installed Debian's")
        pytest.skip("no chromium here (.ci/run installs Debian's)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(url)
            try:
                page.get_by_text(text).first.wait_for(timeout=60_000)
            except sync_api.TimeoutError:
                return False, errors
            return True, errors
        finally:
            browser.close()


def _poll_page(url: str, deadline_s: float) -> str | None:
    """The page at `url` once it answers 200, polling with a deadline; None if it never does."""
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            answer = session.get(url, timeout=5)
            if answer.status_code == 200:
                return answer.text
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    return None
