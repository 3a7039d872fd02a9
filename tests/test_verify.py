"""`chatgate verify`: reading the reports, judging the checklists, and the command run as a
user runs it: against `chatgate serve` in its own process, and against a mutant served
the same way, whose checklist items are marked failed in every report."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from chatgate.postgres import DATABASE_URL_ENV, PostgresServer
from chatgate.processes import read_until
from chatgate.verify import checklists, results
from chatgate.verify import cli as verify_cli
from chatgate.verify.checklist_map import TITLES, Item
from chatgate.verify.results import FAILED, NOT_RUN, PASSED, SKIPPED

CLI = [sys.executable, "-m", "chatgate.cli"]
RUN_TIMEOUT_S = 600

# A cucumber report and a JUnit report as pytest-bdd and pytest write them.
CUCUMBER = [
    {
        "name": "Company to user",
        "tags": [{"name": "company_to_user"}],
        "elements": [
            {
                "id": "test_ok[reference]",
                "name": "it works",
                "tags": [],
                "steps": [{"keyword": "Given", "name": "a", "result": {"status": "passed"}}],
            },
            {
                "id": "test_broken[reference]",
                "name": "it breaks",
                "tags": [{"name": "security"}],
                "steps": [
                    {"keyword": "Given", "name": "a", "result": {"status": "passed"}},
                    {
                        "keyword": "Then",
                        "name": "b is 201",
                        "result": {"status": "failed", "error_message": "assert 403 == 201\n"},
                    },
                    {"keyword": "And", "name": "c", "result": {"status": "skipped"}},
                ],
            },
            {
                "id": "test_skip[reference]",
                "name": "it skips",
                "tags": [],
                "steps": [{"keyword": "Given", "name": "a", "result": {"status": "passed"}}],
            },
        ],
    }
]
JUNIT = """<testsuites><testsuite>
<testcase name="test_ok[reference]"/>
<testcase name="test_broken[reference]"><failure message="assert 403 == 201"/></testcase>
<testcase name="test_skip[reference]"><skipped message="no --backend-log"/></testcase>
<testcase name="test_setup_died[reference]"><error message="fixture exploded"/></testcase>
</testsuite></testsuites>"""


def test_the_reports_give_each_scenario_its_outcome_step_and_reason() -> None:
    read = {o.name: o for o in results.read(CUCUMBER, JUNIT)}
    assert read["it works"].status == PASSED
    broken = read["it breaks"]
    assert (broken.status, broken.failed_step, broken.why) == (
        FAILED,
        "Then b is 201",
        "assert 403 == 201",
    )
    assert broken.tags == ("company_to_user", "security")
    assert read["it skips"].status == SKIPPED  # cucumber says passed; JUnit knows better
    assert read["it skips"].why == "no --backend-log"
    assert read["test_setup_died[reference]"].status == FAILED  # before any step
    assert read["test_setup_died[reference]"].why == "fixture exploded"


def test_an_item_fails_with_one_failed_scenario_and_is_not_run_without_any() -> None:
    outcomes = results.read(CUCUMBER, JUNIT)
    title = TITLES["conversations"]
    judged = checklists.judge(
        [
            Item(title, "s", "good", ("it works",)),
            Item(title, "s", "bad", ("it works", "it breaks")),
            Item(title, "s", "skipped", ("it skips",)),
            Item(title, "s", "absent", ("never written",)),
        ],
        outcomes,
    )
    assert [j.status for j in judged] == [PASSED, FAILED, SKIPPED, NOT_RUN]
    assert judged[3].not_run == ("never written",)
    assert not checklists.verdict(outcomes)
    assert checklists.verdict([o for o in outcomes if o.status != FAILED])
    assert not checklists.verdict([])  # nothing ran: nothing is proven


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            [],
            [
                ("conversations", ("--target=reference",)),
                ("migration", ("--migration=reference",)),
                ("chat", ("--chat-target=reference",)),
            ],
        ),
        (
            [
                "--target",
                "http://h:1",
                "--stream-url",
                "http://f:2",
                "--backend-log",
                "/logs/b.log",
                "--channel-type",
                "team",
                "--stream-user-id-format",
                "acme-{kind}-{id}",
            ],
            [
                (
                    "conversations",
                    (
                        "--target=http://h:1",
                        "--stream-url=http://f:2",
                        "--backend-log=/logs/b.log",
                        "--stream-user-id-format=acme-{kind}-{id}",
                        "--channel-type=team",
                    ),
                )
            ],
        ),
        (["--chat-target", "http://c:3"], [("chat", ("--chat-target=http://c:3",))]),
        (
            ["--migration-command", "python migrate.py", "--chat-target", "reference"],
            [
                ("migration", ("--migration-command=python migrate.py",)),
                ("chat", ("--chat-target=reference",)),
            ],
        ),
    ],
)
def test_no_target_runs_every_suite_on_the_reference_and_a_named_target_only_its_own(
    args: list[str], expected: list[tuple[str, tuple[str, ...]]]
) -> None:
    parser = argparse.ArgumentParser()
    verify_cli.add_parser(parser.add_subparsers())
    parsed = parser.parse_args(["verify", *args])
    assert [(s.name, s.options) for s in verify_cli.suites(parsed)] == expected


def _verify(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "verify", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=RUN_TIMEOUT_S,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--target", "http://127.0.0.1:9"], "--target URL needs --stream-url"),
        (["--stream-url", "http://127.0.0.1:9"], "--stream-url goes with an http(s) --target"),
        (["--target", "ftp://x"], "must be an http(s) URL, got 'ftp://x'"),
        (["--backend-log", "x.log"], "--backend-log goes with --target"),
        (["--target", "reference", "--backend-log", "/no/such.log"], "no such file: /no/such.log"),
        (["--tags", " "], "must not be blank"),
        (["--report-dir", "/proc/no/such"], "cannot use /proc/no/such for the reports"),
        (["--channel-type", "team"], "--channel-type goes with --target"),
    ],
)
def test_a_mistake_in_the_options_is_one_line_and_exit_2(args: list[str], error: str) -> None:
    done = _verify(*args)
    assert done.returncode == 2
    assert error in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def env(postgres_server: PostgresServer) -> dict[str, str]:
    """Child processes use the session's PostgreSQL server, not a second embedded one."""
    return {**os.environ, DATABASE_URL_ENV: postgres_server.url_for("postgres")}


