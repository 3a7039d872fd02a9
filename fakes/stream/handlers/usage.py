"""Team usage statistics (`POST /stats/team_usage`), derived from the fake's own state.

Teams are listed only when the app has `multi_tenant_enabled` (set with
`update_app_settings`), as on live Stream, where a regular app gets no teams.
They are the teams of the users (`""` for a user in none) and of the channels
(their `team`, `""` without), sorted by name, at most `limit` (1 to 30, default
30) a page, with a `next` cursor while more remain.

The days are UTC dates of the fake's clock, from `start_date` to `end_date`
(each day listed in `daily`; at most 366 days) or over `month` (`YYYY-MM`; the
current month by default; totals only), days after today left out. On a day a
team's messages are those posted that day in its channels, its *engaged* users
their authors, and its *active* users those engaged, plus the team's users
created or updated that day and the users who reacted or read in its channels
that day. Per metric:

- `users_daily`, `messages_daily`: active users, messages; total = sum of the days;
- `users_total`, `messages_total`: the team's users (not deleted) and messages up
  to that day; `users_last_24_hours` / `_last_30_days` / `_month_to_date`: active
  users in the day / the 30 days / the month up to that day, `users_engaged_*`
  the same for engaged users, `messages_last_*` the messages; total = the last day's;
- `translations_daily`, `image_moderations_daily`, `concurrent_users`,
  `concurrent_connections`: always 0 (the fake keeps no such record; no websockets).

UNCONFIRMED: what live Stream counts as an active or engaged user, the texts,
and the 366-day bound.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from .. import texts
from ..call import Call
from ..errors import input_error
from ..models import AppState
from ..paging import decode_cursor, page
from ..validation import int_in_range, optional

MAX_LIMIT = 30
MAX_DAYS = 366
ALWAYS_ZERO = (
    "translations_daily",
    "image_moderations_daily",
    "concurrent_users",
    "concurrent_connections",
)


def _date(body: dict[str, Any], key: str, layout: str, pattern: str) -> date | None:
    value = optional(body, key, str)
    if value is None:
        return None
    try:
        if len(value) != len(layout):
            raise ValueError(value)
        return datetime.strptime(value, pattern).date()
    except ValueError:
        raise input_error(texts.DATE_FORMAT.format(path=key, layout=layout)) from None


def _days(body: dict[str, Any], today: date) -> tuple[list[date], bool]:
    """The days asked for (up to today) and whether they are listed one by one."""
    month = _date(body, "month", "YYYY-MM", "%Y-%m")
    start = _date(body, "start_date", "YYYY-MM-DD", "%Y-%m-%d")
    end = _date(body, "end_date", "YYYY-MM-DD", "%Y-%m-%d")
    daily = start is not None or end is not None
    if month is not None and daily:
        raise input_error("month cannot be combined with start_date or end_date")
    if daily:
        if start is None or end is None:
            missing = "start_date" if start is None else "end_date"
            raise input_error(texts.REQUIRED_FIELD.format(path=missing))
        if end < start:
            raise input_error("end_date must not be before start_date")
        if (end - start).days >= MAX_DAYS:
            raise input_error(f"the date range must be at most {MAX_DAYS} days")
    else:
        start = month or today.replace(day=1)
        end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
    last = min(end, today)
    return [start + timedelta(days=n) for n in range((last - start).days + 1)], daily


class _Team:
    """One team's dated records: who was active or engaged on which day, and when its
    users and messages came (and users went)."""

    def __init__(self) -> None:
        self.active: dict[date, set[str]] = defaultdict(set)
        self.engaged: dict[date, set[str]] = defaultdict(set)
        self.messages: dict[date, int] = defaultdict(int)
        self.users: list[tuple[date, date | None]] = []

    def _window(self, days: dict[date, set[str]], first: date, last: date) -> int:
        return len(set().union(*(users for day, users in days.items() if first <= day <= last)))

    def _messages(self, first: date, last: date) -> int:
        return sum(n for day, n in self.messages.items() if first <= day <= last)

    def metrics(self, day: date) -> dict[str, int]:
        """Every counted metric's value on `day`."""
        month, month_ago = day.replace(day=1), day - timedelta(days=29)
        return {
            "users_daily": self._window(self.active, day, day),
            "messages_daily": self._messages(day, day),
            "users_total": sum(1 for came, went in self.users if came <= day < (went or date.max)),
            "users_last_24_hours": self._window(self.active, day, day),
            "users_last_30_days": self._window(self.active, month_ago, day),
            "users_month_to_date": self._window(self.active, month, day),
            "users_engaged_last_30_days": self._window(self.engaged, month_ago, day),
            "users_engaged_month_to_date": self._window(self.engaged, month, day),
            "messages_total": self._messages(date.min, day),
            "messages_last_24_hours": self._messages(day, day),
            "messages_last_30_days": self._messages(month_ago, day),
            "messages_month_to_date": self._messages(month, day),
        }


