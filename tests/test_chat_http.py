"""The user-based chat over real HTTP on loopback (`serving_chat`), on a database migrated
from generated legacy data: every route's success shape, identity from the bearer
alone, refusals in words with nothing written, and the `serve-chat` command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
import requests

from chatgate.fixtures.migration import legacy_initialiser
from chatgate.fixtures.targets.chat_driver import png, wav
from chatgate.postgres import PostgresServer
from chatgate.processes import read_until
from chatgate.reference.chat.http.api import ChatApi
from chatgate.reference.chat.http.routes import MAX_JSON_BYTES, MAX_UPLOAD_BYTES, ROUTES
from chatgate.reference.chat.http.server import ChatServer, serving_chat
from chatgate.reference.http.auth import BackendAuth
from chatgate.reference.migration.apply import apply

SECRET = "chat-http-test-secret-" + "x" * 16
LEGACY_USERS = 12
PNG = png()


# -- shared by the chat's HTTP tests (test_chat_openapi, test_chat_provider_state) -----------
@pytest.fixture(scope="module")
def legacy_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A generated legacy database of this module's own, not migrated."""
    template = postgres_server.template(legacy_initialiser(LEGACY_USERS))
    name = postgres_server.create_database(template=template)
    try:
        yield postgres_server.url_for(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def chat_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A generated legacy database migrated to user identities (the reference migration)."""
    template = postgres_server.template(legacy_initialiser(LEGACY_USERS))
    name = postgres_server.create_database(template=template)
    try:
        apply(postgres_server.url_for(name))
        yield postgres_server.url_for(name)
    finally:
        postgres_server.drop_database(name)


@pytest.fixture(scope="module")
def server(chat_url: str) -> Iterator[ChatServer]:
    with serving_chat(chat_url, test_mode=True, auth_secret=SECRET) as served:
        yield served


def query(url: str, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


@dataclass
class Answer:
    status: int
    body: Any
    raw: bytes
    headers: Any

    @property
    def data(self) -> Any:
        assert self.status < 300, (self.status, self.body)
        assert self.body["success"] is True
        return self.body["data"]

    @property
    def error(self) -> str:
        assert self.body["success"] is False, self.body
        assert isinstance(self.body["error"], str)
        assert self.body["error"]
        return self.body["error"]


class Client:
    """Requests to one server as one bearer (or none)."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        self.base_url = base_url
        self.token = token

    def __call__(
        self,
        method: str,
        path: str,
        json: Any = None,
        *,
        params: dict[str, Any] | None = None,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        sent = dict(headers or {})
        if self.token is not None:
            sent.setdefault("Authorization", f"Bearer {self.token}")
        answer = requests.request(
            method,
            self.base_url + path,
            json=json,
            params=params,
            data=data,
            headers=sent,
            timeout=30,
        )
        is_json = answer.headers.get("content-type", "").startswith("application/json")
        body = answer.json() if is_json else None
        return Answer(answer.status_code, body, answer.content, answer.headers)


@dataclass
class Person:
    id: int
    token: str
    client: Client


def provider_state(base_url: str, body: dict[str, Any]) -> Answer:
    return Client(base_url)("POST", "/api/test/provider-state", body)


def people(base_url: str, *names: str) -> list[Person]:
    """New users (a student profile each) with their tokens."""
    suffix = uuid.uuid4().hex[:8]
    users = [
        {"key": f"{n}-{suffix}", "name": f"{n} {suffix}", "profiles": ["student"]} for n in names
    ]
    data = provider_state(base_url, {"users": users}).data
    made = [data["users"][u["key"]] for u in users]
    return [Person(m["id"], m["token"], Client(base_url, m["token"])) for m in made]


def direct(a: Person, b: Person) -> int:
    return a.client(
        "POST", "/api/chat/conversations", {"type": "direct", "participant_user_ids": [b.id]}
    ).data["id"]


# -- the routes -----------------------------------------------------------------------------
def test_a_direct_conversation_is_got_or_created_and_carries_messages_both_ways(
    server: ChatServer,
) -> None:
    alice, bob = people(server.base_url, "Alice", "Bob")
    start = {"type": "direct", "participant_user_ids": [bob.id]}
    created = alice.client("POST", "/api/chat/conversations", start)
    assert created.status == 201
    conversation = created.data
    assert conversation == {
        "id": conversation["id"],
        "type": "direct",
        "name": None,
        "participant_user_ids": sorted([alice.id, bob.id]),
    }
    again = alice.client("POST", "/api/chat/conversations", start)
    back = bob.client(
        "POST", "/api/chat/conversations", {"type": "direct", "participant_user_ids": [alice.id]}
    )
    assert (again.status, again.data, back.status, back.data) == (
        200,
        conversation,
        200,
        conversation,
    )
    cid = conversation["id"]
    assert bob.client("GET", f"/api/chat/conversations/{cid}").data == conversation

    sent = alice.client(
        "POST", f"/api/chat/conversations/{cid}/messages", {"text": "see you at five"}
    )
    assert sent.status == 201
    message = sent.data
    assert message["text"] == "see you at five"
    assert (message["sender_user_id"], message["conversation_id"]) == (alice.id, cid)
    assert (message["message_type"], message["media_url"]) == ("text", None)
    assert isinstance(message["sent_at"], str)
    page = bob.client("GET", f"/api/chat/conversations/{cid}/messages").data
    assert page == {"messages": [message], "next_before": None}

    (summary,) = [s for s in bob.client("GET", "/api/chat/conversations").data if s["id"] == cid]
    assert (summary["unread_count"], summary["last_message"]) == (1, message)
    read = bob.client(
        "PUT", f"/api/chat/conversations/{cid}/read", {"up_to_message_id": message["id"]}
    )
    assert read.data == {"read_up_to": message["id"]}
    (summary,) = [s for s in bob.client("GET", "/api/chat/conversations").data if s["id"] == cid]
    assert summary["unread_count"] == 0
    status = alice.client("GET", f"/api/chat/conversations/{cid}/read-status").data
    assert status == [{"user_id": bob.id, "read_up_to": message["id"]}]

    found = alice.client("GET", "/api/chat/conversations/search", params={"q": "AT FIVE"}).data
    assert [s["id"] for s in found] == [cid]
    assert alice.client("DELETE", f"/api/chat/conversations/{cid}/history").data == {
        "cleared": True
    }
    assert alice.client("GET", f"/api/chat/conversations/{cid}/messages").data["messages"] == []
    assert bob.client("GET", f"/api/chat/conversations/{cid}/messages").data["messages"] == [
        message
    ]


def test_history_comes_a_page_at_a_time_newest_first(server: ChatServer) -> None:
    alice, bob = people(server.base_url, "Alice", "Bob")
    cid = direct(alice, bob)
    for n in range(5):
        assert (
            alice.client(
                "POST", f"/api/chat/conversations/{cid}/messages", {"text": f"m{n}"}
            ).status
            == 201
        )
    pages, before = [], None
    while True:
        params = {"limit": 2, **({"before": before} if before else {})}
        page = bob.client("GET", f"/api/chat/conversations/{cid}/messages", params=params).data
        pages.append([m["text"] for m in page["messages"]])
        before = page["next_before"]
        if before is None:
            break
    assert pages == [["m4", "m3"], ["m2", "m1"], ["m0"]]


def test_groups_are_created_with_a_name_and_take_new_participants(server: ChatServer) -> None:
    alice, bob, carol = people(server.base_url, "Alice", "Bob", "Carol")
    made = alice.client(
        "POST",
        "/api/chat/conversations",
        {"type": "group", "name": "Lessons", "participant_user_ids": [bob.id]},
    )
    assert made.status == 201
    group = made.data
    assert (group["type"], group["name"], group["participant_user_ids"]) == (
        "group",
        "Lessons",
        sorted([alice.id, bob.id]),
    )
    added = bob.client(
        "POST", f"/api/chat/conversations/{group['id']}/participants", {"user_id": carol.id}
    )
    assert added.data["participant_user_ids"] == sorted([alice.id, bob.id, carol.id])
    cid = direct(alice, bob)
    refused = alice.client(
        "POST", f"/api/chat/conversations/{cid}/participants", {"user_id": carol.id}
    )
    assert refused.status == 400


def test_media_goes_up_and_comes_back_byte_for_byte_to_the_conversation_only(
    server: ChatServer,
) -> None:
    alice, bob, carol = people(server.base_url, "Alice", "Bob", "Carol")
    cid = direct(alice, bob)
    image = alice.client(
        "POST",
        "/api/chat/media",
        params={"kind": "image"},
        data=PNG,
        headers={"Content-Type": "image/png"},
    )
    assert image.status == 201
    stored = image.data
    assert (stored["mime"], stored["size"], stored["duration_seconds"]) == (
        "image/png",
        len(PNG),
        None,
    )
    assert stored["url"] == f"/api/chat/media/{stored['id']}"
    mine = alice.client("GET", stored["url"])
    assert (mine.status, mine.raw, mine.headers["content-type"]) == (200, PNG, "image/png")
    assert bob.client("GET", stored["url"]).status == 404  # not sent to him yet
    sent = alice.client(
        "POST", f"/api/chat/conversations/{cid}/messages", {"media_id": stored["id"]}
    ).data
    assert (sent["message_type"], sent["media_url"], sent["text"]) == ("image", stored["url"], None)
    assert bob.client("GET", stored["url"]).raw == PNG
    outsider = carol.client("GET", stored["url"])
    unknown = carol.client("GET", f"/api/chat/media/{uuid.uuid4()}")
    assert (
        (outsider.status, outsider.error) == (unknown.status, unknown.error) == (404, unknown.error)
    )

    voice = alice.client(
        "POST",
        "/api/chat/media",
        params={"kind": "voice"},
        data=wav(1.5),
        headers={"Content-Type": "application/octet-stream"},
    ).data
    assert voice["duration_seconds"] == pytest.approx(1.5, abs=0.1)
    lying = alice.client(
        "POST",
        "/api/chat/media",
        params={"kind": "image"},
        data=PNG,
        headers={"Content-Type": "image/gif"},
    )
    assert lying.status == 400
    assert "image/gif" in lying.error
    link = alice.client(
        "POST",
        f"/api/chat/conversations/{cid}/messages",
        {"message_type": "audio", "media_url": "https://cdn.example.org/note.ogg"},
    ).data
    assert (link["message_type"], link["media_url"]) == (
        "audio",
        "https://cdn.example.org/note.ogg",
    )
    blob = alice.client(
        "POST",
        f"/api/chat/conversations/{cid}/messages",
        {"message_type": "audio", "media_url": "blob:https://app.example.org/1f3a"},
    )
    assert blob.status == 400
    assert "blob:" in blob.error


def test_a_call_moves_through_its_states_and_is_logged(server: ChatServer) -> None:
    alice, bob = people(server.base_url, "Alice", "Bob")
    cid = direct(alice, bob)
    audio = alice.client("POST", "/api/chat/calls", {"conversation_id": cid, "call_type": "audio"})
    assert audio.status == 400
    assert "voice, video" in audio.error
    started = alice.client(
        "POST", "/api/chat/calls", {"conversation_id": cid, "call_type": "video"}
    )
    assert started.status == 201
    call = started.data
    assert (call["status"], call["caller_user_id"], call["call_type"]) == (
        "initiated",
        alice.id,
        "video",
    )
    path = f"/api/chat/calls/{call['id']}"
    assert bob.client("PUT", path, {"event": "ring"}).data["status"] == "ringing"
    assert alice.client("PUT", path, {"event": "answer"}).status == 403
    answered = bob.client("PUT", path, {"event": "answer"}).data
    assert answered["status"] == "answered"
    assert answered["answered_at"] is not None
    ended = alice.client("PUT", path, {"event": "end"}).data
    assert (ended["status"], ended["duration_seconds"]) == ("ended", 0)
    assert alice.client("PUT", path, {"event": "end"}).status == 409
    log = bob.client("GET", "/api/chat/calls").data
    assert [c["id"] for c in log] == [call["id"]]


def test_blocks_and_settings_are_the_acting_users_own(server: ChatServer) -> None:
    alice, bob = people(server.base_url, "Alice", "Bob")
    cid = direct(alice, bob)
    assert alice.client("POST", "/api/chat/block", {"user_id": bob.id}).data == {
        "blocked_user_ids": [bob.id]
    }
    assert alice.client("POST", "/api/chat/block", {"user_id": bob.id}).data == {
        "blocked_user_ids": [bob.id]
    }
    refused = bob.client("POST", f"/api/chat/conversations/{cid}/messages", {"text": "hi"})
    assert refused.status == 403
    assert bob.client("GET", "/api/chat/blocked").data == {"blocked_user_ids": []}
    assert alice.client("DELETE", f"/api/chat/block/{bob.id}").data == {"blocked_user_ids": []}
    assert (
        bob.client("POST", f"/api/chat/conversations/{cid}/messages", {"text": "hi"}).status == 201
    )

    defaults = {
        "who_can_message": "everyone",
        "read_receipts": True,
        "last_seen_visibility": "everyone",
    }
    assert alice.client("GET", "/api/chat/settings").data == defaults
    changed = alice.client("PUT", "/api/chat/settings", {"read_receipts": False}).data
    assert changed == {**defaults, "read_receipts": False}
    again = alice.client("PUT", "/api/chat/settings", {"who_can_message": "none"}).data
    assert again == {**defaults, "read_receipts": False, "who_can_message": "none"}
    assert bob.client("GET", "/api/chat/settings").data == defaults
    assert (
        bob.client("POST", f"/api/chat/conversations/{cid}/messages", {"text": "hi"}).status == 403
    )


# -- identity ---------------------------------------------------------------------------------
def test_a_user_id_in_the_query_or_body_never_changes_who_acts(server: ChatServer) -> None:
    alice, bob, carol = people(server.base_url, "Alice", "Bob", "Carol")
    cid = direct(alice, bob)
    sent = alice.client(
        "POST",
        f"/api/chat/conversations/{cid}/messages",
        {"text": "as me"},
        params={"user_id": bob.id},
    ).data
    assert sent["sender_user_id"] == alice.id
    listed = carol.client(
        "GET", "/api/chat/conversations", params={"user_id": [alice.id, bob.id]}
    ).data
    assert cid not in [s["id"] for s in listed]
    outsider = carol.client(
        "GET", f"/api/chat/conversations/{cid}/messages", params={"user_id": alice.id}
    )
    assert outsider.status == 404
    smuggled = alice.client(
        "POST", f"/api/chat/conversations/{cid}/messages", {"text": "as bob", "user_id": bob.id}
    )
    assert (smuggled.status, smuggled.error) == (400, "the body has unknown field(s): user_id")
    texts = [
        m["text"]
        for m in bob.client("GET", f"/api/chat/conversations/{cid}/messages").data["messages"]
    ]
    assert texts == ["as me"]
    # where a body names a user, it is the other party
    assert alice.client("POST", "/api/chat/block", {"user_id": bob.id}).status == 200
    assert bob.client("GET", "/api/chat/blocked").data == {"blocked_user_ids": []}


class CountingApi(ChatApi):
    """The reference API, counting how often identity is decided per request."""

    calls: list[str]

    def acting_user(self, headers: dict[str, str], params: dict[str, str], body: Any) -> int:
        type(self).calls.append(headers.get("x-request", "?"))
        return super().acting_user(headers, params, body)


def _example_requests(
    cid: int, media: str, call: int, other: int
) -> dict[str, tuple[str, str, Any, dict[str, str]]]:
    """A well-formed request for every authenticated operation (method, path, body, query)."""
    return {
        "start_conversation": (
            "POST",
            "/api/chat/conversations",
            {"type": "direct", "participant_user_ids": [other]},
            {},
        ),
        "list_conversations": ("GET", "/api/chat/conversations", None, {}),
        "search_conversations": ("GET", "/api/chat/conversations/search", None, {"q": "x"}),
        "get_conversation": ("GET", f"/api/chat/conversations/{cid}", None, {}),
        "add_participant": (
            "POST",
            f"/api/chat/conversations/{cid}/participants",
            {"user_id": other},
            {},
        ),
        "history": ("GET", f"/api/chat/conversations/{cid}/messages", None, {}),
        "send_message": ("POST", f"/api/chat/conversations/{cid}/messages", {"text": "hi"}, {}),
        "mark_read": ("PUT", f"/api/chat/conversations/{cid}/read", {"up_to_message_id": 1}, {}),
        "read_status": ("GET", f"/api/chat/conversations/{cid}/read-status", None, {}),
        "delete_for_me": ("DELETE", f"/api/chat/conversations/{cid}/history", None, {}),
        "upload": ("POST", "/api/chat/media", PNG, {"kind": "image"}),
        "download": ("GET", f"/api/chat/media/{media}", None, {}),
        "start_call": (
            "POST",
            "/api/chat/calls",
            {"conversation_id": cid, "call_type": "voice"},
            {},
        ),
        "call_event": ("PUT", f"/api/chat/calls/{call}", {"event": "miss"}, {}),
        "call_log": ("GET", "/api/chat/calls", None, {}),
        "block": ("POST", "/api/chat/block", {"user_id": other}, {}),
        "unblock": ("DELETE", f"/api/chat/block/{other}", None, {}),
        "blocked": ("GET", "/api/chat/blocked", None, {}),
        "settings": ("GET", "/api/chat/settings", None, {}),
        "update_settings": ("PUT", "/api/chat/settings", {"read_receipts": True}, {}),
    }


def _send(client: Client, operation: str, request: tuple[str, str, Any, dict[str, str]]) -> Answer:
    method, path, body, params = request
    headers = {"X-Request": operation}
    if isinstance(body, bytes):
        return client(method, path, params=params, data=body, headers=headers)
    return client(method, path, body, params=params, headers=headers)


def test_every_route_decides_identity_once_through_acting_user_and_refuses_without_a_bearer(
    chat_url: str,
) -> None:
    CountingApi.calls = []
    with serving_chat(
        chat_url, test_mode=True, auth_secret=SECRET, api_class=CountingApi
    ) as counted:
        alice, bob = people(counted.base_url, "Alice", "Bob")
        cid = direct(alice, bob)
        media = alice.client("POST", "/api/chat/media", params={"kind": "image"}, data=PNG).data[
            "id"
        ]
        call = alice.client(
            "POST", "/api/chat/calls", {"conversation_id": cid, "call_type": "voice"}
        ).data["id"]
        requests_ = _example_requests(cid, media, call, bob.id)
        authenticated = {r.operation for r in ROUTES if r.authenticated}
        assert set(requests_) == authenticated
        CountingApi.calls = []
        anonymous = Client(counted.base_url)
        for operation, request in requests_.items():
            refused = _send(anonymous, operation, request)
            assert (operation, refused.status) == (operation, 401), refused.body
        assert sorted(CountingApi.calls) == sorted(requests_)
        CountingApi.calls = []
        for operation, request in requests_.items():
            answered = _send(alice.client, operation, request)
            assert answered.status < 500, (operation, answered.body)
        assert sorted(CountingApi.calls) == sorted(requests_)


def test_only_a_valid_bearer_naming_a_user_gets_in(server: ChatServer) -> None:
    (alice,) = people(server.base_url, "Alice")
    auth = BackendAuth(SECRET)
    expired = BackendAuth(SECRET, now=lambda: time.time() - 7200).issue(str(alice.id))
    cases = {
        None: "Authorization: Bearer <token> is required",
        "Token " + alice.token: "Authorization: Bearer <token> is required",
        "Bearer "
        + BackendAuth("another-secret-" + "y" * 24).issue(
            str(alice.id)
        ): "the bearer token is invalid",
        "Bearer " + expired: "the bearer token has expired",
        "Bearer " + auth.issue("alice"): "the bearer token's sub must be a user id",
        "Bearer " + auth.issue("0"): "the bearer token's sub must be a user id",
        "Bearer " + auth.issue("99999999"): "the bearer token names no user of this backend",
    }
    for header, text in cases.items():
        answer = Client(server.base_url)(
            "GET", "/api/chat/settings", headers={"Authorization": header} if header else {}
        )
        assert (answer.status, text in answer.error) == (401, True), (header, answer.body)


# -- refusals ---------------------------------------------------------------------------------
BAD_REQUESTS: list[tuple[str, str, Any, dict[str, Any], str]] = [
    ("POST", "/api/chat/conversations", {"type": "direct"}, {}, "participant_user_ids is required"),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "chat", "participant_user_ids": [2]},
        {},
        "type must be one of direct, group, got 'chat'",
    ),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "direct", "participant_user_ids": ["2"]},
        {},
        "participant_user_ids[0] must be a whole number",
    ),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "direct", "participant_user_ids": [0]},
        {},
        "participant_user_ids[0] must be a whole number from 1 to 2147483647, got 0",
    ),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "direct", "participant_user_ids": []},
        {},
        "participant_user_ids must have 1 to 100 items",
    ),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "direct", "participant_user_ids": [2, 3]},
        {},
        "exactly one other user",
    ),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "direct", "participant_user_ids": [2], "name": "x"},
        {},
        "a direct conversation has no name",
    ),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "group", "participant_user_ids": [2]},
        {},
        "a group needs a name",
    ),
    (
        "POST",
        "/api/chat/conversations",
        {"type": "group", "name": "x" * 101, "participant_user_ids": [2]},
        {},
        "name must be 1 to 100 characters",
    ),
    ("POST", "/api/chat/conversations", [1], {}, "the body must be an object"),
    ("POST", "/api/chat/conversations/{cid}/messages", {"text": 5}, {}, "text must be a string"),
    (
        "POST",
        "/api/chat/conversations/{cid}/messages",
        {"text": "x" * 4001},
        {},
        "text must be 1 to 4000 characters",
    ),
    (
        "POST",
        "/api/chat/conversations/{cid}/messages",
        {"text": "   "},
        {},
        "text must be a non-blank string",
    ),
    (
        "POST",
        "/api/chat/conversations/{cid}/messages",
        {"text": "a", "media_id": "b"},
        {},
        'the body must be exactly one of {"text"}, {"media_id"} or {"message_type", "media_url"}',
    ),
    (
        "POST",
        "/api/chat/conversations/{cid}/messages",
        {"message_type": "video", "media_url": "https://x.org/a"},
        {},
        "message_type must be one of image, file, audio, got 'video'",
    ),
    (
        "POST",
        "/api/chat/conversations/{cid}/messages",
        {"text": "a\u0000b"},
        {},
        "the body.text contains a NUL character",
    ),
    (
        "POST",
        "/api/chat/conversations/abc/messages",
        {"text": "hi"},
        {},
        "conversation_id must be a whole number, got 'abc'",
    ),
    (
        "POST",
        "/api/chat/conversations/-4/messages",
        {"text": "hi"},
        {},
        "conversation_id must be a whole number from 1 to 2147483647, got -4",
    ),
    (
        "POST",
        "/api/chat/conversations/99999999999/messages",
        {"text": "hi"},
        {},
        "conversation_id must be a whole number from 1 to 2147483647",
    ),
    (
        "GET",
        "/api/chat/conversations",
        None,
        {"limit": "0"},
        "limit must be a whole number from 1 to 100, got 0",
    ),
    (
        "GET",
        "/api/chat/conversations",
        None,
        {"limit": "ten"},
        "limit must be a whole number, got 'ten'",
    ),
    (
        "GET",
        "/api/chat/conversations",
        None,
        {"offset": "-1"},
        "offset must be a whole number from 0 to 2147483647, got -1",
    ),
    (
        "GET",
        "/api/chat/conversations",
        None,
        {"limit": ["1", "2"]},
        "the query parameter limit is given more than once",
    ),
    (
        "GET",
        "/api/chat/conversations",
        None,
        {"offset": str(10**30)},
        "offset must be a whole number from 0 to 2147483647",
    ),
    ("GET", "/api/chat/conversations/search", None, {}, "the query parameter q is required"),
    (
        "GET",
        "/api/chat/conversations/search",
        None,
        {"q": "a\u0000"},
        "the query.q contains a NUL character",
    ),
    (
        "GET",
        "/api/chat/conversations/search",
        None,
        {"q": "x" * 101},
        "q must be 1 to 100 characters",
    ),
    (
        "GET",
        "/api/chat/conversations/{cid}/messages",
        None,
        {"before": "x"},
        "before must be a whole number, got 'x'",
    ),
    (
        "PUT",
        "/api/chat/conversations/{cid}/read",
        {"up_to_message_id": True},
        {},
        "up_to_message_id must be a whole number",
    ),
    (
        "POST",
        "/api/chat/media",
        b"",
        {"kind": "video"},
        "kind must be one of image, file, voice, got 'video'",
    ),
    ("POST", "/api/chat/media", b"", {"kind": "image"}, "the upload is empty"),
    (
        "POST",
        "/api/chat/media",
        b"MZ\x90\x00" + b"\x00" * 200,
        {"kind": "image"},
        "an image must be one of",
    ),
    (
        "POST",
        "/api/chat/calls",
        {"conversation_id": "{cid}", "call_type": "voice", "extra": 1},
        {},
        "the body has unknown field(s): extra",
    ),
    (
        "PUT",
        "/api/chat/calls/1",
        {"event": "hangup"},
        {},
        "event must be one of ring, answer, decline, miss, cancel, end",
    ),
    (
        "POST",
        "/api/chat/block",
        {"user_id": "{me}"},
        {},
        "a direct conversation needs another user than yourself",
    ),
    ("PUT", "/api/chat/settings", {}, {}, "the body must have at least 1 of who_can_message"),
    (
        "PUT",
        "/api/chat/settings",
        {"who_can_message": "friends"},
        {},
        "who_can_message must be one of everyone, connections, none, got 'friends'",
    ),
    (
        "PUT",
        "/api/chat/settings",
        {"read_receipts": "no"},
        {},
        "read_receipts must be true or false",
    ),
    ("PUT", "/api/chat/settings", {"theme": "dark"}, {}, "the body has unknown field(s): theme"),
    ("GET", "/api/chat/settings", {"x": 1}, {}, "GET /api/chat/settings takes no request body"),
]


