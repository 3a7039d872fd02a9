"""In-process use without pytest: `with InProcessStream() as stream: stream.client...`."""

from __future__ import annotations

from stream_chat import StreamChat

from .credentials import Credentials, default_credentials
from .dispatcher import FakeStream
from .lifecycle import FakeAppHandle
from .transports.responses_adapter import ResponsesTransport
from .uploads import DEFAULT_BASE_URL


class InProcessStream(FakeAppHandle):
    """A fake Stream app intercepting the sync SDK's HTTP calls in this process.

    `client` is an official `StreamChat` with the default base URL: the fake
    answers for Stream's real hosts, so nothing can leak to the live service.
    """

    def __init__(
        self,
        credentials: Credentials | None = None,
        *,
        seed: int | None = 0,
        extra_base_urls: tuple[str, ...] = (),
    ) -> None:
        self.credentials = credentials or default_credentials()
        self.fake = FakeStream(seed=seed)
        self.fake.register_app(self.credentials.api_key, self.credentials.api_secret)
        self.base_url = DEFAULT_BASE_URL
        self._transport = ResponsesTransport(self.fake, extra_base_urls)
        self.client = StreamChat(
            self.credentials.api_key, self.credentials.api_secret, base_url=self.base_url
        )

    def start(self) -> InProcessStream:
        self._transport.start()
        return self

    def stop(self) -> None:
        self._transport.stop()
