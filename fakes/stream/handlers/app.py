"""App-level reads: settings and channel types."""

from __future__ import annotations

from typing import Any

from .. import texts
from ..call import Call
from ..clock import stream_time
from ..errors import not_found
from ..validation import query_bool


def _type_body(config: dict[str, Any]) -> dict[str, Any]:
    body = {
        k: stream_time(v) if k in ("created_at", "updated_at") else v for k, v in config.items()
    }
    body["permissions"] = []
    body["grants"] = {}
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


def update_app(call: Call) -> dict[str, Any]:
    """PATCH /app (UpdateApp): settings are stored and read back by GET /app."""
    call.app.settings.update(call.body)
    return {}


_PLATFORMS = ("server_side", "android", "ios", "web")


def get_rate_limits(call: Call) -> dict[str, Any]:
    """GET /rate_limits (GetRateLimits): per platform and endpoint, from the fake's counters."""
    wanted = [p for p in _PLATFORMS if query_bool(call.query, p)] or list(_PLATFORMS)
    endpoints = [e for e in call.query.get("endpoints", "").split(",") if e]
    assert call.rate_limits is not None, "the dispatcher always passes its rate limits"
    limits = call.rate_limits.snapshot(call.app.api_key, endpoints, call.now.timestamp())
    return dict.fromkeys(wanted, limits)
