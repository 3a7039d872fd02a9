"""Small helpers to summarise latencies."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile of `samples` (pct in 0..100)."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(1, round(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def summary(label: str, latencies_s: list[float], wall_s: float) -> str:
    """One printed line: count, throughput, p50/p99/mean in milliseconds."""
    ms = [x * 1000 for x in latencies_s]
    return (
        f"{label:<44} n={len(ms):>6}  {len(ms) / wall_s:>9.0f} ops/s  "
        f"p50={percentile(ms, 50):7.2f} ms  p99={percentile(ms, 99):7.2f} ms  "
        f"mean={statistics.fmean(ms):7.2f} ms"
    )
