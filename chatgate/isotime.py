"""ISO 8601 timestamps read alike on every Python chatgate supports (3.10+).

Python 3.11's `datetime.fromisoformat` reads a `Z` and a fraction of any length;
3.10's reads only what `isoformat()` writes: no `Z`, a fraction of exactly 3 or 6
digits. The timestamps chatgate reads have both: JavaScript's `toISOString()` ends
in `Z`, and PostgreSQL's JSON drops a fraction's trailing zeros ("12:00:01.5").
"""

from __future__ import annotations

import re
from datetime import datetime

_FRACTION = re.compile(r"(?<=:\d\d)\.(\d+)")


def _microseconds(match: re.Match[str]) -> str:
    return "." + match.group(1)[:6].ljust(6, "0")  # 3.11 also drops digits past the sixth


def parse_iso(text: str) -> datetime:
    """`datetime.fromisoformat(text)` as Python 3.11 reads it, on 3.10 too (a trailing `Z`
    is UTC). Raises ValueError for text that is not an ISO 8601 timestamp."""
    normalized = _FRACTION.sub(_microseconds, text, count=1)
    if normalized[-1:] in ("Z", "z"):
        normalized = normalized[:-1] + "+00:00"
    return datetime.fromisoformat(normalized)
