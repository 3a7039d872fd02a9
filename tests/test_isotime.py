"""ISO 8601 timestamps read the same way on Python 3.10 as on 3.11+."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from chatgate.isotime import parse_iso


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # PostgreSQL's JSON: a `timestamp` with its fraction's trailing zeros dropped.
        ("2026-12-01T23:51:21.79227", datetime(2026, 12, 1, 23, 51, 21, 792270)),
        ("2026-12-01T23:51:21.5", datetime(2026, 12, 1, 23, 51, 21, 500000)),
        ("2026-12-01T23:51:21", datetime(2026, 12, 1, 23, 51, 21)),
        # JavaScript's toISOString(), and Stream's own timestamps.
        ("2026-12-01T23:51:21.123Z", datetime(2026, 12, 1, 23, 51, 21, 123000, timezone.utc)),
        ("2026-12-01T23:51:21.123456Z", datetime(2026, 12, 1, 23, 51, 21, 123456, timezone.utc)),
        # Digits past the sixth are dropped, as Python 3.11 does.
        ("2026-12-01T23:51:21.123456789Z", datetime(2026, 12, 1, 23, 51, 21, 123456, timezone.utc)),
        (
            "2026-12-01T23:51:21.25+02:00",
            datetime(2026, 12, 1, 23, 51, 21, 250000, timezone(timedelta(hours=2))),
        ),
    ],
)
def test_timestamps_are_read_whatever_the_digits_of_their_fraction(
    text: str, expected: datetime
) -> None:
    assert parse_iso(text) == expected
    assert parse_iso(text).tzinfo == expected.tzinfo


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-12-01T25:00Z"])
def test_text_that_is_no_timestamp_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (the message is Python's own)
        parse_iso(text)
