"""App-level reads: settings and channel types."""

from __future__ import annotations

import copy
from typing import Any

from .. import texts, webhooks
from ..call import Call
from ..clock import parse_stream_time, stream_time
from ..errors import input_error, not_found
from ..models import default_channel_type_config
from ..ratelimits import PLATFORMS
from ..validation import check_role_name, expect, int_in_range, optional, query_bool


def _type_body(config: dict[str, Any]) -> dict[str, Any]:
    body = {
        k: stream_time(v) if k in ("created_at", "updated_at") else v for k, v in config.items()
    }
    body.setdefault("permissions", [])
    body.setdefault("grants", {})
    return body


def get_app(call: Call) -> dict[str, Any]:
    """GET /app (GetApp): exactly `app` (plus `duration`) at the top level."""
    app = call.app
    return {
        "app": {
            "name": app.api_key,
            "organization": "chatgate",
            "disable_auth_checks": False,
            "disable_permissions_checks": False,
            "enforce_unique_usernames": "no",
            "multi_tenant_enabled": False,
            "permission_version": "v2",
            "channel_configs": {
                name: _type_body(config) for name, config in app.channel_types.items()
            },
            "event_hooks": [],
            **app.settings,
        }
    }


def list_channel_types(call: Call) -> dict[str, Any]:
    """GET /channeltypes (ListChannelTypes)."""
    return {
        "channel_types": {
            name: _type_body(config) for name, config in call.app.channel_types.items()
        }
    }


def get_channel_type(call: Call) -> dict[str, Any]:
    """GET /channeltypes/{name} (GetChannelType); a missing type is a 404."""
    config = call.app.channel_types.get(call.params["name"])
    if config is None:
        raise not_found(texts.CHANNEL_TYPE_NOT_FOUND.format(name=call.params["name"]))
    return _type_body(config)


# The app settings the fake applies, with their JSON types; any other key is code 4
# rather than stored and echoed as if honoured. `event_hooks` is kept and read back
# only (the SDK's own test round-trips it; the fake delivers webhooks from
# `webhook_url`), and `revoke_tokens_issued_before` is what `revoke_tokens` sends.
APP_SETTINGS: dict[str, type | tuple[type, ...]] = {
    "webhook_url": str,
    "webhook_events": list,
    "event_hooks": list,
    "revoke_tokens_issued_before": str,
    "disable_permissions_checks": bool,
    "enforce_unique_usernames": str,
    "multi_tenant_enabled": bool,
}
UNIQUE_USERNAME_SCOPES = ("no", "app", "team")
UNKNOWN_APP_SETTING = '"{key}" is not an app setting chatgate\'s fake applies (it applies: {keys})'


def update_app(call: Call) -> dict[str, Any]:
    """PATCH /app (UpdateApp): settings the fake applies are stored and read back by
    GET /app; a `webhook_url` must be on loopback (the fake calls nothing else),
    `webhook_events` must name events the fake sends, and `enforce_unique_usernames`
    is one of `no`, `app`, `team`."""
    body = call.body
    for key, value in body.items():
        if key not in APP_SETTINGS:
            raise input_error(UNKNOWN_APP_SETTING.format(key=key, keys=", ".join(APP_SETTINGS)))
        if value is not None:
            expect(value, APP_SETTINGS[key], key)
    url = optional(body, "webhook_url", str)
    if url and not webhooks.loopback(url):
        raise input_error(texts.WEBHOOK_NOT_LOOPBACK.format(url=url))
    events = optional(body, "webhook_events", list) or []
    for index, kind in enumerate(events):
        if expect(kind, str, f"webhook_events[{index}]") not in webhooks.EVENT_TYPES:
            raise input_error(
                texts.WEBHOOK_EVENT_UNKNOWN.format(type=kind, types=", ".join(webhooks.EVENT_TYPES))
            )
    revoke = body.get("revoke_tokens_issued_before")
    if revoke is not None:
        try:
            parse_stream_time(revoke)
        except ValueError:
            # UNCONFIRMED text.
            raise input_error(
                f'revoke_tokens_issued_before "{revoke}" is not an RFC 3339 timestamp'
            ) from None
    scope = body.get("enforce_unique_usernames")
    if scope is not None and scope not in UNIQUE_USERNAME_SCOPES:
        # UNCONFIRMED text.
        raise input_error(
            f"enforce_unique_usernames must be one of [{' '.join(UNIQUE_USERNAME_SCOPES)}]"
        )
    call.app.settings.update(copy.deepcopy(body))
    return {}


