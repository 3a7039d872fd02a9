"""Steps for the backend's log lines: in-process, or the file `--backend-log` names;
on a remote backend without it they skip and say why."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then

from chatgate.fixtures.targets import Driver, Unobservable
from chatgate.fixtures.targets.driver import LogLine

UPSERT_LINE = "Upserting users to StreamChat"


def _lines(driver: Driver) -> list[LogLine]:
    try:
        return driver.log_lines()
    except Unobservable as why:
        pytest.skip(str(why))


@then("the backend logged, in order:")
def logged_in_order(driver: Driver, datatable: list[list[str]]) -> None:
    messages = [line.message for line in _lines(driver)]
    position = 0
    for (expected,) in datatable[1:]:
        found = next((i for i in range(position, len(messages)) if expected in messages[i]), None)
        assert found is not None, (
            f"expected a line with {expected!r} after line {position}; the backend logged "
            f"{messages}"
        )
        position = found + 1


@then(parsers.parse('the upsert log line counts {count:d} users: "{first}" and "{second}"'))
def upsert_log_line(driver: Driver, count: int, first: str, second: str) -> None:
    lines = _lines(driver)
    line = next((x for x in lines if UPSERT_LINE in x.message), None)
    assert line is not None, (
        f"expected a {UPSERT_LINE!r} line; the backend logged {[x.message for x in lines]}"
    )
    expected = sorted(driver.entity(n).stream_id for n in (first, second))
    found = (line.fields.get("count"), sorted(line.fields.get("userIds") or []))
    assert found == (count, expected), (
        f"expected the {UPSERT_LINE!r} line with count {count} and userIds {expected}; "
        f"its fields are {line.fields}"
    )
