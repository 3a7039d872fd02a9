"""What both running fakes (in-process and server) offer a test."""

from __future__ import annotations

from chatgate.lifecycle import Lifecycle

from .clock import Clock
from .credentials import Credentials
from .dispatcher import FakeStream
from .faults import Faults
from .journal import Journal
from .models import AppState


class FakeAppHandle(Lifecycle):
    """A running fake with one default app: its credentials, state and controls."""

    fake: FakeStream
    credentials: Credentials

    @property
    def api_key(self) -> str:
        return self.credentials.api_key

    @property
    def api_secret(self) -> str:
        return self.credentials.api_secret

    @property
    def state(self) -> AppState:
        """The default app's live state (users, channels, messages, tasks, ...)."""
        return self.fake.app(self.api_key)

    def reset(self, *, configuration: bool = False) -> None:
        """Empty the fake: state, journal and fault rules; custom roles too if `configuration`."""
        self.fake.reset(configuration=configuration)

    @property
    def journal(self) -> Journal:
        return self.fake.journal

    @property
    def faults(self) -> Faults:
        return self.fake.faults

    @property
    def clock(self) -> Clock:
        return self.fake.clock