def _fill(value: Any, names: dict[str, int]) -> Any:
    if (
        isinstance(value, str)
        and value.startswith("{")
        and value.endswith("}")
        and value[1:-1] in names
    ):
        return names[value[1:-1]]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def _state(person: Person, cid: int) -> tuple[Any, ...]:
    """What a refused request must leave unchanged."""
    client = person.client
    return (
        client("GET", "/api/chat/conversations").data,
        client("GET", f"/api/chat/conversations/{cid}/messages").data,
        client("GET", "/api/chat/blocked").data,
        client("GET", "/api/chat/settings").data,
        client("GET", "/api/chat/calls").data,
    )


def test_bad_requests_are_400_with_a_precise_text_and_write_nothing(server: ChatServer) -> None:
    alice, bob = people(server.base_url, "Alice", "Bob")
    cid = direct(alice, bob)
    assert (
        alice.client("POST", f"/api/chat/conversations/{cid}/messages", {"text": "x"}).status == 201
    )
    before = _state(alice, cid)
    names = {"cid": cid, "me": alice.id}
    for method, path, body, params, text in BAD_REQUESTS:
        path = path.format(**names)
        if isinstance(body, bytes):
            answer = alice.client(method, path, params=params, data=body)
        else:
            answer = alice.client(method, path, _fill(body, names), params=params)
        assert (answer.status, text in answer.error) == (400, True), (
            method,
            path,
            body,
            answer.body,
        )
    assert _state(alice, cid) == before


