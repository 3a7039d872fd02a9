"""The chat's OpenAPI 3.1 document, generated from the route table it serves."""

from __future__ import annotations

from typing import Any

from chatgate import __version__

from .routes import COMPONENTS, RAW, Route

ENVELOPE_ERROR = {
    "type": "object",
    "properties": {"success": {"const": False}, "error": {"type": "string", "minLength": 1}},
    "required": ["success", "error"],
}
_REASONS = {
    200: "OK",
    201: "Created",
    400: "The request is malformed or a value is out of range",
    401: "No valid bearer token, or one naming no user",
    403: "The acting user may not do this to this other user",
    404: "No such route, or no such thing for the acting user",
    409: "Not possible in the current state",
    413: "The body is over the limit",
}


def _envelope(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"success": {"const": True}, "data": data},
        "required": ["success", "data"],
    }


def _response(route: Route, status: int) -> dict[str, Any]:
    if status not in route.answers:
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    elif route.answers[status] is None:
        content = {route.raw_type: {}}
    else:
        content = {"application/json": {"schema": _envelope(route.answers[status] or {})}}
    return {"description": _REASONS[status], "content": content}


def _parameter(param: Any, where: str) -> dict[str, Any]:
    return {"name": param.name, "in": where, "required": param.required, "schema": param.schema}


def _operation(route: Route) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.operation,
        "summary": route.summary,
        "security": [{"bearer": []}] if route.authenticated else [],
        "responses": {str(s): _response(route, s) for s in route.statuses},
    }
    parameters = [_parameter(p, "path") for p in route.path_params]
    parameters += [_parameter(p, "query") for p in route.query]
    if parameters:
        operation["parameters"] = parameters
    if route.body == RAW:
        operation["requestBody"] = {
            "required": True,
            "description": "the raw bytes; Content-Type is the client's claim "
            "(application/octet-stream: no claim)",
            "content": {"*/*": {}},
        }
    elif route.body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": route.body}},
        }
    return operation


def document(table: tuple[Route, ...]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `table`."""
    paths: dict[str, dict[str, Any]] = {}
    for route in table:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "chatgate user-based chat (reference)",
            "version": __version__,
            "description": "Normative text: docs/chat-contract.md. Every JSON answer is "
            '{"success": true, "data": ...} or {"success": false, "error": "..."}.',
        },
        "paths": paths,
        "components": {
            "schemas": {**COMPONENTS, "Error": ENVELOPE_ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
