"""The locustfile `chatgate load` runs (`locust -f <this file> <ProfileClass>`): every
profile, the shape named by `CHATGATE_LOAD_SHAPE`, chatgate's options, and the end of run:
gates, consistency, a JSON summary and the exit status.

It also works with plain Locust: `locust -f $(python -c "import chatgate.load.locustfile as
m; print(m.__file__)") CompanyToNewUser --host http://127.0.0.1:8080 --headless -u 10 -t 30s`.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import requests
from locust import events
from locust.runners import MasterRunner, WorkerRunner

from chatgate.load import shapes
from chatgate.load.consistency import check, fake_channels
from chatgate.load.gates import GateFileError, evaluate, figures, thresholds_from
from chatgate.load.profiles import (  # noqa: F401 - Locust finds the profiles here by name
    LEDGER,
    CompanyToExistingUser,
    CompanyToNewUser,
    FakeStreamLoad,
    Mixed,
    UserToCompany,
)
from chatgate.load.records import MESSAGE_TYPE
from chatgate.load.summary import route_rows
from chatgate.naming import DEFAULT_CHANNEL_TYPE, DEFAULT_STREAM_USER_ID_FORMAT

SHAPE_ENV = "CHATGATE_LOAD_SHAPE"
log = logging.getLogger("chatgate.load")

_shape = shapes.SHAPES.get(os.environ.get(SHAPE_ENV, "steady") or "steady")
if _shape is not None:
    Shape = _shape  # Locust runs the one shape class this module holds


@events.init_command_line_parser.add_listener
def _options(parser: Any) -> None:
    group = parser.add_argument_group("chatgate")
    group.add_argument("--stream-url", default="", help="the fake Stream's URL (consistency)")
    group.add_argument("--stream-api-key", default="", help="the fake app's key")
    group.add_argument("--stream-api-secret", default="", help="the fake app's secret")
    group.add_argument("--stream-user-id-format", default=DEFAULT_STREAM_USER_ID_FORMAT)
    group.add_argument("--channel-type", default=DEFAULT_CHANNEL_TYPE)
    group.add_argument("--p95-ms", type=float, default=None, help="gate: p95 creation ms")
    group.add_argument("--failure-ratio", type=float, default=None, help="gate: failure ratio")
    group.add_argument("--gates-file", default="", help="gate thresholds, TOML [gates]")
    group.add_argument("--summary-json", default="", help="write the end-of-run summary here")
    shapes.add_shape_options(parser)


@events.init.add_listener
def _init(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(MESSAGE_TYPE, lambda msg, **_: LEDGER.receive(msg.data))


@events.test_stop.add_listener
def _send_records(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        environment.runner.send_message(MESSAGE_TYPE, LEDGER.take())


@events.quitting.add_listener
def _end_of_run(environment: Any, **_: Any) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    # A stop request (SIGTERM, Ctrl-C) fires this while users still run: stop them (a
    # master waits for its workers) so the figures and the records are final and agree.
    environment.runner.stop()
    options = environment.parsed_options
    summary: dict[str, Any] = {"routes": route_rows(environment.stats)}
    try:
        results = evaluate(figures(environment.stats), thresholds_from(vars(options)))
    except (GateFileError, ValueError) as error:
        log.error("chatgate: %s", error)
        environment.process_exit_code = 2
        return
    summary["gates"] = [r.to_json() for r in results]
    passed = all(r.passed for r in results)
    for result in results:
        print(f"gate {'PASS' if result.passed else 'FAIL'} {result.name}: {result.text}")
    stream_url = options.stream_url or (options.host if _runs_fake_profile(environment) else "")
    if stream_url:
        try:
            channels = fake_channels(stream_url, options.stream_api_key or None)
        except (requests.RequestException, ValueError) as error:
            print(
                f"consistency: FAIL, cannot read the fake Stream's state at {stream_url}: {error}"
            )
            channels = None
        consistency = check(LEDGER.created, channels or [])
        if channels is None:
            consistency.missing = ["(the fake's state could not be read)"]
        summary["consistency"] = consistency.to_json()
        summary["workers_reported"] = LEDGER.workers_reported
        for line in consistency.lines():
            print(line)
        passed = passed and consistency.ok
    summary["passed"] = passed
    if options.summary_json:
        Path(options.summary_json).write_text(json.dumps(summary, indent=2), encoding="utf-8")
    environment.process_exit_code = 0 if passed else 1


def _runs_fake_profile(environment: Any) -> bool:
    return any(cls is FakeStreamLoad for cls in environment.user_classes)
