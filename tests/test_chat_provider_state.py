"""Provider states (docs/chat-contract.md, section 4): users with legacy profiles,
connections, and chat written profile-keyed as the legacy application wrote it, which
the migrated chat then shows keyed by user; bad input is 400 and writes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests import test_chat_http as chat_http

# The HTTP tests' fixtures: a migrated database of this module's own, served in test mode.
chat_url = chat_http.chat_url
server = chat_http.server


def _keys() -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    return {n: f"{n}-{suffix}" for n in ("alice", "bob", "carol", "dave", "lesson", "family")}


def _client(server: chat_http.ChatServer, answer: dict[str, Any], key: str) -> chat_http.Person:
    made = answer["users"][key]
    return chat_http.Person(
        made["id"], made["token"], chat_http.Client(server.base_url, made["token"])
    )


def test_legacy_chat_written_through_profiles_is_shown_keyed_by_user(
    server: chat_http.ChatServer, chat_url: str
) -> None:
    k = _keys()
    state = {
        "users": [
            {"key": k["alice"], "name": "Alice Moreau", "profiles": ["student", "parent"]},
            {"key": k["bob"], "name": "Bob Tesfaye", "profiles": ["tutor"]},
            {"key": k["carol"], "name": "Carol", "profiles": ["parent"]},
        ],
        "connections": [{"between": [k["alice"], k["bob"]]}],
        "legacy_conversations": [
            {
                "key": k["lesson"],
                "type": "direct",
                "participants": [
                    {"user": k["alice"], "profile": "student"},
                    {"user": k["bob"], "profile": "tutor"},
                ],
                "messages": [
                    {"from": {"user": k["alice"], "profile": "student"}, "text": "see you at five"},
                    {"from": {"user": k["bob"], "profile": "tutor"}, "text": "five it is"},
                ],
            },
            {
                "key": k["family"],
                "type": "group",
                "name": "Family",
                "participants": [
                    {"user": k["carol"], "profile": "parent"},
                    {"user": k["alice"], "profile": "parent"},
                ],
                "messages": [{"from": {"user": k["alice"], "profile": "parent"}, "text": "hello"}],
            },
        ],
    }
    answered = chat_http.provider_state(server.base_url, state)
    assert answered.status == 200, answered.body
    data = answered.data
    assert set(data["users"]) == {k["alice"], k["bob"], k["carol"]}
    alice, bob, carol = (_client(server, data, k[n]) for n in ("alice", "bob", "carol"))
    lesson, family = data["conversations"][k["lesson"]], data["conversations"][k["family"]]

    # The rows as the legacy application wrote them, their users filled in by the
    # migration's compatibility triggers.
    profiles = chat_http.query(
        chat_url,
        "SELECT 'student', user_id FROM student_profiles WHERE user_id = ANY(%(u)s) UNION ALL "
        "SELECT 'tutor', user_id FROM tutor_profiles WHERE user_id = ANY(%(u)s) UNION ALL "
        "SELECT 'parent', user_id FROM parent_profiles WHERE user_id = ANY(%(u)s)",
        {"u": [alice.id, bob.id, carol.id]},
    )
    assert sorted(profiles) == sorted(
        [("student", alice.id), ("parent", alice.id), ("tutor", bob.id), ("parent", carol.id)]
    )
    participants = chat_http.query(
        chat_url,
        "SELECT profile_type, user_id FROM conversation_participants "
        "WHERE conversation_id = %s ORDER BY profile_type",
        (lesson,),
    )
    assert participants == [("student", alice.id), ("tutor", bob.id)]
    senders = chat_http.query(
        chat_url,
        "SELECT sender_profile_type, sender_user_id FROM chat_messages "
        "WHERE conversation_id = %s ORDER BY id",
        (lesson,),
    )
    assert senders == [("student", alice.id), ("tutor", bob.id)]
    (creator,) = chat_http.query(
        chat_url, "SELECT created_by_user_id FROM conversations WHERE id = %s", (family,)
    )
    assert creator == (carol.id,)

    # What the chat shows: user-keyed, to each participant, from the right sender.
    page = bob.client("GET", f"/api/chat/conversations/{lesson}/messages").data["messages"]
    assert [(m["sender_user_id"], m["text"]) for m in page] == [
        (bob.id, "five it is"),
        (alice.id, "see you at five"),
    ]
    start = {"type": "direct", "participant_user_ids": [bob.id]}
    again = alice.client("POST", "/api/chat/conversations", start)
    assert (again.status, again.data["id"]) == (200, lesson)
    listed = {s["id"]: s for s in alice.client("GET", "/api/chat/conversations").data}
    assert listed[lesson]["participant_user_ids"] == sorted([alice.id, bob.id])
    assert (listed[lesson]["unread_count"], listed[lesson]["last_message"]["text"]) == (
        1,
        "five it is",
    )
    assert (listed[family]["type"], listed[family]["name"]) == ("group", "Family")
    assert carol.client("GET", f"/api/chat/conversations/{family}").data[
        "participant_user_ids"
    ] == sorted([alice.id, carol.id])
    assert carol.client("GET", f"/api/chat/conversations/{lesson}").status == 404
    found = carol.client("GET", "/api/chat/conversations/search", params={"q": "moreau"}).data
    assert [s["id"] for s in found] == [family]

    # The connection: with who_can_message = connections, Alice gets in and Carol does not.
    assert bob.client("PUT", "/api/chat/settings", {"who_can_message": "connections"}).status == 200
    assert (
        alice.client("POST", f"/api/chat/conversations/{lesson}/messages", {"text": "ok"}).status
        == 201
    )
    refused = carol.client(
        "POST", "/api/chat/conversations", {"type": "direct", "participant_user_ids": [bob.id]}
    )
    assert refused.status == 403


def test_a_later_call_refers_to_an_earlier_user_by_id(server: chat_http.ChatServer) -> None:
    k = _keys()
    first = chat_http.provider_state(
        server.base_url, {"users": [{"key": k["alice"], "name": "Alice", "profiles": ["tutor"]}]}
    ).data
    alice = _client(server, first, k["alice"])
    second = chat_http.provider_state(
        server.base_url,
        {
            "users": [{"key": k["dave"], "name": "Dave", "profiles": ["student"]}],
            "legacy_conversations": [
                {
                    "key": k["lesson"],
                    "type": "direct",
                    "participants": [
                        {"user": {"user_id": alice.id}, "profile": "tutor"},
                        {"user": k["dave"], "profile": "student"},
                    ],
                    "messages": [{"from": {"user": k["dave"], "profile": "student"}, "text": "hi"}],
                }
            ],
        },
    ).data
    assert set(second["users"]) == {k["dave"]}
    lesson = second["conversations"][k["lesson"]]
    page = alice.client("GET", f"/api/chat/conversations/{lesson}/messages").data
    assert [m["sender_user_id"] for m in page["messages"]] == [second["users"][k["dave"]]["id"]]


def test_keys_and_names_may_be_as_long_as_the_schema_allows(server: chat_http.ChatServer) -> None:
    key = "k" * 99 + uuid.uuid4().hex[:1]
    user = {"key": key, "name": "N" * 100, "profiles": ["student", "tutor", "parent"]}
    answered = chat_http.provider_state(server.base_url, {"users": [user]})
    assert answered.status == 200, answered.body
    assert set(answered.data["users"]) == {key}


def _with_a_new_user(key: str, body: dict[str, Any]) -> dict[str, Any]:
    """`body` plus a valid new user first, so a partial write would show."""
    return {
        **body,
        "users": [{"key": key, "name": "Eve", "profiles": ["student"]}, *body.get("users", [])],
    }


def _participants(*pairs: tuple[Any, str]) -> list[dict[str, Any]]:
    return [{"user": user, "profile": profile} for user, profile in pairs]


BAD_STATES: list[tuple[dict[str, Any], str]] = [
    ({"people": []}, "the body has unknown field(s): people"),
    (
        {"users": [{"key": "a", "name": "A", "profiles": ["advertiser"]}]},
        "users[1].profiles[0] must be one of student, tutor, parent",
    ),
    ({"users": [{"key": "a", "name": "A", "role": "x"}]}, "users[1] has unknown field(s): role"),
    ({"users": [{"key": "a"}]}, "users[1].name is required"),
    ({"users": [{"key": "{new}", "name": "Twice"}]}, "users[1].key repeats the key"),
    (
        {"connections": [{"between": ["{new}", "nobody"]}]},
        "connections[0].between[1] names the user key 'nobody'",
    ),
    (
        {"connections": [{"between": ["{new}", {"user_id": 2147483647}]}]},
        "names user 2147483647, who does not exist",
    ),
    (
        {"connections": [{"between": ["{new}", "{new}"]}]},
        "connections[0].between connects a user with themselves",
    ),
    ({"connections": [{"between": ["{new}"]}]}, "connections[0].between must have exactly 2 items"),
    (
        {
            "legacy_conversations": [
                {
                    "key": "c",
                    "type": "direct",
                    "participants": _participants(("{new}", "tutor"), ("{new}", "student")),
                }
            ]
        },
        "legacy_conversations[0].participants[0]: that user has no tutor profile",
    ),
    (
        {
            "legacy_conversations": [
                {
                    "key": "c",
                    "type": "direct",
                    "participants": _participants(("{new}", "student"), ("{new}", "student")),
                }
            ]
        },
        "lists the same user and profile twice",
    ),
    (
        {
            "legacy_conversations": [
                {
                    "key": "c",
                    "type": "group",
                    "participants": _participants(("{new}", "student"), ("{other}", "student")),
                }
            ]
        },
        "legacy_conversations[0] is a group: it needs a name",
    ),
    (
        {
            "legacy_conversations": [
                {
                    "key": "c",
                    "type": "direct",
                    "participants": _participants(("{new}", "student"), ("{other}", "student")),
                    "messages": [{"from": {"user": "{other}", "profile": "tutor"}, "text": "x"}],
                }
            ]
        },
        "messages[0].from: that user has no tutor profile",
    ),
    (
        {
            "legacy_conversations": [
                {
                    "key": "c",
                    "type": "direct",
                    "participants": _participants(("{new}", "student"), ("{other}", "student")),
                    "messages": [{"text": "x"}],
                }
            ]
        },
        "legacy_conversations[0].messages[0].from is required",
    ),
    (
        {
            "legacy_conversations": [
                {
                    "key": "c",
                    "type": "direct",
                    "participants": _participants(("{new}", "student"), ("{other}", "student")),
                },
                {
                    "key": "d",
                    "type": "direct",
                    "participants": _participants(("{other}", "student"), ("{new}", "student")),
                },
            ]
        },
        "would be a second direct conversation",
    ),
    (
        {"legacy_conversations": [{"key": "c", "type": "chat", "participants": []}]},
        "legacy_conversations[0].type must be one of direct, group",
    ),
]


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str) and value in names:
        return names[value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    return value


@pytest.mark.parametrize(("body", "text"), BAD_STATES)
def test_a_bad_provider_state_is_400_saying_why_and_creates_nothing(
    server: chat_http.ChatServer, chat_url: str, body: dict[str, Any], text: str
) -> None:
    new = f"eve-{uuid.uuid4().hex[:8]}"
    other = {"key": f"ola-{uuid.uuid4().hex[:8]}", "name": "Ola", "profiles": ["student"]}
    names = {"{new}": new, "{other}": other["key"]}
    sent = _with_a_new_user(new, _fill(body, names))
    if "{other}" in repr(body):
        sent["users"].append(other)
    counts = (
        "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM conversations), "
        "(SELECT count(*) FROM connections), (SELECT count(*) FROM student_profiles)"
    )
    before = chat_http.query(chat_url, counts)
    answer = chat_http.provider_state(server.base_url, sent)
    assert (answer.status, text in answer.error) == (400, True), answer.body
    assert chat_http.query(chat_url, counts) == before
