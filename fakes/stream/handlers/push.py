"""Push: devices, push providers, and the check_push / check_sqs / check_sns probes.

The fake sends no push notification and contacts no AWS service: devices and
providers are stored and listed, check_push renders what a push would say, and
the SQS / SNS checks check the address and then report that nothing was sent.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from .. import render, texts
from ..call import Call
from ..clock import stream_time
from ..errors import input_error, not_found
from ..permissions import acting_user
from ..validation import check_role_name, expect, optional, required

PUSH_PROVIDERS = ("apn", "firebase", "huawei", "xiaomi")
# What AWS addresses look like; the texts for a bad one are the live ones the SDK's own
# tests assert ("invalid SQS url", "publishing the message failed.").
_SQS_URL = re.compile(r"^https://sqs\.[a-z0-9-]+\.amazonaws\.com/\d{12}/[\w-]+$")
_SNS_ARN = re.compile(r"^arn:aws:sns:[a-z0-9-]+:\d{12}:[\w-]+$")


def _provider_type(value: Any, path: str) -> str:
    if value is None:
        raise input_error(texts.REQUIRED_FIELD.format(path=path))
    kind = expect(value, str, path)
    if kind not in PUSH_PROVIDERS:
        raise input_error(
            texts.PUSH_PROVIDER_TYPE.format(path=path, types=", ".join(PUSH_PROVIDERS))
        )
    return kind


def add_device(call: Call) -> dict[str, Any]:
    """POST /devices (CreateDevice): a user's device for a push provider."""
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    device_id = required(body, "id", str)
    if not device_id:
        raise input_error(texts.REQUIRED_FIELD.format(path="id"))
    kind = _provider_type(body.get("push_provider"), "push_provider")
    name = optional(body, "push_provider_name", str)
    app.devices[device_id] = {
        "id": device_id,
        "push_provider": kind,
        "user_id": user_id,
        "created_at": stream_time(call.now),
        "disabled": False,
        **({"push_provider_name": name} if name else {}),
    }
    return {}


def list_devices(call: Call) -> dict[str, Any]:
    """GET /devices?user_id= (ListDevices)."""
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    return {"devices": [dict(d) for d in call.app.devices.values() if d["user_id"] == user_id]}


def delete_device(call: Call) -> dict[str, Any]:
    """DELETE /devices?id=&user_id= (DeleteDevice)."""
    app = call.app
    user_id = acting_user(call, {"user_id": call.query.get("user_id")})
    device_id = call.query.get("id") or ""
    device = app.devices.get(device_id)
    if device is None or device["user_id"] != user_id:
        raise not_found(texts.DEVICE_NOT_FOUND.format(id=device_id, user_id=user_id))
    del app.devices[device_id]
    return {}


def upsert_push_provider(call: Call) -> dict[str, Any]:
    """POST /push_providers (UpsertPushProvider): stored by (type, name); its secrets too."""
    raw = required(call.body, "push_provider", dict)
    kind = _provider_type(raw.get("type"), "push_provider.type")
    name = check_role_name(raw.get("name"), "push_provider.name")
    now = stream_time(call.now)
    previous = call.app.push_providers.get((kind, name))
    provider = {**copy.deepcopy(raw), "type": kind, "name": name, "updated_at": now}
    provider["created_at"] = previous["created_at"] if previous else now
    call.app.push_providers[(kind, name)] = provider
    return {"push_provider": dict(provider)}


def list_push_providers(call: Call) -> dict[str, Any]:
    """GET /push_providers (ListPushProviders)."""
    return {"push_providers": [dict(p) for p in call.app.push_providers.values()]}


def delete_push_provider(call: Call) -> dict[str, Any]:
    """DELETE /push_providers/{type}/{name} (DeletePushProvider)."""
    key = (call.params["type"], call.params["name"])
    if call.app.push_providers.pop(key, None) is None:
        raise not_found(texts.PUSH_PROVIDER_NOT_FOUND.format(type=key[0], name=key[1]))
    return {}


def check_push(call: Call) -> dict[str, Any]:
    """POST /check_push (CheckPush): what a push for the message would carry, and, unless
    `skip_devices`, the user's devices (none is reached: the fake sends no push).

    UNCONFIRMED: the rendered fields; live Stream renders the app's push templates.
    """
    app, body = call.app, call.body
    user_id = acting_user(call, body)
    message_id = required(body, "message_id", str)
    message = app.messages.get(message_id)
    if message is None:
        raise not_found(texts.MESSAGE_NOT_FOUND.format(message_id=message_id))
    skip = bool(optional(body, "skip_devices", bool))
    author = render.user_ref(app, message.user_id) or {}
    devices = [] if skip else [d for d in app.devices.values() if d["user_id"] == user_id]
    return {
        "rendered_message": {
            "title": f"New message from {author.get('name') or message.user_id}",
            "body": message.text,
        },
        "skip_devices": skip,
        "device_errors": {
            d["id"]: {"provider": d["push_provider"], "error_message": texts.PUSH_NOT_SENT}
            for d in devices
        },
        "general_errors": [],
    }


def _aws_check(valid: bool, invalid_text: str, failed_text: str) -> dict[str, Any]:
    if not valid:
        return {"status": "error", "error": invalid_text}
    return {"status": "error", "error": failed_text, "data": {"fake": texts.AWS_NOT_CONTACTED}}


def check_sqs(call: Call) -> dict[str, Any]:
    """POST /check_sqs (CheckSQS): a malformed queue URL is "invalid SQS url"; a
    well-formed one still fails, since the fake sends nothing to AWS (UNCONFIRMED text)."""
    url = optional(call.body, "sqs_url", str) or ""
    for key in ("sqs_key", "sqs_secret"):
        optional(call.body, key, str)
    return _aws_check(bool(_SQS_URL.match(url)), texts.SQS_URL_INVALID, texts.SQS_SEND_FAILED)


def check_sns(call: Call) -> dict[str, Any]:
    """POST /check_sns (CheckSNS): a malformed topic ARN is refused; a well-formed one
    gives "publishing the message failed." (the live text for bad credentials), since the
    fake publishes nothing."""
    arn = optional(call.body, "sns_topic_arn", str) or ""
    for key in ("sns_key", "sns_secret"):
        optional(call.body, key, str)
    return _aws_check(bool(_SNS_ARN.match(arn)), texts.SNS_ARN_INVALID, texts.SNS_PUBLISH_FAILED)