# The metrics derived from the stored state, in the answer's order.
COUNTED = tuple(_Team().metrics(date(2000, 1, 1)))


def _teams(app: AppState) -> dict[str, _Team]:
    teams: dict[str, _Team] = defaultdict(_Team)
    for user in app.users.values():
        for team in user.teams or [""]:
            record = teams[team]
            record.active[user.created_at.date()].add(user.id)
            record.active[user.updated_at.date()].add(user.id)
            went = user.deleted_at.date() if user.deleted_at else None
            record.users.append((user.created_at.date(), went))
    for channel in app.channels.values():
        team = channel.custom.get("team")
        record = teams[team if isinstance(team, str) else ""]
        for message_id in channel.message_ids:
            message = app.messages[message_id]
            day = message.created_at.date()
            record.messages[day] += 1
            record.engaged[day].add(message.user_id)
            record.active[day].add(message.user_id)
            for reaction in app.reactions.get(message_id, ()):
                record.active[reaction.created_at.date()].add(reaction.user_id)
        for user_id, read in channel.reads.items():
            record.active[read.last_read.date()].add(user_id)
    return teams


def _metric(values: list[tuple[date, int]], name: str, daily: bool) -> dict[str, Any]:
    numbers = [value for _, value in values]
    if name.endswith("_daily"):
        total = sum(numbers)
    elif name.startswith("concurrent_"):
        total = max(numbers, default=0)
    else:
        total = numbers[-1] if numbers else 0
    body: dict[str, Any] = {"total": total}
    if daily:
        body["daily"] = [{"date": day.isoformat(), "value": value} for day, value in values]
    return body


def _team_stats(name: str, record: _Team, days: list[date], daily: bool) -> dict[str, Any]:
    per_day = [(day, record.metrics(day)) for day in days]
    names = [*ALWAYS_ZERO, *COUNTED]
    return {
        "team": name,
        **{
            metric: _metric(
                [(day, values.get(metric, 0)) for day, values in per_day], metric, daily
            )
            for metric in names
        },
    }


def query_team_usage_stats(call: Call) -> dict[str, Any]:
    """POST /stats/team_usage (QueryTeamUsageStats) `{month | start_date, end_date, limit,
    next}`: `{teams, next?}`."""
    body = call.body
    days, daily = _days(body, call.now.date())
    limit = int_in_range(body.get("limit", MAX_LIMIT), "limit", 1, MAX_LIMIT)
    cursor = optional(body, "next", str)
    offset, _ = decode_cursor(cursor, "next") if cursor else (0, [])
    teams = _teams(call.app) if call.app.settings.get("multi_tenant_enabled") is True else {}
    chosen, following, _ = page(sorted(teams), offset, limit, [])
    answer: dict[str, Any] = {
        "teams": [_team_stats(name, teams[name], days, daily) for name in chosen]
    }
    if following is not None:
        answer["next"] = following
    return answer