def test_malformed_bodies_are_400_saying_why(server: ChatServer) -> None:
    (alice,) = people(server.base_url, "Alice")
    path = "/api/chat/settings"
    cases = [
        (b"{", {"Content-Type": "application/json"}, "the request body is not valid JSON"),
        (
            b'{"read_receipts": true}',
            {"Content-Type": "text/plain"},
            "Content-Type must be application/json, got text/plain",
        ),
        (b"", {"Content-Type": "application/json"}, "the request body must be a JSON object"),
        (
            b"[" * 40 + b"]" * 40,
            {"Content-Type": "application/json"},
            "nested deeper than 16 levels",
        ),
    ]
    for raw, headers, text in cases:
        answer = alice.client("PUT", path, data=raw, headers=headers)
        assert (answer.status, text in answer.error) == (400, True), (raw, answer.body)


def test_others_conversations_answer_as_if_they_did_not_exist(server: ChatServer) -> None:
    alice, bob, carol = people(server.base_url, "Alice", "Bob", "Carol")
    cid = direct(alice, bob)
    for method, suffix, body in [
        ("GET", "", None),
        ("GET", "/messages", None),
        ("POST", "/messages", {"text": "let me in"}),
        ("PUT", "/read", {"up_to_message_id": 1}),
        ("GET", "/read-status", None),
        ("DELETE", "/history", None),
        ("POST", "/participants", {"user_id": carol.id}),
    ]:
        theirs = carol.client(method, f"/api/chat/conversations/{cid}{suffix}", body)
        missing = carol.client(method, f"/api/chat/conversations/2147483647{suffix}", body)
        assert theirs.status == missing.status == 404, (suffix, theirs.body)
        assert theirs.error == missing.error == "Conversation not found"
    assert alice.client("GET", f"/api/chat/conversations/{cid}/messages").data["messages"] == []


