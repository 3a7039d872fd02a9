"""What each load shape asks for at a moment of the run: `(users, spawn rate)`, or None
when the run is over. Plain functions of the run time and the options, so they are
tested without Locust; chatgate.load.shapes wraps them as Locust `LoadTestShape`s."""

from __future__ import annotations

from typing import Any

Plan = tuple[int, float] | None


def _end_s(options: Any) -> float:
    return float(options.run_time or 60)


def ramp(now: float, options: Any) -> Plan:
    """From 0 up to `--users` in `--ramp-steps` equal steps over the first half of the
    run, then held there until it ends."""
    end = _end_s(options)
    if now >= end:
        return None
    steps = max(1, int(options.ramp_steps))
    step = min(steps, int(now / (end / 2) * steps) + 1)
    return max(1, round(options.num_users * step / steps)), float(options.spawn_rate)


def spike(now: float, options: Any) -> Plan:
    """`--users` throughout, with `--spike-users` for `--spike-for` seconds from
    `--spike-at` (seconds, or a fraction of the run when below 1)."""
    end = _end_s(options)
    if now >= end:
        return None
    at = float(options.spike_at)
    start = at * end if at < 1 else at
    if start <= now < start + float(options.spike_for):
        users = int(options.spike_users)
        return users, max(float(options.spawn_rate), float(users))  # a spike arrives at once
    return int(options.num_users), float(options.spawn_rate)


def soak(now: float, options: Any) -> Plan:
    """`--users` reached at `--spawn-rate`, then held for the whole run: for the slow
    leaks (connections, memory, growing latency) a short run never shows."""
    if now >= _end_s(options):
        return None
    return int(options.num_users), float(options.spawn_rate)
