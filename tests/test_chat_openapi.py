"""The chat's OpenAPI document: valid OpenAPI 3.1, generated from the very route table the
server dispatches on, and true of what the server answers."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from openapi_spec_validator import validate as validate_openapi
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from chatgate.reference.chat.http.errors import ApiError
from chatgate.reference.chat.http.openapi import document
from chatgate.reference.chat.http.routes import ROUTES, match, routes
from chatgate.reference.chat.http.schema import validate as validate_body
from tests import test_chat_http as chat_http

# The HTTP tests' fixtures: a migrated database of this module's own, served in test mode.
chat_url = chat_http.chat_url
server = chat_http.server
DOCUMENT_URI = "urn:chatgate:chat-openapi"


@pytest.fixture(scope="module")
def served_document(server: chat_http.ChatServer) -> dict[str, Any]:
    answer = chat_http.Client(server.base_url)("GET", "/openapi.json")
    assert answer.status == 200
    assert answer.body is not None
    return answer.body


def test_the_served_document_is_valid_openapi_3_1(served_document: dict[str, Any]) -> None:
    assert served_document["openapi"] == "3.1.0"
    validate_openapi(served_document)  # raises, naming the problem, when it is not


def test_it_lists_every_route_of_the_table_with_its_parameters_and_statuses(
    served_document: dict[str, Any],
) -> None:
    operations = {
        (path, method.upper()): operation
        for path, methods in served_document["paths"].items()
        for method, operation in methods.items()
    }
    assert set(operations) == {(r.path, r.method) for r in ROUTES}
    for route in ROUTES:
        operation = operations[(route.path, route.method)]
        assert operation["operationId"] == route.operation
        assert sorted(int(s) for s in operation["responses"]) == list(route.statuses)
        named = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        expected = {("path", p.name) for p in route.path_params} | {
            ("query", p.name) for p in route.query
        }
        assert named == expected
        assert operation["security"] == ([{"bearer": []}] if route.authenticated else [])
    assert served_document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
    }


def test_the_provider_state_is_documented_only_in_test_mode() -> None:
    production = document(routes(test_mode=False))
    validate_openapi(production)
    assert "/api/test/provider-state" not in production["paths"]
    assert "/api/test/provider-state" in document(routes(test_mode=True))["paths"]


def _documented_schema(doc: dict[str, Any], method: str, path: str, status: int) -> Any:
    """A schema referring to the one the document gives this answer."""
    found = match(routes(test_mode=True), path.split("?")[0])
    assert found is not None, path
    route = found.route_for(method)
    assert route is not None, (method, path)
    pointer = "/".join(
        ["", "paths", route.path.replace("/", "~1"), method.lower(), "responses", str(status)]
    )
    responses = doc["paths"][route.path][method.lower()]["responses"]
    assert str(status) in responses, (method, path, status)
    return {"$ref": f"{DOCUMENT_URI}#{quote(pointer)}/content/application~1json/schema"}


def test_real_answers_validate_against_their_documented_schemas(
    server: chat_http.ChatServer, served_document: dict[str, Any]
) -> None:
    alice, bob = chat_http.people(server.base_url, "Alice", "Bob")
    anonymous = chat_http.Client(server.base_url)
    start = {"type": "direct", "participant_user_ids": [bob.id]}
    answers: list[tuple[str, str, chat_http.Answer]] = []

    def call(client: chat_http.Client, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        answer = client(method, path, body, **kw)
        answers.append((method, path, answer))
        return answer.body.get("data") if answer.body else None

    cid = call(alice.client, "POST", "/api/chat/conversations", start)["id"]
    call(alice.client, "POST", "/api/chat/conversations", start)
    call(
        alice.client,
        "POST",
        "/api/chat/conversations",
        {"type": "group", "name": "Study", "participant_user_ids": [bob.id]},
    )
    message = call(alice.client, "POST", f"/api/chat/conversations/{cid}/messages", {"text": "hi"})
    call(bob.client, "GET", f"/api/chat/conversations/{cid}/messages")
    call(bob.client, "GET", "/api/chat/conversations")
    call(bob.client, "GET", "/api/chat/conversations/search", params={"q": "hi"})
    call(bob.client, "GET", f"/api/chat/conversations/{cid}")
    call(
        bob.client,
        "PUT",
        f"/api/chat/conversations/{cid}/read",
        {"up_to_message_id": message["id"]},
    )
    call(alice.client, "GET", f"/api/chat/conversations/{cid}/read-status")
    upload = alice.client(
        "POST", "/api/chat/media", params={"kind": "voice"}, data=chat_http.wav(1.0)
    )
    answers.append(("POST", "/api/chat/media", upload))
    call(
        alice.client,
        "POST",
        f"/api/chat/conversations/{cid}/messages",
        {"media_id": upload.data["id"]},
    )
    the_call = call(
        alice.client, "POST", "/api/chat/calls", {"conversation_id": cid, "call_type": "voice"}
    )
    call(bob.client, "PUT", f"/api/chat/calls/{the_call['id']}", {"event": "decline"})
    call(bob.client, "PUT", f"/api/chat/calls/{the_call['id']}", {"event": "answer"})  # 409
    call(alice.client, "PUT", f"/api/chat/calls/{the_call['id']}", {"event": "cancel"})  # 409
    call(alice.client, "GET", "/api/chat/calls")
    call(alice.client, "POST", "/api/chat/block", {"user_id": bob.id})
    call(bob.client, "POST", f"/api/chat/conversations/{cid}/messages", {"text": "hi"})  # 403
    call(alice.client, "DELETE", f"/api/chat/block/{bob.id}")
    call(alice.client, "GET", "/api/chat/blocked")
    call(alice.client, "PUT", "/api/chat/settings", {"read_receipts": False})
    call(alice.client, "GET", "/api/chat/settings")
    call(alice.client, "DELETE", f"/api/chat/conversations/{cid}/history")
    call(alice.client, "GET", "/api/chat/conversations/2147483647")  # 404
    call(alice.client, "PUT", "/api/chat/settings", {"theme": "dark"})  # 400
    call(anonymous, "GET", "/api/chat/settings")  # 401
    call(anonymous, "GET", "/healthz")
    call(anonymous, "POST", "/api/test/provider-state", {"users": []})

    registry: Registry[Any] = Registry().with_resource(
        DOCUMENT_URI, Resource(contents=served_document, specification=DRAFT202012)
    )
    statuses = set()
    for method, path, answer in answers:
        schema = _documented_schema(served_document, method, path, answer.status)
        jsonschema.Draft202012Validator(schema, registry=registry).validate(answer.body)
        statuses.add(answer.status)
    assert statuses == {200, 201, 400, 401, 403, 404, 409}


def test_the_servers_checks_of_a_body_agree_with_its_documented_schema() -> None:
    """For every body of the HTTP tests, the server refuses it (400) exactly when
    jsonschema finds it invalid against the route's documented request schema."""
    table = routes(test_mode=True)
    bodies = [
        (method, path.format(cid=1, me=1), body)
        for method, path, body, _, _ in chat_http.BAD_REQUESTS
        if not isinstance(body, bytes) and body is not None
    ]
    bodies += [
        ("POST", "/api/chat/conversations/1/messages", {"text": "hi"}),
        ("POST", "/api/chat/conversations/1/messages", {"media_id": "x"}),
        ("POST", "/api/chat/conversations/1/messages", {"message_type": "file", "media_url": "u"}),
        (
            "POST",
            "/api/chat/conversations",
            {"type": "group", "name": "G", "participant_user_ids": [2]},
        ),
        ("PUT", "/api/chat/settings", {"who_can_message": "none", "read_receipts": False}),
        (
            "POST",
            "/api/test/provider-state",
            {"users": [{"key": "a", "name": "A", "profiles": ["tutor"]}]},
        ),
        ("POST", "/api/test/provider-state", {"connections": [{"between": ["a", {"user_id": 3}]}]}),
        ("POST", "/api/test/provider-state", {"connections": [{"between": ["a", {"id": 3}]}]}),
    ]
    checked = 0
    for method, path, body in bodies:
        found = match(table, path)
        assert found is not None, path
        route = found.route_for(method)
        if route is None or not isinstance(route.body, dict):
            continue
        try:
            validate_body(body, route.body, "the body")
            refused = False
        except ApiError:
            refused = True
        documented = jsonschema.Draft202012Validator(route.body).is_valid(body)
        assert refused is not documented, (method, path, body)
        checked += 1
    assert checked > 20
