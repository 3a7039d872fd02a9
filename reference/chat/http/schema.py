"""Checking request values against the JSON Schemas of the route table, so the schemas
the OpenAPI document publishes are the very rules the server applies.

It understands the part of JSON Schema the table uses: `type` (one or a list), `enum`,
`minimum`/`maximum`, `minLength`/`maxLength`, `properties`, `required`,
`additionalProperties: false`, `minProperties`, `items`, `minItems`/`maxItems`,
`uniqueItems`, and `oneOf` (whose `description` names the choices). A schema using
anything else is refused when the table is built (`check_supported`), so nothing in a
published schema goes unenforced. The first problem found is raised as a 400 naming
where it is and the rule it breaks.
"""

from __future__ import annotations

from typing import Any

from . import errors

SUPPORTED = {
    "type",
    "enum",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "properties",
    "required",
    "additionalProperties",
    "minProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "oneOf",
    # annotations only
    "description",
    "default",
}


def check_supported(schema: dict[str, Any], where: str = "schema") -> None:
    """Raise ValueError if `schema` uses a keyword `validate` does not enforce."""
    unknown = set(schema) - SUPPORTED
    if unknown or schema.get("additionalProperties", False) is not False:
        raise ValueError(
            f"{where} uses unsupported keywords: {sorted(unknown) or ['additionalProperties']}"
        )
    for name, child in schema.get("properties", {}).items():
        check_supported(child, f"{where}.{name}")
    if "items" in schema:
        check_supported(schema["items"], f"{where}[]")
    for index, choice in enumerate(schema.get("oneOf", [])):
        check_supported(choice, f"{where}.oneOf[{index}]")
    if "oneOf" in schema and "description" not in schema:
        raise ValueError(f"{where}: a oneOf needs a description naming its choices")


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "null":
        return value is None
    return isinstance(value, {"object": dict, "array": list, "string": str}[kind])


def _types(schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    return [] if kind is None else [kind] if isinstance(kind, str) else list(kind)


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    """Could `value` be meant as this choice of a oneOf: its type, and for an object the
    choice's required fields present (the choice then says what else is wrong)."""
    types = _types(schema)
    if types and not any(_is(value, t) for t in types):
        return False
    return not isinstance(value, dict) or set(schema.get("required", ())) <= set(value)


def validate(value: Any, schema: dict[str, Any], where: str) -> None:
    """Raise a 400 naming the first place where `value` breaks `schema`."""
    if "oneOf" in schema:
        choices = [choice for choice in schema["oneOf"] if _fits(value, choice)]
        if len(choices) != 1:
            raise errors.not_a_choice(where, schema["description"])
        validate(value, choices[0], where)
        return
    types = _types(schema)
    if types and not any(_is(value, t) for t in types):
        raise errors.wrong_type(where, types)
    if "enum" in schema and value not in schema["enum"]:
        raise errors.not_allowed(where, schema["enum"], value)
    if isinstance(value, int) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise errors.out_of_range(where, low, high, value)
    if isinstance(value, str):
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if len(value) < low or (high is not None and len(value) > high):
            raise errors.bad_length(where, schema.get("minLength"), high)
    if isinstance(value, list):
        _validate_list(value, schema, where)
    if isinstance(value, dict):
        _validate_object(value, schema, where)


def _validate_list(value: list[Any], schema: dict[str, Any], where: str) -> None:
    low, high = schema.get("minItems", 0), schema.get("maxItems")
    if len(value) < low or (high is not None and len(value) > high):
        raise errors.bad_count(where, schema.get("minItems"), high)
    if schema.get("uniqueItems") and len({repr(v) for v in value}) != len(value):
        raise errors.repeated_item(where)
    if "items" in schema:
        for index, item in enumerate(value):
            validate(item, schema["items"], f"{where}[{index}]")


def _validate_object(value: dict[str, Any], schema: dict[str, Any], where: str) -> None:
    properties = schema.get("properties", {})
    if schema.get("additionalProperties") is False:
        unknown = sorted(set(value) - set(properties))
        if unknown:
            raise errors.unknown_fields(where, unknown)
    if len(value) < schema.get("minProperties", 0):
        raise errors.too_few_fields(where, schema["minProperties"], list(properties))
    for name in schema.get("required", ()):
        if name not in value:
            raise errors.field_required(_child(where, name))
    for name, child in properties.items():
        if name in value:
            validate(value[name], child, _child(where, name))


def _child(where: str, name: str) -> str:
    """`text` for a field of the body, `users[0].key` deeper down."""
    return name if where == "the body" else f"{where}.{name}"
