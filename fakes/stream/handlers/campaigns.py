"""Campaigns (`/campaigns`): one sender's message template, sent to segments or users.

Statuses and transitions. The fake sends every message within one request, so
`running` lasts only while a start sends and is never in an answer:

- create: `draft`;
- start (from `draft`, `scheduled` or `stopped`) without `scheduled_for`, or with
  one not in the future: sent now, `completed`;
- start with a future `scheduled_for`: `scheduled`, sent (then `completed`) at the
  first request to the app once the fake's clock has reached it;
- stop (from `scheduled`): `stopped`, nothing sent; stopping a stopped campaign
  answers it unchanged;
- start again from `stopped`: sends to the targets not reached yet;
- start, stop or update of a `completed` campaign, and stop of a `draft`: code 4.

How messages are sent is `delivery.py`. UNCONFIRMED: the status names beyond
those the SDK's docs use, these transitions, that `stop_at` (checked, stored and
shown) ends nothing in the fake because sending is instantaneous, that a test
send leaves the stats alone, the texts, and the limits (10,000 user ids, 100
test users, 100-item query pages).
"""

from __future__ import annotations

import copy
import functools
from datetime import datetime
from typing import Any

from .. import texts
from ..call import Call
from ..clock import parse_stream_time
from ..delivery import deliver, run_campaign
from ..engagement import check_record_id, render_campaign
from ..errors import input_error, not_found
from ..models import (
    COMPLETED,
    DRAFT,
    RUNNING,
    SCHEDULED,
    STOPPED,
    AppState,
    Campaign,
)
from ..paging import query_page
from ..posting import custom_fields
from ..validation import (
    MAX_BATCH,
    RESERVED_CHANNEL_FIELDS,
    RESERVED_MESSAGE_FIELDS,
    check_batch,
    check_reserved,
    check_user_id,
    expect,
    optional,
    required,
)

MAX_USER_IDS = 10_000
MAX_PAGE = 100
# Template fields the fake's campaign channels cannot honour: they are distinct channels.
UNSUPPORTED_CHANNEL_TEMPLATE = ("id", "members_template")


def _campaign(call: Call) -> Campaign:
    campaign = call.app.campaigns.get(call.params["id"])
    if campaign is None:
        raise not_found(texts.CAMPAIGN_NOT_FOUND.format(id=call.params["id"]))
    return campaign


def _refuse_in(campaign: Campaign, action: str, *statuses: str) -> None:
    if campaign.status in statuses:
        raise input_error(
            texts.CAMPAIGN_STATUS.format(id=campaign.id, action=action, status=campaign.status)
        )


def _live_user(app: AppState, user_id: Any, path: str) -> str:
    check_user_id(user_id, path)
    user = app.users.get(user_id)
    if user is None or not user.active:
        raise input_error(texts.USER_DOES_NOT_EXIST.format(user_id=user_id))
    return str(user_id)


def _user_ids(app: AppState, value: Any, path: str, limit: int) -> list[str]:
    expect(value, list, path)
    check_batch(value, path, limit)
    return list(dict.fromkeys(_live_user(app, uid, f"{path}[{i}]") for i, uid in enumerate(value)))


def _message_template(raw: Any) -> dict[str, Any]:
    """`{text, attachments, custom}`; custom keys are custom message fields only."""
    expect(raw, dict, "message_template")
    text = optional(raw, "text", str, "message_template.text") or ""
    attachments = optional(raw, "attachments", list, "message_template.attachments") or []
    for index, item in enumerate(attachments):
        expect(item, dict, f"message_template.attachments[{index}]")
    if not text and not attachments:
        raise input_error(texts.REQUIRED_FIELD.format(path="message_template.text"))
    custom = optional(raw, "custom", dict, "message_template.custom") or {}
    check_reserved(custom, RESERVED_MESSAGE_FIELDS, "message_template.custom.")
    for key in sorted(custom.keys() - custom_fields(custom).keys()):
        raise input_error(f"message_template.custom.{key} is a message field, not custom data")
    return copy.deepcopy({"text": text, "attachments": attachments, "custom": custom})