@pytest.mark.parametrize(
    ("tags", "error"),
    [
        ("no_such_tag", "Unknown marker(s) in '-m' expression: no_such_tag"),
        ("security and migration", "no scenario matches --tags 'security and migration'"),
    ],
)
def test_tags_that_select_no_scenario_are_a_usage_error(
    tmp_path: Path, env: dict[str, str], tags: str, error: str
) -> None:
    done = _verify("--target", "reference", "--tags", tags, "--report-dir", str(tmp_path), env=env)
    assert done.returncode == 2
    assert error in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.fixture
def served(request: Any, env: dict[str, str]) -> Iterator[tuple[str, str]]:
    """`chatgate serve --test-mode` in its own process (its own fake Stream alongside),
    the reference or the mutant named by the test's parameter; (backend URL, fake URL)."""
    mutant = ["--mutant", request.param] if request.param else []
    proc = subprocess.Popen(
        [*CLI, "serve", "--test-mode", "--port", "0", *mutant],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        banner = read_until(proc, "backend listening on ", 120)
        stream = banner.split("fake Stream Chat listening on ")[1].split()[0]
        yield banner.split("backend listening on ")[1].split()[0], stream
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def _reports(report: Path) -> tuple[dict[str, str], list[dict[str, Any]], dict[str, Any]]:
    """(JUnit outcome per test, the cucumber report, the HTML page's embedded data)."""
    junit = {}
    for case in ElementTree.parse(report / "junit.xml").iter("testcase"):
        failed = case.find("failure") is not None or case.find("error") is not None
        junit[case.attrib["name"]] = "failed" if failed else "ok"
    page = (report / "checklists.html").read_text()
    data = page.split('<script type="application/json" id="report-data">')[1].split("</script>")[0]
    return junit, json.loads((report / "cucumber.json").read_text()), json.loads(data)


@pytest.mark.parametrize("served", [None], indirect=True)
def test_every_scenario_passes_over_http_against_the_reference_served_apart(
    tmp_path: Path, served: tuple[str, str], env: dict[str, str]
) -> None:
    backend, stream = served
    done = _verify(
        "--target", backend, "--stream-url", stream, "--report-dir", str(tmp_path), env=env
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "chatgate verify: the contract holds" in done.stdout
    assert "0 failed" in done.stdout
    _, _, data = _reports(tmp_path)
    company = [i for i in data["items"] if i["checklist"] == TITLES["conversations"]]
    assert company
    assert {i["status"] for i in company} == {PASSED}


@pytest.mark.parametrize("served", ["recipient-not-upserted"], indirect=True)
def test_the_incidents_bug_served_over_http_fails_its_checklist_items_in_every_report(
    tmp_path: Path, served: tuple[str, str], env: dict[str, str]
) -> None:
    backend, stream = served
    done = _verify(
        "--target", backend, "--stream-url", stream, "--report-dir", str(tmp_path), env=env
    )
    assert done.returncode == 1, done.stdout[-4000:] + done.stderr[-2000:]
    failed_items = {
        "Lolo Academy → Amr (should now work)",
        "Any company → Any user (should work)",
        "Existing company → New user (should work)",
    }
    # The terminal: the items marked, then each failure with its step and why.
    rows = [line for line in done.stdout.splitlines() if line.startswith("│")]
    for item in failed_items:
        (row,) = [r for r in rows if item in r]
        assert "✘ FAIL" in row, row
    assert "chatgate verify: the contract is broken" in done.stdout
    assert "step      " in done.stdout
    assert "users are involved in channel create operation" in done.stdout
    # The HTML page's data, the cucumber report and the JUnit report agree.
    junit, cucumber, data = _reports(tmp_path)
    by_item = {i["item"]: i for i in data["items"]}
    assert {i for i in failed_items if by_item[i]["status"] == FAILED} == failed_items
    failed_scenarios = {s["name"] for i in failed_items for s in by_item[i]["scenarios"]}
    cucumber_failed = {
        e["name"]
        for f in cucumber
        for e in f["elements"]
        if any(s["result"]["status"] == "failed" for s in e["steps"])
    }
    assert failed_scenarios <= cucumber_failed
    assert sum(1 for outcome in junit.values() if outcome == "failed") == len(cucumber_failed)
    port = backend.rsplit(":", 1)[1]
    # Stable names: the target's label, never its port.
    assert all(name.partition("[")[2].startswith("http") for name in junit)
    assert not any(port in name for name in junit)


def test_a_backend_that_does_not_answer_stops_at_the_preflight_with_exit_6(
    tmp_path: Path, env: dict[str, str]
) -> None:
    nobody = "http://127.0.0.1:9"  # the discard port: nothing listens there
    done = _verify(
        "--target", nobody, "--stream-url", nobody, "--report-dir", str(tmp_path), env=env
    )
    assert done.returncode == 6, done.stdout[-2000:] + done.stderr[-2000:]
    assert "chatgate verify: the preflight failed" in done.stderr
    assert "127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
