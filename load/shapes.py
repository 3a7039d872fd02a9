"""The load shapes a run can take, by name: `ramp`, `spike` and `soak` (Locust
`LoadTestShape`s), or `steady` (no shape: Locust's own `--users`/`--spawn-rate`).

Each reads its parameters from the run's options (`--users`, `--spawn-rate`, the run
time, and the shape's own: `--spike-users`, `--spike-at`, `--spike-for`, `--ramp-steps`),
so they are set on the command line. Every shape ends by itself at the run time.
"""

from __future__ import annotations

from typing import Any

from locust import LoadTestShape

SHAPE_NAMES = ("steady", "ramp", "spike", "soak")


def _options(shape: LoadTestShape) -> Any:
    return shape.runner.environment.parsed_options


def _end_s(options: Any) -> float:
    return float(options.run_time or 60)


class Ramp(LoadTestShape):
    """From 0 up to `--users` in `--ramp-steps` equal steps over the first half of the
    run, then held there until it ends."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = _options(self)
        end, now = _end_s(options), self.get_run_time()
        if now >= end:
            return None
        steps = max(1, int(options.ramp_steps))
        step = min(steps, int(now / (end / 2) * steps) + 1)
        return max(1, round(options.num_users * step / steps)), float(options.spawn_rate)


class Spike(LoadTestShape):
    """`--users` throughout, with `--spike-users` for `--spike-for` seconds starting at
    `--spike-at` seconds (the fraction of the run when given as 0-1)."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = _options(self)
        end, now = _end_s(options), self.get_run_time()
        if now >= end:
            return None
        at = float(options.spike_at)
        start = at * end if at < 1 else at
        if start <= now < start + float(options.spike_for):
            spike = int(options.spike_users)
            return spike, max(float(options.spawn_rate), float(spike))  # a spike arrives at once
        return int(options.num_users), float(options.spawn_rate)


class Soak(LoadTestShape):
    """`--users` reached at `--spawn-rate`, then held for the whole run time: for the slow
    leaks (connections, memory, growing latency) a short run never shows."""

    use_common_options = True

    def tick(self) -> tuple[int, float] | None:
        options = _options(self)
        if self.get_run_time() >= _end_s(options):
            return None
        return int(options.num_users), float(options.spawn_rate)


SHAPES: dict[str, type[LoadTestShape] | None] = {
    "steady": None,
    "ramp": Ramp,
    "spike": Spike,
    "soak": Soak,
}


def add_shape_options(parser: Any) -> None:
    """The shapes' own options, on Locust's parser."""
    group = parser.add_argument_group("chatgate load shapes")
    group.add_argument("--ramp-steps", type=int, default=4, help="ramp: steps up to --users")
    group.add_argument("--spike-users", type=int, default=50, help="spike: users during the spike")
    group.add_argument(
        "--spike-at",
        type=float,
        default=0.5,
        help="spike: when it starts, in seconds (or a fraction of the run when below 1)",
    )
    group.add_argument("--spike-for", type=float, default=10.0, help="spike: seconds it lasts")
