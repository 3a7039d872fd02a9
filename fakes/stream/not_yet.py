"""SDK methods the fake does not serve yet: the coverage test's one, shrinking allowlist.

`tests/test_fake_stream_coverage.py` fails when an SDK method that calls the API
is neither served by the fake nor listed here, and when an entry is stale (the
method is served now, or the SDK no longer has it): each new route removes its
entries. Why each one is not served (the missing route, or the body fields its
route ignores) is computed, and shown in docs/fake-stream.md's SDK table.
"""

from __future__ import annotations

NOT_YET: frozenset[str] = frozenset(
    {
        "StreamChat.create_import",
        "StreamChat.create_import_url",
        "StreamChat.get_import",
        "StreamChat.list_imports",
        "StreamChat.send_file",
        "Channel.delete_file",
        "Channel.delete_image",
        "Channel.send_file",
        "Channel.send_image",
    }
)
