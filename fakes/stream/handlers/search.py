"""Message search (GET /search): channel filters, a text query or message filters,
sort, offset or cursor pagination, over the messages the fake holds."""

from __future__ import annotations

from typing import Any

from .. import render, texts
from ..call import Call
from ..channel_config import config_for
from ..errors import input_error
from ..filters import compile_filter, parse_sort, sort_documents
from ..models import Channel, Message
from ..paging import decode_cursor, page
from ..permissions import can_read
from ..validation import int_in_range, optional

# Stream's documented defaults: up to 500 channels searched, `limit` 100, offsets
# up to 1000, sorted by relevance then id. UNCONFIRMED: the maximum `limit` (100).
MAX_CHANNELS = 500
DEFAULT_SORT = [("relevance", -1), ("id", 1)]


def _channels(call: Call, conditions: dict[str, Any]) -> list[Channel]:
    """The live channels the caller may read that match the channel filter, oldest first."""
    app = call.app
    match = compile_filter(conditions)
    found = []
    for channel in sorted(app.channels.values(), key=lambda c: c.seq):
        if channel.deleted_at is not None or not can_read(call, channel):
            continue
        if not config_for(app, channel).get("search", True):
            continue
        doc = render.channel(app, channel)
        doc["members"] = list(channel.members)
        if match(doc):
            found.append(channel)
    return found[:MAX_CHANNELS]


def _searchable(channel: Channel, message: Message, viewer: str | None) -> bool:
    """What `viewer` finds: not pending, not deleted (for everyone or for the viewer), not
    system (docs), not truncated away, not another user's shadowed message."""
    return (
        not message.pending
        and message.deleted_at is None
        and viewer not in message.deleted_for
        and not render.hidden_from(message, viewer)
        and message.type != "system"
        and (channel.truncated_at is None or message.created_at > channel.truncated_at)
    )


def search(call: Call) -> dict[str, Any]:
    """GET /search?payload= (Search): `query` is `{text: {$q: query}}` (docs); results
    are `{message: {...message, channel}}` with `next` / `previous` cursors."""
    app = call.app
    payload = call.payload()
    conditions = optional(payload, "filter_conditions", dict)
    if not conditions:
        raise input_error(texts.REQUIRED_FIELD.format(path="filter_conditions"))
    query = optional(payload, "query", str)
    message_conditions = optional(payload, "message_filter_conditions", dict)
    if (query is None) == (message_conditions is None):
        raise input_error(texts.SEARCH_QUERY_OR_FILTER)
    if query is not None and not query.strip():
        raise input_error(texts.REQUIRED_FIELD.format(path="query"))
    match = compile_filter(
        message_conditions if message_conditions is not None else {"text": {"$q": query}},
        "message_filter_conditions",
    )
    cursor = optional(payload, "next", str)
    has_offset = payload.get("offset") is not None
    if has_offset and (cursor is not None or payload.get("sort")):
        raise input_error(texts.OFFSET_WITH_CURSOR)
    limit = int_in_range(payload.get("limit", 100), "limit", 1, 100)
    offset, sort = decode_cursor(cursor, "next") if cursor else (0, [])
    if has_offset:
        offset = int_in_range(payload["offset"], "offset", 0, 1000)
    sort = sort or parse_sort(payload.get("sort")) or DEFAULT_SORT
    docs = []
    viewer = render.viewer_of(call)
    for channel in _channels(call, conditions):
        channel_body = render.channel(app, channel)
        for message_id in channel.message_ids:
            message = app.messages.get(message_id)
            if message is None or not _searchable(channel, message, viewer):
                continue
            result = render.message(app, message, viewer=viewer)
            # UNCONFIRMED: every match is equally relevant (no scoring in the fake).
            sortable = {**result, "relevance": 1}
            if match(sortable):
                result["channel"] = channel_body
                docs.append((sortable, result))
    ordered = [result for _, result in sort_documents(docs, sort)]
    chosen, following, previous = page(ordered, offset, limit, sort)
    return {
        "results": [{"message": message} for message in chosen],
        "next": following,
        "previous": previous,
    }
