"""A channel's effective configuration: its type's settings with the channel's own
`config_overrides` over them (Stream's "channel-level settings")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import texts
from .errors import ErrorCode, StreamError

if TYPE_CHECKING:
    from .models import AppState, Channel

# The settings a channel may override (docs "Channel-level settings", the SDKs'
# ConfigOverridesRequest); any other key in `config_overrides` is left out.
OVERRIDABLE = frozenset(
    {
        "blocklist",
        "blocklist_behavior",
        "commands",
        "count_messages",
        "grants",
        "max_message_length",
        "push_level",
        "quotes",
        "reactions",
        "replies",
        "shared_locations",
        "typing_events",
        "uploads",
        "url_enrichment",
        "user_message_reminders",
    }
)


def config_for(app: AppState, channel: Channel) -> dict[str, Any]:
    """The channel type's config with the channel's `config_overrides` merged over it.

    UNCONFIRMED: an overridden `grants` replaces the type's grants whole (Stream
    documents them as modifiers of the type's grants).
    """
    config = dict(app.channel_types.get(channel.type, {}))
    overrides = channel.custom.get("config_overrides")
    if isinstance(overrides, dict):
        config.update({k: v for k, v in overrides.items() if k in OVERRIDABLE})
    return config


def require_feature(app: AppState, channel: Channel, feature: str) -> None:
    """Code 19 unless the channel's config has `feature` (reactions, uploads, ...) on."""
    if not config_for(app, channel).get(feature, True):
        raise StreamError(
            ErrorCode.CHANNEL_FEATURE_NOT_SUPPORTED,
            texts.CHANNEL_FEATURE_DISABLED.format(feature=feature, channel_type=channel.type),
        )
