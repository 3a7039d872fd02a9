"""The shared shape of things a test starts and stops: use them as context managers."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

T = TypeVar("T", bound="Lifecycle")


class Lifecycle:
    """`with thing:` starts it and always stops it.

    `start()` returns the object itself; things that already run once
    constructed keep this default.
    """

    def start(self: T) -> T:
        return self

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: T) -> T:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