def get_rate_limits(call: Call) -> dict[str, Any]:
    """GET /rate_limits (GetRateLimits): per platform and endpoint, from the fake's counters."""
    wanted = [p for p in PLATFORMS if query_bool(call.query, p)] or list(PLATFORMS)
    endpoints = [e for e in call.query.get("endpoints", "").split(",") if e]
    limits = call.rate_limits
    assert limits is not None, "the dispatcher always passes its rate limits"
    now = call.now.timestamp()
    return {p: limits.snapshot(call.app.api_key, endpoints, now, p) for p in wanted}


# Channel-type settings an update may change, with their JSON types; name, the
# timestamps and the computed fields are not settable. UNCONFIRMED: the live list
# is longer; an unknown setting is refused rather than stored.
_FLAGS = (
    "typing_events",
    "read_events",
    "connect_events",
    "search",
    "reactions",
    "replies",
    "quotes",
    "mutes",
    "uploads",
    "url_enrichment",
    "custom_events",
    "push_notifications",
    "mark_messages_pending",
    "reminders",
    "user_message_reminders",
    "polls",
    "shared_locations",
    "delivery_events",
    "read_receipts",
)
CHANNEL_TYPE_SETTINGS: dict[str, type | tuple[type, ...]] = {
    **dict.fromkeys(_FLAGS, bool),
    "message_retention": str,
    "max_message_length": int,
    "automod": str,
    "automod_behavior": str,
    "blocklist": str,
    "blocklist_behavior": str,
    "commands": list,
    "grants": dict,
    "permissions": list,
}
MAX_CHANNEL_TYPES = 50  # docs channel_types.md


def _settings(call: Call, settings: dict[str, Any]) -> dict[str, Any]:
    """Checked channel-type settings: known keys and types, existing commands and
    blocklist, Stream's blocklist behaviours and a sane message length."""
    app = call.app
    checked: dict[str, Any] = {}
    for key, value in settings.items():
        if key not in CHANNEL_TYPE_SETTINGS:
            raise input_error(texts.UNKNOWN_SETTING.format(key=key))
        if value is not None:
            checked[key] = copy.deepcopy(expect(value, CHANNEL_TYPE_SETTINGS[key], key))
    commands = checked.get("commands")
    if commands is not None:
        if commands == ["all"]:
            commands = checked["commands"] = list(app.commands)
        for index, name in enumerate(commands):
            if expect(name, str, f"commands[{index}]") not in app.commands:
                raise input_error(texts.COMMAND_NOT_FOUND.format(name=name))
    if checked.get("blocklist") and checked["blocklist"] not in app.blocklists:
        raise input_error(texts.BLOCKLIST_NOT_FOUND.format(name=checked["blocklist"]))
    if checked.get("blocklist_behavior") not in (None, "flag", "block"):
        raise input_error(texts.BLOCKLIST_BEHAVIOR)
    if "max_message_length" in checked:
        int_in_range(checked["max_message_length"], "max_message_length", 1, 20_000)
    return checked


def create_channel_type(call: Call) -> dict[str, Any]:
    """POST /channeltypes (CreateChannelType): a new type with the default settings
    overridden by the request's (the SDK sends `commands: ["all"]` when none are given)."""
    app, body = call.app, dict(call.body)
    name = check_role_name(body.pop("name", None), "name")
    if name in app.channel_types:
        raise input_error(texts.CHANNEL_TYPE_EXISTS.format(name=name))
    if len(app.channel_types) >= MAX_CHANNEL_TYPES:
        raise input_error(texts.TOO_MANY_CHANNEL_TYPES.format(limit=MAX_CHANNEL_TYPES))
    config = default_channel_type_config(name, call.now)
    config.update(_settings(call, body))
    app.channel_types[name] = config
    return _type_body(config)


def update_channel_type(call: Call) -> dict[str, Any]:
    """PUT /channeltypes/{name} (UpdateChannelType): the settings given change; the
    answer echoes the type (`commands` as names, as the SDK's test reads them)."""
    config = call.app.channel_types.get(call.params["name"])
    if config is None:
        raise not_found(texts.CHANNEL_TYPE_NOT_FOUND.format(name=call.params["name"]))
    config.update(_settings(call, call.body))
    config["updated_at"] = call.now
    return _type_body(config)


def delete_channel_type(call: Call) -> dict[str, Any]:
    """DELETE /channeltypes/{name} (DeleteChannelType): only a type no channel uses."""
    app, name = call.app, call.params["name"]
    if name not in app.channel_types:
        raise not_found(texts.CHANNEL_TYPE_NOT_FOUND.format(name=name))
    if any(c.type == name and c.deleted_at is None for c in app.channels.values()):
        raise input_error(texts.CHANNEL_TYPE_IN_USE.format(name=name))
    del app.channel_types[name]
    return {}
