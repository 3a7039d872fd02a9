"""The load shapes as Locust `LoadTestShape`s, by name (`steady` is no shape: Locust's own
`--users`/`--spawn-rate`). What each asks for is in chatgate.load.plans; the options
(`--users`, `--spawn-rate`, the run time, `--ramp-steps`, `--spike-users`, `--spike-at`,
`--spike-for`) come from the command line. Every shape ends by itself at the run time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from locust import LoadTestShape

from chatgate.load import plans


def _shape(name: str, plan: Callable[[float, Any], plans.Plan]) -> type[LoadTestShape]:
    def tick(self: LoadTestShape) -> plans.Plan:
        return plan(self.get_run_time(), self.runner.environment.parsed_options)

    return type(name, (LoadTestShape,), {"tick": tick, "__doc__": plan.__doc__})


SHAPES: dict[str, type[LoadTestShape] | None] = {
    "steady": None,
    "ramp": _shape("Ramp", plans.ramp),
    "spike": _shape("Spike", plans.spike),
    "soak": _shape("Soak", plans.soak),
}


def add_shape_options(parser: Any) -> None:
    """The shapes' own options, on Locust's parser."""
    group = parser.add_argument_group("chatgate load shapes")
    group.add_argument("--ramp-steps", type=int, default=4, help="ramp: steps up to --users")
    group.add_argument("--spike-users", type=int, default=50, help="spike: users in the spike")
    group.add_argument(
        "--spike-at",
        type=float,
        default=0.5,
        help="spike: when it starts, in seconds (a fraction of the run when below 1)",
    )
    group.add_argument("--spike-for", type=float, default=10.0, help="spike: seconds it lasts")