def test_routes_methods_and_limits(server: ChatServer, chat_url: str) -> None:
    (alice,) = people(server.base_url, "Alice")
    anonymous = Client(server.base_url)
    assert anonymous("GET", "/healthz").data == {"status": "ok"}
    nowhere = alice.client("GET", "/api/chat/nowhere")
    assert (nowhere.status, nowhere.error) == (404, "no route GET /api/chat/nowhere")
    wrong = alice.client("PATCH", "/api/chat/settings")
    assert (wrong.status, wrong.error) == (
        405,
        "PATCH is not allowed on /api/chat/settings; use GET or PUT",
    )
    big = alice.client(
        "PUT",
        "/api/chat/settings",
        data=b" " * (MAX_JSON_BYTES + 1),
        headers={"Content-Type": "application/json"},
    )
    assert (big.status, big.error) == (
        413,
        f"the request body is larger than {MAX_JSON_BYTES} bytes",
    )
    huge = alice.client(
        "POST", "/api/chat/media", params={"kind": "file"}, data=b"x" * (MAX_UPLOAD_BYTES + 1)
    )
    assert (huge.status, huge.error) == (
        413,
        f"the request body is larger than {MAX_UPLOAD_BYTES} bytes",
    )
    # refused before it is read: the limit named is still the route's
    flood = alice.client(
        "PUT",
        "/api/chat/settings",
        data=b" " * (MAX_UPLOAD_BYTES + 1),
        headers={"Content-Type": "application/json"},
    )
    assert (flood.status, flood.error) == (413, big.error)
    with serving_chat(chat_url, auth_secret=SECRET) as production:
        hidden = provider_state(production.base_url, {"users": []})
        assert hidden.status == 404