def _channel_template(app: AppState, raw: Any) -> dict[str, Any]:
    expect(raw, dict, "channel_template")
    for key in UNSUPPORTED_CHANNEL_TEMPLATE:
        if raw.get(key) is not None:
            raise input_error(
                f"channel_template.{key} is not supported by chatgate's fake Stream: campaign "
                "channels are the distinct channels of the sender, each target and "
                "channel_template.members"
            )
    kind = optional(raw, "type", str, "channel_template.type") or "messaging"
    if kind not in app.channel_types:
        raise input_error(texts.CHANNEL_TYPE_NOT_FOUND.format(name=kind))
    members = raw.get("members")
    custom = optional(raw, "custom", dict, "channel_template.custom") or {}
    check_reserved(custom, RESERVED_CHANNEL_FIELDS, "channel_template.custom.")
    return copy.deepcopy(
        {
            "type": kind,
            "members": (
                _user_ids(app, members, "channel_template.members", MAX_BATCH) if members else []
            ),
            "custom": custom,
        }
    )


def _targets(app: AppState, body: dict[str, Any]) -> dict[str, list[str]]:
    """`segment_ids` (existing segments) or `user_ids` (live users): exactly one of them."""
    segment_ids = optional(body, "segment_ids", list) or []
    user_ids = optional(body, "user_ids", list) or []
    if bool(segment_ids) == bool(user_ids):
        raise input_error(texts.CAMPAIGN_TARGETS)
    check_batch(segment_ids, "segment_ids")
    for index, segment_id in enumerate(segment_ids):
        expect(segment_id, str, f"segment_ids[{index}]")
        if segment_id not in app.segments:
            raise input_error(texts.SEGMENT_NOT_FOUND.format(id=segment_id))
    return {
        "segment_ids": list(dict.fromkeys(segment_ids)),
        "user_ids": _user_ids(app, user_ids, "user_ids", MAX_USER_IDS) if user_ids else [],
    }


def _fields(app: AppState, body: dict[str, Any], current: Campaign | None) -> dict[str, Any]:
    """The checked campaign fields `body` sets; on an update, absent ones stay."""
    fields: dict[str, Any] = {}
    for key in ("name", "description"):
        if body.get(key) is not None:
            fields[key] = expect(body[key], str, key)
    for key in ("create_channels", "skip_push", "skip_webhook"):
        if body.get(key) is not None:
            fields[key] = expect(body[key], bool, key)
    if current is None or body.get("sender_id") is not None:
        fields["sender_id"] = _live_user(app, required(body, "sender_id", str), "sender_id")
    if current is None or body.get("message_template") is not None:
        fields["message_template"] = _message_template(required(body, "message_template", dict))
    if current is None or body.get("segment_ids") or body.get("user_ids"):
        fields.update(_targets(app, body))
    if body.get("channel_template") is not None:
        fields["channel_template"] = _channel_template(app, body["channel_template"])
    creates = fields.get("create_channels", current.create_channels if current else False)
    template = fields.get("channel_template", current.channel_template if current else None)
    if creates and template is None:
        raise input_error("channel_template is required when create_channels is true")
    return fields


def create_campaign(call: Call) -> dict[str, Any]:
    """POST /campaigns (CreateCampaign): a `draft`."""
    app, body = call.app, call.body
    campaign_id = optional(body, "id", str)
    if campaign_id is not None:
        check_record_id(campaign_id)
        if campaign_id in app.campaigns:
            raise input_error(texts.RECORD_EXISTS.format(kind="campaign", id=campaign_id))
    fields = _fields(app, body, None)
    now = call.now
    campaign = Campaign(id=campaign_id or app.ids.uuid(), created_at=now, updated_at=now, **fields)
    app.campaigns[campaign.id] = campaign
    return {"campaign": render_campaign(app, campaign)}


def get_campaign(call: Call) -> dict[str, Any]:
    """GET /campaigns/{id} (GetCampaign)."""
    return {"campaign": render_campaign(call.app, _campaign(call))}


