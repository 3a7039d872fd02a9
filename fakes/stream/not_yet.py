"""SDK methods the fake does not serve yet: the coverage test's one, shrinking allowlist.

`tests/test_fake_stream_coverage.py` fails when an SDK method that calls the API
is neither served by the fake nor listed here, and when an entry is stale (the
method is served now, or the SDK no longer has it): each new route removes its
entries. Why each one is not served (the missing route, or the body fields its
route ignores) is computed, and shown in docs/fake-stream.md's SDK table.
"""

from __future__ import annotations

# One "StreamChat.<method>" or "Channel.<method>" per line while the fake does not
# serve it; empty now: every method that calls the API is served.
NOT_YET: frozenset[str] = frozenset()
