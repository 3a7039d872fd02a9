"""What a handler receives: the app, the caller and the parsed request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from chatgate.http.jsonbody import Undecodable, decode_json

from . import texts
from .auth import Principal
from .errors import input_error, not_found
from .models import AppState, Channel
from .uploads import DEFAULT_BASE_URL

if TYPE_CHECKING:
    from .ratelimits import RateLimits


@dataclass
class Call:
    app: AppState
    principal: Principal
    operation: str
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    rate_limits: RateLimits | None = None
    # Where the client reached the fake (uploads.origin), for URLs of files it serves.
    origin: str = DEFAULT_BASE_URL
    # Set by the dispatcher once the handler has run: it created a channel (webhooks).
    created_channel: bool = False
    # Set by handlers for their webhook events: the users an UpdateChannel made members
    # (member.added), and whether a SendReaction changed a reaction the user already had
    # (reaction.updated rather than reaction.new).
    added_members: list[str] = field(default_factory=list)
    updated_reaction: bool = False

    @property
    def now(self) -> datetime:
        return self.app.clock.now()

    def channel(self) -> Channel:
        """The channel the path's type and id address, or Stream's not-found error."""
        cid = f"{self.params['type']}:{self.params['id']}"
        channel = self.app.live_channel(cid)
        if channel is None:
            raise not_found(texts.CHANNEL_NOT_FOUND.format(cid=cid))
        return channel

    def payload(self) -> dict[str, Any]:
        """The JSON object in the `payload` query parameter used by GET queries."""
        raw = self.query.get("payload")
        if raw is None:
            raise input_error(texts.REQUIRED_FIELD.format(path="payload"))
        value = decode_json(raw)
        if isinstance(value, Undecodable):
            raise input_error(f"payload is not valid JSON: {value.error}")
        if not isinstance(value, dict):
            raise input_error("payload must be a JSON object")
        return value