# -- the command line ---------------------------------------------------------------------------
CLI = [sys.executable, "-m", "chatgate.cli"]


def test_serve_chat_refuses_a_database_that_is_not_migrated(legacy_url: str) -> None:
    result = subprocess.run(
        [*CLI, "serve-chat", "--database-url", legacy_url, "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "chatgate: error: this database is not migrated to user identities; "
        "run `chatgate migrate apply` first"
    ]


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_chat_serves_until_a_stop_signal(chat_url: str, stop: signal.Signals) -> None:
    env = {**os.environ, "CHATGATE_AUTH_SECRET": SECRET}
    proc = subprocess.Popen(
        [*CLI, "serve-chat", "--database-url", chat_url, "--port", "0", "--test-mode"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        banner = read_until(proc, "listening on")
        base_url = banner.split("listening on ")[1].split()[0]
        (alice,) = people(base_url, "Alice")
        assert alice.client("GET", "/api/chat/settings").status == 200
        proc.send_signal(stop)
        assert proc.wait(timeout=30) == 0
        assert proc.stdout is not None
        assert "chatgate chat stopped" in proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


ODD_VALUES: list[Any] = [None, True, -1, 0, 2**40, 1.5, "", "x", "\u0000", [], [0], {}, {"a": 1}]
ODD_TEXTS = ["", "x", "-1", "0", "1", "99999999999999999999", "\u0000"]


def test_odd_values_in_every_field_and_parameter_get_a_documented_status_never_a_500(
    server: ChatServer,
) -> None:
    alice, bob = people(server.base_url, "Alice", "Bob")
    cid = direct(alice, bob)
    for route in ROUTES:
        if route.body is None and not route.query and not route.path_params:
            continue
        concrete = route.path.replace("{conversation_id}", str(cid)).replace("{call_id}", "1")
        concrete = concrete.replace("{user_id}", str(bob.id)).replace("{media_id}", "m")
        client = Client(server.base_url) if not route.authenticated else alice.client
        tried: list[Answer] = []
        if isinstance(route.body, dict):
            fields = list(route.body.get("properties", {})) or ["text", "media_id"]
            for name in fields:
                for value in ODD_VALUES:
                    tried.append(client(route.method, concrete, {name: value}))
        for param in route.query:
            for text in ODD_TEXTS:
                tried.append(client(route.method, concrete, None, params={param.name: text}))
        for param in route.path_params:
            for text in ODD_TEXTS[1:]:
                odd = route.path.replace("{" + param.name + "}", text)
                odd = odd.replace("{conversation_id}", str(cid))
                tried.append(client(route.method, odd, None))
        for answer in tried:
            assert answer.status in (*route.statuses, 404), (route.operation, answer.body)