def update_campaign(call: Call) -> dict[str, Any]:
    """PUT /campaigns/{id} (UpdateCampaign): the fields given change, the others stay."""
    campaign = _campaign(call)
    _refuse_in(campaign, "updated", RUNNING, COMPLETED)
    for key, value in _fields(call.app, call.body, campaign).items():
        setattr(campaign, key, value)
    campaign.updated_at = call.now
    return {"campaign": render_campaign(call.app, campaign)}


def delete_campaign(call: Call) -> dict[str, Any]:
    """DELETE /campaigns/{id} (DeleteCampaign): in any status; what it sent stays."""
    del call.app.campaigns[_campaign(call).id]
    return {}


def _instant(body: dict[str, Any], key: str) -> datetime | None:
    value = optional(body, key, str)
    if value is None:
        return None
    try:
        return parse_stream_time(value)
    except ValueError:
        raise input_error(texts.NOT_A_TIMESTAMP.format(path=key)) from None


def _when_due(app: AppState, campaign: Campaign, at: datetime) -> None:
    """The scheduled start, unless the campaign was stopped, rescheduled or deleted since."""
    if (
        app.campaigns.get(campaign.id) is campaign
        and campaign.status == SCHEDULED
        and campaign.scheduled_for == at
    ):
        run_campaign(app, campaign)


def start_campaign(call: Call) -> dict[str, Any]:
    """POST /campaigns/{id}/start (StartCampaign) `{scheduled_for?, stop_at?}`."""
    app = call.app
    campaign = _campaign(call)
    _refuse_in(campaign, "started", RUNNING, COMPLETED)
    scheduled_for = _instant(call.body, "scheduled_for")
    stop_at = _instant(call.body, "stop_at")
    now = call.now
    begins = scheduled_for if scheduled_for is not None and scheduled_for > now else None
    if stop_at is not None and stop_at <= (begins or now):
        raise input_error("stop_at must be in the future and after scheduled_for")
    _live_user(app, campaign.sender_id, "sender_id")
    for segment_id in campaign.segment_ids:
        if segment_id not in app.segments:
            raise input_error(texts.SEGMENT_NOT_FOUND.format(id=segment_id))
    campaign.scheduled_for, campaign.stop_at, campaign.updated_at = scheduled_for, stop_at, now
    if begins is not None:
        campaign.status = SCHEDULED
        app.schedule(begins, functools.partial(_when_due, app, campaign, begins))
    else:
        run_campaign(app, campaign)
    return {"campaign": render_campaign(app, campaign)}


def stop_campaign(call: Call) -> dict[str, Any]:
    """POST /campaigns/{id}/stop (StopCampaign): a scheduled campaign will not send."""
    campaign = _campaign(call)
    _refuse_in(campaign, "stopped", DRAFT, COMPLETED)
    if campaign.status != STOPPED:
        campaign.status, campaign.updated_at = STOPPED, call.now
    return {"campaign": render_campaign(call.app, campaign)}


def send_test(call: Call) -> dict[str, Any]:
    """POST /campaigns/{id}/test (TestCampaign) `{users}`: the message to these users only,
    in any status, left out of the stats."""
    campaign = _campaign(call)
    users = required(call.body, "users", list)
    if not users:
        raise input_error(texts.AT_LEAST_ONE.format(path="users"))
    users = _user_ids(call.app, users, "users", MAX_BATCH)
    deliver(call.app, campaign, users, [], record=False)
    return {"campaign": render_campaign(call.app, campaign)}


def query_campaigns(call: Call) -> dict[str, Any]:
    """POST /campaigns/query (QueryCampaigns): filter and sort on the answer's fields,
    newest first by default."""
    app = call.app
    docs = [(render_campaign(app, c),) * 2 for c in app.campaigns.values()]
    chosen, following, previous = query_page(call.body, docs, [("created_at", -1)], MAX_PAGE)
    return {"campaigns": chosen, "next": following, "prev": previous}
