"""Stream's MongoDB-like filter and sort language, evaluated on JSON documents.

The same engine serves query users and query channels: handlers hand it the
rendered document (custom fields flattened, like the API filters them).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

from .errors import input_error

Document = Mapping[str, Any]
Predicate = Callable[[Document], bool]

_MISSING = object()
_WORD_SPLIT = re.compile(r"[\W_]+")


def _lookup(doc: Document, field: str) -> Any:
    value: Any = doc
    for part in field.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _comparable(a: Any, b: Any) -> bool:
    """Only numbers with numbers and strings with strings are ordered."""
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    numbers = (int, float)
    if isinstance(a, numbers) and isinstance(b, numbers):
        return True
    return isinstance(a, str) and isinstance(b, str)


def _equals(value: Any, target: Any) -> bool:
    if value is _MISSING:
        return target is None
    if isinstance(value, list) and not isinstance(target, list):
        return target in value
    return value == target


def _compare(op: str) -> Callable[[Any, Any], bool]:
    def check(value: Any, target: Any) -> bool:
        if value is _MISSING or value is None or not _comparable(value, target):
            return False
        if op == "$gt":
            return value > target
        if op == "$gte":
            return value >= target
        if op == "$lt":
            return value < target
        return value <= target

    return check


def _in(value: Any, targets: Any) -> bool:
    if not isinstance(targets, list):
        raise input_error("$in operator expects an array of values")
    if value is _MISSING:
        return False
    return any(v in targets for v in _as_list(value))


def _autocomplete(value: Any, target: Any) -> bool:
    if not isinstance(target, str):
        raise input_error("$autocomplete operator expects a string")
    if value is _MISSING or not isinstance(value, str):
        return False
    needle = target.lower()
    haystack = value.lower()
    return haystack.startswith(needle) or any(
        word.startswith(needle) for word in _WORD_SPLIT.split(haystack) if word
    )


def _full_text(value: Any, target: Any) -> bool:
    """$q: every word of the query is a word of the text, case-insensitively.

    UNCONFIRMED: Stream's full-text search also stems and scores; the fake matches
    whole words only, all of them.
    """
    if not isinstance(target, str):
        raise input_error("$q operator expects a string")
    if value is _MISSING or not isinstance(value, str):
        return False
    words = set(_WORD_SPLIT.split(value.lower()))
    wanted = [word for word in _WORD_SPLIT.split(target.lower()) if word]
    return bool(wanted) and all(word in words for word in wanted)


def _exists(value: Any, target: Any) -> bool:
    if not isinstance(target, bool):
        raise input_error("$exists operator only support boolean values")
    present = value is not _MISSING and value is not None
    return present == target


def _contains(value: Any, target: Any) -> bool:
    return isinstance(value, list) and target in value


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": _equals,
    "$ne": lambda v, t: not _equals(v, t),
    "$gt": _compare("$gt"),
    "$gte": _compare("$gte"),
    "$lt": _compare("$lt"),
    "$lte": _compare("$lte"),
    "$in": _in,
    "$nin": lambda v, t: not _in(v, t),
    "$autocomplete": _autocomplete,
    "$q": _full_text,
    "$exists": _exists,
    "$contains": _contains,
}


def compile_filter(conditions: Any, path: str = "filter_conditions") -> Predicate:
    """Turn a filter object into a predicate; malformed filters are code-4 errors."""
    if not isinstance(conditions, Mapping):
        raise input_error(f"{path} must be an object")
    checks: list[Predicate] = [_compile_clause(key, value) for key, value in conditions.items()]
    return lambda doc: all(check(doc) for check in checks)


def _compile_clause(key: str, value: Any) -> Predicate:
    if key in ("$and", "$or", "$nor"):
        if not isinstance(value, list) or not value:
            raise input_error(f"{key} operator expects a non-empty array of filters")
        parts = [compile_filter(item, key) for item in value]
        if key == "$and":
            return lambda doc: all(p(doc) for p in parts)
        if key == "$or":
            return lambda doc: any(p(doc) for p in parts)
        return lambda doc: not any(p(doc) for p in parts)
    if key.startswith("$"):
        raise input_error(f'unknown filter operator "{key}"')
    if isinstance(value, Mapping) and value and all(k.startswith("$") for k in value):
        tests = []
        for op, target in value.items():
            operator = _OPERATORS.get(op)
            if operator is None:
                raise input_error(f'unknown filter operator "{op}" for field "{key}"')
            if op == "$exists":
                _exists(_MISSING, target)  # validates the operand up front
            tests.append(functools.partial(_apply, operator, key, target))
        return lambda doc: all(test(doc) for test in tests)
    return functools.partial(_apply, _equals, key, value)


def _apply(operator: Callable[[Any, Any], bool], key: str, target: Any, doc: Document) -> bool:
    return operator(_lookup(doc, key), target)


def parse_sort(sort: Any, path: str = "sort") -> list[tuple[str, int]]:
    """Validate `[{field, direction}]` into (field, ±1) pairs."""
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise input_error(f"{path} must be an array of {{field, direction}} objects")
    fields: list[tuple[str, int]] = []
    for item in sort:
        if not isinstance(item, Mapping) or not isinstance(item.get("field"), str):
            raise input_error(f"{path} items must be objects with a field and a direction")
        direction = item.get("direction", 1)
        if direction not in (1, -1) or isinstance(direction, bool):
            raise input_error(f"{path} direction must be 1 or -1")
        fields.append((item["field"], int(direction)))
    return fields


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is _MISSING or value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (2, value)
    if isinstance(value, str):
        return (3, value)
    return (4, repr(value))


def sort_documents(
    docs: list[tuple[Document, Any]], fields: list[tuple[str, int]]
) -> list[tuple[Document, Any]]:
    """Stable multi-key sort of (document, payload) pairs; missing values sort first."""
    ordered = list(docs)
    for field, direction in reversed(fields):
        ordered.sort(
            key=lambda pair, f=field: _sort_key(_lookup(pair[0], f)), reverse=direction < 0
        )
    return ordered
