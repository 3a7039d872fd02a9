"""A campaign's messages, sent by its sender through the path every message takes.

A user target gets the message in the distinct channel of the sender, the target
and `channel_template.members`, of type `channel_template.type` (default
`messaging`). When that channel does not exist it is created with
`create_channels` (its data from `channel_template.custom`), and the target is
skipped without it. A channel target (a cid of a channel segment, or with
`all_sender_channels` every channel the sender is a member of) gets the message
in that channel. The sender never messages itself, and a target that is gone
(deleted or deactivated user, deleted channel) or whose message posting refuses
(too long for the channel type, blocked) is skipped. UNCONFIRMED: live Stream's
channel choice and skip rules; the message text is sent as written (no
placeholders are filled in).
"""

from __future__ import annotations

import copy
from typing import Any

from .auth import SERVER
from .call import Call
from .engagement import USER, segment_targets
from .errors import StreamError
from .models import COMPLETED, RUNNING, AppState, Campaign, Channel, distinct_channel_id
from .posting import post_message


def campaign_targets(app: AppState, campaign: Campaign) -> tuple[list[str], list[str]]:
    """(user ids, channel cids) the campaign sends to, in order, without repeats."""
    users = list(campaign.user_ids)
    cids: list[str] = []
    for segment_id in campaign.segment_ids:
        segment = app.segments.get(segment_id)
        if segment is None:
            continue
        targets = list(segment_targets(app, segment))
        if segment.type == USER:
            users += targets
            continue
        cids += targets
        if segment.all_sender_channels:
            cids += [
                c.cid
                for c in app.channels.values()
                if c.deleted_at is None and campaign.sender_id in c.members
            ]
    return list(dict.fromkeys(users)), list(dict.fromkeys(cids))


def _user_channel(app: AppState, campaign: Campaign, user_id: str) -> tuple[Channel | None, bool]:
    """The channel a user target is messaged in, and whether it was created for it."""
    template = campaign.channel_template or {}
    kind = template.get("type") or "messaging"
    members = list(dict.fromkeys([campaign.sender_id, user_id, *template.get("members", [])]))
    channel_id = distinct_channel_id(members)
    channel = app.live_channel(f"{kind}:{channel_id}")
    if channel is not None or not campaign.create_channels:
        return channel, False
    custom = copy.deepcopy(template.get("custom") or {})
    members_roles: list[tuple[str, str | None]] = [(uid, None) for uid in members]
    created = app.create_channel(
        kind, channel_id, campaign.sender_id, members_roles, distinct=True, custom=custom
    )
    return created, True


def _send(call: Call, campaign: Campaign, channel: Channel) -> str | None:
    """Post the template in `channel` as the sender: the message's id, or None if refused."""
    template = campaign.message_template
    raw: dict[str, Any] = {
        **copy.deepcopy(template.get("custom") or {}),
        "text": template.get("text", ""),
        "attachments": copy.deepcopy(template.get("attachments") or []),
        "user_id": campaign.sender_id,
    }
    try:
        message = post_message(call, channel, raw)
    except StreamError:
        return None
    return message.id if message.id in call.app.messages else None


def deliver(
    app: AppState, campaign: Campaign, users: list[str], cids: list[str], *, record: bool
) -> None:
    """Send the campaign's message to `users` and into `cids`; with `record`, count it in
    the campaign's stats and skip the targets it already reached (a restart)."""
    call = Call(app, SERVER, "StartCampaign" if record else "TestCampaign", {}, {}, {})
    sender = app.users.get(campaign.sender_id)
    if sender is None or not sender.active:
        return
    sent_cids = {app.messages[m].cid for m in campaign.message_ids if m in app.messages}
    for user_id in users:
        user = app.users.get(user_id)
        if user is None or not user.active or user_id == campaign.sender_id:
            continue
        if record and user_id in campaign.reached:
            continue
        channel, created = _user_channel(app, campaign, user_id)
        message_id = _send(call, campaign, channel) if channel is not None else None
        if record:
            campaign.channels_created += created
        if record and message_id is not None:
            campaign.message_ids.append(message_id)
            campaign.reached[user_id] = message_id
    for cid in cids:
        channel = app.live_channel(cid)
        if channel is None or (record and cid in sent_cids):
            continue
        message_id = _send(call, campaign, channel)
        if record and message_id is not None:
            campaign.message_ids.append(message_id)
            for member in channel.members:
                if member != campaign.sender_id:
                    campaign.reached.setdefault(member, message_id)


def run_campaign(app: AppState, campaign: Campaign) -> None:
    """Start sending now: `running` while it sends, `completed` once every target is done."""
    now = app.clock.now()
    campaign.status = RUNNING
    campaign.started_at = campaign.started_at or now
    users, cids = campaign_targets(app, campaign)
    deliver(app, campaign, users, cids, record=True)
    campaign.status = COMPLETED
    campaign.completed_at = campaign.updated_at = app.clock.now()
