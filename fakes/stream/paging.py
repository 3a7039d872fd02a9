"""Cursor pagination (`next` / `prev` / `previous`) for the queries that page with cursors.

A cursor is opaque to clients: base64url of `{"offset": n, "sort": [[field, dir]]}`,
so the next page keeps the first page's sort without the client sending it again.
UNCONFIRMED: Stream's cursors are opaque too; their content is not on record.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any, TypeVar

from . import texts
from .errors import input_error
from .filters import compile_filter, parse_sort, sort_documents
from .validation import int_in_range, optional

T = TypeVar("T")
Sort = list[tuple[str, int]]


def encode_cursor(offset: int, sort: Sort) -> str:
    raw = json.dumps({"offset": offset, "sort": [list(s) for s in sort]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: Any, path: str) -> tuple[int, Sort]:
    """(offset, sort) from a cursor this fake issued; anything else is code 4."""
    try:
        padded = str(cursor) + "=" * (-len(str(cursor)) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        offset = value["offset"]
        sort = [(str(field), int(direction)) for field, direction in value["sort"]]
    except (ValueError, TypeError, KeyError, binascii.Error, UnicodeDecodeError):
        raise input_error(texts.INVALID_CURSOR.format(path=path)) from None
    if not isinstance(offset, int) or offset < 0:
        raise input_error(texts.INVALID_CURSOR.format(path=path))
    return offset, sort


def page(
    items: list[T], offset: int, limit: int, sort: Sort
) -> tuple[list[T], str | None, str | None]:
    """The page at `offset`, and the cursors of the next and previous pages (None at an end)."""
    chosen = items[offset : offset + limit]
    following = encode_cursor(offset + limit, sort) if offset + limit < len(items) else None
    previous = encode_cursor(max(offset - limit, 0), sort) if offset > 0 else None
    return chosen, following, previous


def query_page(
    body: dict[str, Any],
    docs: list[tuple[dict[str, Any], T]],
    default_sort: Sort,
    max_limit: int,
) -> tuple[list[T], str | None, str | None]:
    """Filter (`filter`), sort and page (`limit`, `next` / `prev`) (document, item) pairs:
    the page's items and the cursors of the next and previous pages."""
    match = compile_filter(optional(body, "filter", dict) or {}, "filter")
    limit = int_in_range(body.get("limit", max_limit), "limit", 1, max_limit)
    cursor = optional(body, "next", str) or optional(body, "prev", str)
    offset, sort = decode_cursor(cursor, "next") if cursor else (0, [])
    sort = sort or parse_sort(body.get("sort")) or default_sort
    ordered = [item for _, item in sort_documents([d for d in docs if match(d[0])], sort)]
    return page(ordered, offset, limit, sort)
