"""Calling Stream: bounded retries, rate-limit waits, and failures as `SyncError`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from . import errors
from .errors import SyncError
from .ratelimit import RateLimitObserver
from .retry import RateLimitTooLong, RetryPolicy
from .wire import write_requests_whole

T = TypeVar("T")


def settle_environment(stream: StreamChat) -> None:
    """Read the proxy and CA-bundle settings from the environment once, for Stream's URL.

    requests otherwise re-reads the whole environment on every call (a good part of a
    millisecond per Stream call here); the settings are the same, taken at start. The one
    thing dropped is a `.netrc` login, which would replace the SDK's own Authorization."""
    session = stream.session
    if not session.trust_env:
        return
    settings = session.merge_environment_settings(stream.base_url, {}, None, None, None)
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]
    session.cert = settings["cert"]
    session.trust_env = False


class StreamCalls:
    """Runs calls to `stream` under `retry`; what still fails becomes an upstream failure."""

    def __init__(
        self, stream: StreamChat, retry: RetryPolicy, now: Callable[[], float] = time.time
    ) -> None:
        self.retry = retry
        self.rate_limits = RateLimitObserver(now)
        self.rate_limits.install(stream)
        settle_environment(stream)
        write_requests_whole(stream)

    def __call__(self, call: Callable[[], T]) -> T:
        """`call()`, retried on transient failures (the Stream error stays the cause)."""
        try:
            return self.retry.run(call, self.rate_limits.take)
        except RateLimitTooLong as error:
            raise errors.rate_limited(error.wait_s) from error
        except StreamAPIException as error:
            raise errors.stream_refused(error) from error
        except SyncError:
            raise
        except Exception as error:
            raise errors.stream_unreachable(error) from error
