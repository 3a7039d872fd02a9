"""Segments and campaigns as their handlers share them: ids, targets and answers.

A segment's targets are the ids added to it (`addtargets`) plus, for a user
segment, every live user when `all_users` is set, else the live users its
`filter` matches (the filter of query users); for a channel segment, the live
channels its `filter` matches (the filter of query channels). `size`, target
existence, the target query and the campaigns all read this one resolution.
UNCONFIRMED: how live Stream combines added targets with a filter.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from . import render, texts
from .clock import stream_time
from .errors import input_error
from .filters import compile_filter
from .models import AppState, Campaign, Segment
from .validation import CHANNEL_ID_RE, MAX_CHANNEL_ID, expect

USER, CHANNEL = "user", "channel"
SEGMENT_TYPES = (USER, CHANNEL)


def check_record_id(value: Any, path: str = "id") -> str:
    """A client-chosen segment or campaign id: 1 to 64 characters of `^[\\w-]*$`."""
    expect(value, str, path)
    if not value or len(value) > MAX_CHANNEL_ID or not CHANNEL_ID_RE.match(value):
        raise input_error(texts.RECORD_ID_INVALID.format(path=path, id=value))
    return str(value)


def segment_targets(app: AppState, segment: Segment) -> dict[str, datetime]:
    """Every target of `segment` (user ids or channel cids) and when it joined."""
    targets = dict(segment.targets)
    if segment.type == USER and (segment.all_users or segment.filter):
        match = compile_filter({} if segment.all_users else segment.filter, "filter")
        for user in app.users.values():
            if user.deleted_at is None and match(render.user(user)):
                targets.setdefault(user.id, user.created_at)
    elif segment.type == CHANNEL and segment.filter:
        match = compile_filter(segment.filter, "filter")
        for channel in app.channels.values():
            if channel.deleted_at is None and match(render.channel(app, channel)):
                targets.setdefault(channel.cid, channel.created_at)
    return targets


def render_segment(app: AppState, segment: Segment) -> dict[str, Any]:
    """A segment as the API answers it; `size` counts its resolved targets."""
    return {
        "id": segment.id,
        "type": segment.type,
        "name": segment.name,
        "description": segment.description,
        "filter": copy.deepcopy(segment.filter),
        "all_users": segment.all_users,
        "all_sender_channels": segment.all_sender_channels,
        "size": len(segment_targets(app, segment)),
        "created_at": stream_time(segment.created_at),
        "updated_at": stream_time(segment.updated_at),
    }


def _users_read(app: AppState, campaign: Campaign) -> int:
    """Users whose read state in the channel is at or past the message that reached them."""
    count = 0
    for user_id, message_id in campaign.reached.items():
        message = app.messages.get(message_id)
        channel = app.channels.get(message.cid) if message is not None else None
        read = channel.reads.get(user_id) if channel is not None else None
        if channel is None or read is None or read.last_read_message_id is None:
            continue
        order = channel.message_ids
        if read.last_read_message_id in order and message_id in order:
            count += order.index(read.last_read_message_id) >= order.index(message_id)
    return count


def _time(value: datetime | None) -> str | None:
    return stream_time(value) if value is not None else None


def render_campaign(app: AppState, campaign: Campaign) -> dict[str, Any]:
    """A campaign as the API answers it, with `stats` derived from what it sent."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "description": campaign.description,
        "sender_id": campaign.sender_id,
        "sender": render.user_ref(app, campaign.sender_id),
        "segment_ids": list(campaign.segment_ids),
        "segments": [
            render_segment(app, app.segments[sid])
            for sid in campaign.segment_ids
            if sid in app.segments
        ],
        "user_ids": list(campaign.user_ids),
        "users": [
            render.user(app.users[uid], app) for uid in campaign.user_ids if uid in app.users
        ],
        "message_template": copy.deepcopy(campaign.message_template),
        "create_channels": campaign.create_channels,
        "channel_template": copy.deepcopy(campaign.channel_template),
        "skip_push": campaign.skip_push,
        "skip_webhook": campaign.skip_webhook,
        "status": campaign.status,
        "scheduled_for": _time(campaign.scheduled_for),
        "stop_at": _time(campaign.stop_at),
        "created_at": stream_time(campaign.created_at),
        "updated_at": stream_time(campaign.updated_at),
        "stats": {
            "progress": 1.0 if campaign.completed_at is not None else 0.0,
            "stats_started_at": _time(campaign.started_at),
            "stats_completed_at": _time(campaign.completed_at),
            "stats_messages_sent": len(campaign.message_ids),
            "stats_channels_created": campaign.channels_created,
            "stats_users_sent": len(campaign.reached),
            "stats_users_read": _users_read(app, campaign),
        },
    }
