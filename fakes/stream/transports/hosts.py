"""What the in-process transports intercept, defined once for both (`responses` for the
sync SDK, `aioresponses` for the async one), so they take the same traffic.

Stream's own hosts (`*.stream-io-api.com`) are always intercepted, so code that builds
a client without a base URL can never reach the real service from a test; so are the
extra base URLs given. Loopback traffic passes through to real servers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote

STREAM_HOSTS = re.compile(r"^https?://([\w-]+\.)*stream-io-api\.com(:\d+)?(?P<path>/.*)?$")
LOOPBACK = re.compile(r"^https?://(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?/")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _base_pattern(base_url: str) -> re.Pattern[str]:
    base = base_url.rstrip("/")
    return re.compile("^" + re.escape(base) + r"(?P<path>/[^?]*)?(\?.*)?$")


class Intercepted:
    """The URL patterns a transport answers from the fake: `base_urls`, then Stream's."""

    def __init__(self, base_urls: Iterable[str] = ()) -> None:
        self._bases = [_base_pattern(url) for url in base_urls]
        self.patterns = [*self._bases, STREAM_HOSTS]

    def path_of(self, url: str, url_path: str) -> str:
        """The fake's path for an intercepted `url` whose own path is `url_path`: what
        follows the base URL it matched (or `url_path` on Stream's hosts),
        percent-decoded as ASGI servers hand it over."""
        for pattern in self._bases:
            found = pattern.match(url)
            if found:
                return unquote(found.group("path") or "/")
        return unquote(url_path)
