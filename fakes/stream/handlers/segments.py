"""Segments (`/segments`): lists of users or channels a campaign targets.

What a segment's targets are is `engagement.segment_targets`. UNCONFIRMED: the
texts, the 10,000-target batch, the 100-item query pages, the default sorts
(segments newest first, targets in the order they were added), and that a
segment a scheduled campaign uses cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from .. import texts
from ..call import Call
from ..clock import stream_time
from ..engagement import (
    CHANNEL,
    SEGMENT_TYPES,
    USER,
    check_record_id,
    render_segment,
    segment_targets,
)
from ..errors import input_error, not_found
from ..filters import compile_filter
from ..models import SCHEDULED, Segment
from ..paging import query_page
from ..validation import check_batch, check_user_id, expect, optional, required

MAX_TARGETS = 10_000  # per addtargets / deletetargets request
MAX_PAGE = 100
UPDATABLE = ("name", "description", "filter")


def _segment(call: Call) -> Segment:
    segment = call.app.segments.get(call.params["id"])
    if segment is None:
        raise not_found(texts.SEGMENT_NOT_FOUND.format(id=call.params["id"]))
    return segment


def _described(body: dict[str, Any]) -> dict[str, Any]:
    """The checked name, description and filter a body sets (absent ones left out)."""
    fields = {key: optional(body, key, str) for key in ("name", "description")}
    conditions = optional(body, "filter", dict)
    if conditions is not None:
        compile_filter(conditions, "filter")
        fields["filter"] = conditions
    return {key: value for key, value in fields.items() if value is not None}


def create_segment(call: Call) -> dict[str, Any]:
    """POST /segments (CreateSegment): `type` user or channel, an optional `id`."""
    app, body = call.app, call.body
    kind = required(body, "type", str)
    if kind not in SEGMENT_TYPES:
        raise input_error(f'type "{kind}" invalid, must be one of {", ".join(SEGMENT_TYPES)}')
    segment_id = optional(body, "id", str)
    if segment_id is not None:
        check_record_id(segment_id)
        if segment_id in app.segments:
            raise input_error(texts.RECORD_EXISTS.format(kind="segment", id=segment_id))
    fields = _described(body)
    flags = {key: bool(optional(body, key, bool)) for key in ("all_users", "all_sender_channels")}
    for key, wanted in (("all_users", USER), ("all_sender_channels", CHANNEL)):
        if flags[key] and kind != wanted:
            raise input_error(f"{key} is only allowed on segments of type {wanted}")
    now = call.now
    segment = Segment(segment_id or app.ids.uuid(), kind, now, now, **fields, **flags)
    app.segments[segment.id] = segment
    return {"segment": render_segment(app, segment)}


def get_segment(call: Call) -> dict[str, Any]:
    """GET /segments/{id} (GetSegment)."""
    return {"segment": render_segment(call.app, _segment(call))}


def update_segment(call: Call) -> dict[str, Any]:
    """PUT /segments/{id} (UpdateSegment): name, description and filter; nothing else."""
    segment = _segment(call)
    for key in call.body:
        if key not in UPDATABLE:
            raise input_error(texts.NOT_UPDATABLE.format(path=key))
    for key, value in _described(call.body).items():
        setattr(segment, key, value)
    segment.updated_at = call.now
    return {"segment": render_segment(call.app, segment)}


def delete_segment(call: Call) -> dict[str, Any]:
    """DELETE /segments/{id} (DeleteSegment), unless a scheduled campaign will send to it."""
    segment = _segment(call)
    for campaign in call.app.campaigns.values():
        if campaign.status == SCHEDULED and segment.id in campaign.segment_ids:
            raise input_error(
                f'segment "{segment.id}" is used by the scheduled campaign "{campaign.id}"'
            )
    del call.app.segments[segment.id]
    return {}


def _target_ids(call: Call, segment: Segment) -> list[str]:
    """`target_ids`: user ids for a user segment, channel cids for a channel segment."""
    ids = required(call.body, "target_ids", list)
    if not ids:
        raise input_error(texts.AT_LEAST_ONE.format(path="target_ids"))
    check_batch(ids, "target_ids", MAX_TARGETS)
    for index, target in enumerate(ids):
        path = f"target_ids[{index}]"
        if segment.type == USER:
            check_user_id(target, path)
            continue
        kind, _, channel_id = expect(target, str, path).partition(":")
        if not kind or not channel_id:
            raise input_error(f'{path} "{target}" is not a channel cid (<type>:<id>)')
    return list(dict.fromkeys(ids))


def add_segment_targets(call: Call) -> dict[str, Any]:
    """POST /segments/{id}/addtargets (AddSegmentTargets): ids need not exist yet."""
    segment = _segment(call)
    now = call.now
    for target in _target_ids(call, segment):
        segment.targets.setdefault(target, now)
    segment.updated_at = now
    return {}


def delete_segment_targets(call: Call) -> dict[str, Any]:
    """POST /segments/{id}/deletetargets (DeleteSegmentTargets): ids not in it are ignored."""
    segment = _segment(call)
    for target in _target_ids(call, segment):
        segment.targets.pop(target, None)
    segment.updated_at = call.now
    return {}


def segment_target_exists(call: Call) -> dict[str, Any]:
    """GET /segments/{id}/target/{target_id} (SegmentTargetExists): 200, or 404."""
    segment = _segment(call)
    target = call.params["target_id"]
    if target not in segment_targets(call.app, segment):
        raise not_found(f'target "{target}" is not in segment "{segment.id}"')
    return {}


def query_segment_targets(call: Call) -> dict[str, Any]:
    """POST /segments/{id}/targets/query (QuerySegmentTargets): filter and sort on
    `target_id` and `created_at`; in the order they joined by default."""
    segment = _segment(call)
    docs = [
        ({"segment_id": segment.id, "target_id": target, "created_at": stream_time(at)},) * 2
        for target, at in segment_targets(call.app, segment).items()
    ]
    chosen, following, previous = query_page(call.body, docs, [("created_at", 1)], MAX_PAGE)
    return {"targets": chosen, "next": following, "prev": previous}


def query_segments(call: Call) -> dict[str, Any]:
    """POST /segments/query (QuerySegments): filter and sort on the answer's fields."""
    app = call.app
    docs = [(render_segment(app, s),) * 2 for s in app.segments.values()]
    chosen, following, previous = query_page(call.body, docs, [("created_at", -1)], MAX_PAGE)
    return {"segments": chosen, "next": following, "prev": previous}
