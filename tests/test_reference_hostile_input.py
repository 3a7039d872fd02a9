"""The hostile probe of issue 8, as our own tests: every route of the reference backend
against bad bearers, unclean and oversized input, floods of concurrent creates, and a
slow Stream. Each answer must be a precise 4xx (or the right 2xx) with nothing written
that should not be, and the server must keep serving.

Run with `-s` to see how many requests this module sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from http.client import HTTPResponse
from typing import Any

import jwt
import pytest
import requests
from stream_chat import StreamChat

from chatgate.fakes.stream.inprocess import InProcessStream
from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.reference.http.api import MAX_BODY_BYTES, STREAM_WORKERS, ChatApi
from chatgate.reference.http.auth import DEV_AUTH_SECRET, BackendAuth
from chatgate.reference.http.server import ReferenceServer, build_api, serving_reference
from chatgate.reference.sync.retry import RetryPolicy
from chatgate.reference.sync.schema import apply_schema
from tests.hostile import (
    AMR,
    OWNER,
    SAT,
    Client,
    Tally,
    channel_members,
    company_stream_id,
    company_to_user,
    count_rows,
    http,
    report,
    stored_conversations,
    table_counts,
    user_ids,
    user_stream_id,
)

SENT = Tally()
BOB = "b0b0b0b0-0000-4000-8000-000000000002"
STRANGER = "5c4a9e1d-7777-4000-8000-000000000003"  # a well-formed id nobody has
OTHER_SECRET = "a-secret-that-is-not-the-backends-own"
CONVERSATIONS = "/api/chat/conversations"
PROVIDER_STATE = "/api/test/provider-state"
NESTED_ERROR = "the request body is not valid JSON: nested deeper than 16 levels"
NOT_JSON = "the request body is not valid JSON: "
BAD_ID = "a conversation id is 1 to 64 letters, digits, '-' or '_'"


@pytest.fixture(scope="module", autouse=True)
def _report_requests(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report(request, f"hostile input: {SENT.value} requests")


@pytest.fixture(scope="session")
def postgres_schema():
    return apply_schema


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def api(
    postgres_database: str, fake_stream: InProcessStream, waits: list[float]
) -> Iterator[ChatApi]:
    api = build_api(
        postgres_database,
        fake_stream.client,
        auth_secret=DEV_AUTH_SECRET,
        test_mode=True,
        retry=RetryPolicy(sleep=waits.append),
    )
    yield api
    api.stop()


@pytest.fixture
def client(api: ChatApi) -> Client:
    return Client(api, SENT)


@pytest.fixture
def tokens(client: Client) -> dict[str, str]:
    """Owner runs Sat Education; Amr and Bob are users."""
    return client.seed([AMR, BOB], owners={SAT: OWNER}, names={SAT: "Sat Education"})


@pytest.fixture(scope="module")
def stream_server() -> Iterator[FakeStreamServer]:
    """A standalone fake Stream of this module's own (its faults and clock stay here)."""
    with FakeStreamServer(port=0) as server:
        yield server


@pytest.fixture
def live_stream(stream_server: FakeStreamServer) -> Iterator[FakeStreamServer]:
    stream_server.reset(configuration=True)  # custom roles too: a fresh Stream app
    yield stream_server
    stream_server.faults.clear()


def serving_live(database_url: str, server: FakeStreamServer) -> AbstractContextManager[str]:
    """The backend over real HTTP, talking to the standalone fake over real HTTP."""
    stream = StreamChat(server.api_key, server.api_secret, base_url=server.base_url, timeout=30)
    return serving_reference(
        database_url,
        stream,
        auth_secret=DEV_AUTH_SECRET,
        test_mode=True,
        retry=RetryPolicy(sleep=lambda _: None),
    )


@contextmanager
def serving(api: ChatApi) -> Iterator[str]:
    """`api` (built on the in-process fake) over real HTTP on loopback; yields its base URL."""
    with ReferenceServer(api) as server:
        yield server.base_url


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def create_one(client: Client, tokens: dict[str, str]) -> str:
    """Sat Education opens a chat with Amr; the channel id."""
    status, answer = client.call("POST", CONVERSATIONS, company_to_user(AMR), bearer=tokens[OWNER])
    assert status == 201, answer
    return answer["data"]["id"]


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


# -- 1. auth -------------------------------------------------------------------------------
def _hand_signed(claims: dict[str, Any], secret: str = DEV_AUTH_SECRET) -> str:
    """An HS256 JWT signed by hand, so claims PyJWT would refuse to encode get through."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = header + b"." + part(json.dumps(claims).encode())
    signature = part(hmac.new(secret.encode(), signing_input, hashlib.sha256).digest())
    return (signing_input + b"." + signature).decode()


_REQUIRED = "Authorization: Bearer <token> is required"
_UNKNOWN = "the bearer token does not name a known user"
_INVALID = "the bearer token is invalid: "  # followed by PyJWT's reason


def bad_bearers() -> dict[str, tuple[str | None, str | None, str]]:
    """{name: (Authorization header or None, exact error or None, error prefix)}, made now
    (so the good-but-wrong tokens among them have not expired)."""
    later = int(time.time()) + 3600
    return {
        "missing header": (None, _REQUIRED, _REQUIRED),
        "wrong scheme": (
            "Basic " + BackendAuth(DEV_AUTH_SECRET).issue(OWNER),
            _REQUIRED,
            _REQUIRED,
        ),
        "empty token": ("Bearer ", _REQUIRED, _REQUIRED),
        "blank token": ("Bearer    ", _REQUIRED, _REQUIRED),
        "garbage": ("Bearer garbage.garbage", None, _INVALID),
        "wrong secret": (
            "Bearer " + BackendAuth(OTHER_SECRET).issue(OWNER),
            _INVALID + "Signature verification failed",
            _INVALID,
        ),
        "alg none": (
            "Bearer " + jwt.encode({"sub": OWNER, "exp": later}, None, algorithm="none"),
            None,
            _INVALID,
        ),
        "expired": (
            "Bearer " + BackendAuth(DEV_AUTH_SECRET, now=lambda: 1_000_000).issue(OWNER),
            "the bearer token has expired",
            "the bearer token has expired",
        ),
        "no sub": ("Bearer " + _hand_signed({"exp": later}), None, _INVALID),
        "numeric sub": (
            "Bearer " + _hand_signed({"sub": 42, "exp": later}),
            None,
            "the bearer token",
        ),
        "list sub": ("Bearer " + _hand_signed({"sub": [OWNER]}), None, "the bearer token"),
        "sub not a uuid": (
            "Bearer " + BackendAuth(DEV_AUTH_SECRET).issue("amr"),
            _UNKNOWN,
            _UNKNOWN,
        ),
        "sub of nobody": (
            "Bearer " + BackendAuth(DEV_AUTH_SECRET).issue(STRANGER),
            _UNKNOWN,
            _UNKNOWN,
        ),
        "sub of a company": (
            "Bearer " + BackendAuth(DEV_AUTH_SECRET).issue(SAT),
            _UNKNOWN,
            _UNKNOWN,
        ),
    }


# name: (method, path ({id}: an existing conversation), query, body)
ROUTES: dict[str, tuple[str, str, str, Any]] = {
    "token": ("POST", "/api/chat/token", f"profile_type=company&company_id={SAT}", None),
    "create": ("POST", CONVERSATIONS, "", company_to_user(BOB)),
    "list": ("GET", CONVERSATIONS, "", None),
    "read": ("GET", CONVERSATIONS + "/{id}", "", None),
}


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("bad", list(bad_bearers()))
def test_every_bad_bearer_on_every_route_is_401_and_nothing_is_written(
    client: Client,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    postgres_database: str,
    route: str,
    bad: str,
) -> None:
    existing = create_one(client, tokens)
    fake_stream.journal.clear()
    before = table_counts(postgres_database)
    method, path, query, body = ROUTES[route]
    header, exact, prefix = bad_bearers()[bad]
    status, answer = client.call(
        method,
        path.format(id=existing),
        body,
        query=query,
        headers={"Authorization": header} if header is not None else {},
    )
    assert (status, answer["success"]) == (401, False), answer
    assert set(answer) == {"success", "error"}
    if exact is not None:
        assert answer["error"] == exact
    assert answer["error"].startswith(prefix), answer["error"]
    assert table_counts(postgres_database) == before
    assert fake_stream.journal.operations() == []


# -- 2. bad input, before anything is written ------------------------------------------------
def assert_nothing_written(db: str, fake: Any) -> None:
    assert count_rows(db, "conversations") == 0
    assert fake.journal.count("UpdateUsers") == 0
    assert fake.journal.count("GetOrCreateChannel") == 0
    assert fake.journal.count("CreateRole") == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (company_to_user(AMR, name="Wel\x00come"), "body.name contains a NUL character"),
        (company_to_user(AMR, name="Wel\ud800come"),
         "body.name is not valid Unicode (lone surrogate)"),
        ({**company_to_user(AMR), "conversation_type": "user_\x00company"},
         "body.conversation_type contains a NUL character"),
        ({**company_to_user(AMR), "participant_ids": [AMR + "\x00"]},
         "body.participant_ids[0] contains a NUL character"),
        ({**company_to_user(AMR), "company_id": SAT + "\ud800"},
         "body.company_id is not valid Unicode (lone surrogate)"),
        ({**company_to_user(AMR), "na\x00me": "x"}, "a key of body contains a NUL character"),
    ],
    ids=["NUL in name", "lone surrogate in name", "NUL in conversation_type",
         "NUL in a participant id", "lone surrogate in company_id", "NUL in a key"],
)  # fmt: skip
def test_unclean_text_in_a_create_is_400_before_stream_is_called(
    client: Client,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    postgres_database: str,
    body: dict[str, Any],
    error: str,
) -> None:
    status, answer = client.call("POST", CONVERSATIONS, body, bearer=tokens[OWNER])
    assert (status, answer) == (400, {"success": False, "error": error})
    assert_nothing_written(postgres_database, fake_stream)


_RAW_CREATE = (
    b'{"conversation_type": "user_company", "participant_ids": ["%s"], "company_id": "%s",'
    b' "name": "Wel%scome"}'
)


@pytest.mark.parametrize(
    ("inside", "error"),
    [
        (b"\x00", NOT_JSON + "Invalid control character at"),
        (b"\xed\xa0\x80", "body.name is not valid Unicode (lone surrogate)"),
        (b"\xff", NOT_JSON + "'utf-8' codec can't decode byte 0xff"),
    ],
    ids=["raw NUL byte", "UTF-8-encoded surrogate", "invalid UTF-8"],
)
def test_raw_bytes_that_are_not_clean_json_text_are_400_before_stream_is_called(
    client: Client,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    postgres_database: str,
    inside: bytes,
    error: str,
) -> None:
    body = _RAW_CREATE % (AMR.encode(), SAT.encode(), inside)
    status, answer = client.call("POST", CONVERSATIONS, raw=body, bearer=tokens[OWNER])
    assert (status, answer["success"]) == (400, False), answer
    assert answer["error"].startswith(error), answer["error"]
    assert_nothing_written(postgres_database, fake_stream)


def test_unclean_names_over_http_are_400_and_the_server_keeps_serving(
    api: ChatApi, tokens: dict[str, str], fake_stream: InProcessStream, postgres_database: str
) -> None:
    with serving(api) as base:
        for name, error in [
            ("Wel\x00come", "body.name contains a NUL character"),
            ("Wel\ud800come", "body.name is not valid Unicode (lone surrogate)"),
        ]:
            answer = http(
                SENT,
                "POST",
                base + CONVERSATIONS,
                data=json.dumps(company_to_user(AMR, name=name)),
                headers={**bearer(tokens[OWNER]), "Content-Type": "application/json"},
            )
            assert (answer.status_code, answer.json()) == (400, {"success": False, "error": error})
        assert_nothing_written(postgres_database, fake_stream)
        created = http(
            SENT,
            "POST",
            base + CONVERSATIONS,
            json=company_to_user(AMR, name="Welcome"),
            headers=bearer(tokens[OWNER]),
        )
        assert created.status_code == 201, created.text
        assert created.json()["data"]["name"] == "Welcome"


@pytest.mark.parametrize(
    ("path", "query", "error"),
    [
        (CONVERSATIONS + "/ab\x00cd", "", "the path contains a NUL character"),
        (CONVERSATIONS + "/\x00", "", "the path contains a NUL character"),
        (CONVERSATIONS + "/ab\ud800", "", "the path is not valid Unicode (lone surrogate)"),
        (CONVERSATIONS + "/" + "a" * 65, "", BAD_ID),
        (CONVERSATIONS + "/caf\u00e9", "", BAD_ID),
        (CONVERSATIONS + "/a%00b", "", BAD_ID),
        (CONVERSATIONS + "/abc", "x=%00", "the query.x contains a NUL character"),
        (CONVERSATIONS + "/abc", "x=%ED%A0%80", None),
    ],
    ids=["NUL inside", "NUL alone", "lone surrogate", "65 characters", "non-ASCII",
         "percent sign", "NUL in the query", "undecodable query"],
)  # fmt: skip
def test_bad_conversation_ids_on_a_read_are_400(
    client: Client,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    path: str,
    query: str,
    error: str | None,
) -> None:
    status, answer = client.call("GET", path, query=query, bearer=tokens[OWNER])
    if error is None:  # %ED%A0%80 decodes to U+FFFD: a clean query, and nobody's conversation
        assert (status, answer) == (404, {"success": False, "error": "Conversation not found"})
    else:
        assert (status, answer) == (400, {"success": False, "error": error})
    assert fake_stream.journal.operations() == []


def test_a_nul_in_a_conversation_id_over_http_is_400(
    api: ChatApi, tokens: dict[str, str], fake_stream: InProcessStream
) -> None:
    with serving(api) as base:
        nul = http(SENT, "GET", f"{base}{CONVERSATIONS}/ab%00cd", headers=bearer(tokens[OWNER]))
        surrogate = http(
            SENT, "GET", f"{base}{CONVERSATIONS}/ab%ED%A0%80", headers=bearer(tokens[OWNER])
        )
        health = http(SENT, "GET", f"{base}/healthz")
    assert (nul.status_code, nul.json()) == (
        400,
        {"success": False, "error": "the path contains a NUL character"},
    )
    assert surrogate.status_code == 400, surrogate.text
    assert surrogate.json()["success"] is False
    assert health.status_code == 200
    assert fake_stream.journal.operations() == []


def _provider_state() -> dict[str, Any]:
    return {
        "users": [{"id": AMR, "name": "Amr", "image_url": "https://img.example/amr.png"}],
        "companies": [{"id": SAT, "name": "Sat", "logo_url": "https://img.example/sat.png"}],
        "memberships": [{"company_id": SAT, "user_id": AMR, "role": "owner"}],
    }


_STATE_STRINGS = [
    ("users", "id"), ("users", "name"), ("users", "image_url"),
    ("companies", "id"), ("companies", "name"), ("companies", "logo_url"),
    ("memberships", "company_id"), ("memberships", "user_id"), ("memberships", "role"),
]  # fmt: skip


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["NUL", "lone surrogate"])
@pytest.mark.parametrize(
    ("key", "field"), _STATE_STRINGS, ids=[".".join(s) for s in _STATE_STRINGS]
)
def test_unclean_text_anywhere_in_a_provider_state_is_400_and_nothing_is_seeded(
    client: Client, postgres_database: str, key: str, field: str, bad: str
) -> None:
    state = _provider_state()
    state[key][0][field] = state[key][0][field][:3] + bad + state[key][0][field][3:]
    status, answer = client.call("POST", PROVIDER_STATE, state)
    problem = (
        "contains a NUL character" if bad == "\x00" else "is not valid Unicode (lone surrogate)"
    )
    assert (status, answer) == (
        400,
        {"success": False, "error": f"body.{key}[0].{field} {problem}"},
    )
    assert table_counts(postgres_database) == dict.fromkeys(table_counts(postgres_database), 0)


def test_a_nul_in_a_provider_state_key_is_400(client: Client, postgres_database: str) -> None:
    state = _provider_state()
    state["users"][0]["na\x00me"] = "x"
    status, answer = client.call("POST", PROVIDER_STATE, state)
    assert (status, answer) == (
        400,
        {"success": False, "error": "a key of body.users[0] contains a NUL character"},
    )
    assert count_rows(postgres_database, "users") == 0


_CREATE_PREFIX = (
    f'{{"conversation_type": "user_company", "participant_ids": ["{AMR}"], '
    f'"company_id": "{SAT}", "name": '
)


@pytest.mark.parametrize(
    ("path", "raw"),
    [
        (CONVERSATIONS, deep(1000)),
        (CONVERSATIONS, _CREATE_PREFIX + deep(1000) + "}"),
        (CONVERSATIONS, '{"a":' * 1000 + "1" + "}" * 1000),
        (CONVERSATIONS, deep(100_000)),
        (PROVIDER_STATE, deep(1000)),
        (PROVIDER_STATE, '{"users": ' + deep(1000) + "}"),
        (PROVIDER_STATE, deep(100_000)),
    ],
    ids=["create: a list 1,000 deep", "create: a name 1,000 deep", "create: objects 1,000 deep",
         "create: a list 100,000 deep", "provider state: a list 1,000 deep",
         "provider state: users 1,000 deep", "provider state: a list 100,000 deep"],
)  # fmt: skip
def test_json_nested_absurdly_deep_is_400(
    client: Client,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    postgres_database: str,
    path: str,
    raw: str,
) -> None:
    before = table_counts(postgres_database)
    status, answer = client.call("POST", path, raw=raw.encode(), bearer=tokens[OWNER])
    assert (status, answer) == (400, {"success": False, "error": NESTED_ERROR})
    assert table_counts(postgres_database) == before
    assert_nothing_written(postgres_database, fake_stream)


def test_101_participants_are_400_naming_the_limit_before_stream_is_called(
    client: Client, fake_stream: InProcessStream, postgres_database: str
) -> None:
    people = user_ids(101)
    tokens = client.seed([OWNER, *people])
    status, answer = client.call(
        "POST",
        CONVERSATIONS,
        {"conversation_type": "user_user", "participant_ids": people},
        bearer=tokens[OWNER],
    )
    assert (status, answer) == (
        400,
        {"success": False, "error": "participant_ids may name at most 100 participants, got 101"},
    )
    assert_nothing_written(postgres_database, fake_stream)


def test_100_participants_are_one_conversation_with_stream_upserts_in_batches(
    client: Client, fake_stream: InProcessStream, postgres_database: str
) -> None:
    people = user_ids(100)
    tokens = client.seed([OWNER, *people])
    status, answer = client.call(
        "POST",
        CONVERSATIONS,
        {"conversation_type": "user_user", "participant_ids": people, "name": "Everyone"},
        bearer=tokens[OWNER],
    )
    assert status == 201, answer
    everyone = {user_stream_id(u) for u in [OWNER, *people]}
    upserts = fake_stream.journal.entries("UpdateUsers", ok=True)
    assert [len(e.body["users"]) for e in upserts] == [100, 1]
    assert set().union(*(e.body["users"] for e in upserts)) == everyone
    assert channel_members(fake_stream.state, answer["data"]["id"]) == everyone
    assert stored_conversations(postgres_database) == {answer["data"]["id"]: everyone}
    assert sorted(answer["data"]["participant_ids"]) == sorted(people)


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("x" * 900 * 1024, "name must be at most 200 characters, got 921600"),
        ("x" * 201, "name must be at most 200 characters, got 201"),
        ("\U0001f642" * 201, "name must be at most 200 characters, got 201"),
        (5, "name must be a string"),
        (["Welcome"], "name must be a string"),
    ],
    ids=["900 KB", "201 characters", "201 emoji", "a number", "a list"],
)
def test_a_bad_name_is_400_before_stream_is_called(
    client: Client,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    postgres_database: str,
    name: Any,
    error: str,
) -> None:
    status, answer = client.call(
        "POST", CONVERSATIONS, company_to_user(AMR, name=name), bearer=tokens[OWNER]
    )
    assert (status, answer) == (400, {"success": False, "error": error})
    assert_nothing_written(postgres_database, fake_stream)


@pytest.mark.parametrize("name", ["x" * 200, "\U0001f642" * 200], ids=["200 ASCII", "200 emoji"])
def test_a_name_of_exactly_200_characters_is_stored_and_sent_to_stream(
    client: Client, tokens: dict[str, str], fake_stream: InProcessStream, name: str
) -> None:
    status, answer = client.call(
        "POST", CONVERSATIONS, company_to_user(AMR, name=name), bearer=tokens[OWNER]
    )
    assert status == 201, answer
    assert answer["data"]["name"] == name
    channel = fake_stream.state.channels[f"messaging:{answer['data']['id']}"]
    assert channel.custom["name"] == name


_JSON_ROUTES = {"create": CONVERSATIONS, "provider state": PROVIDER_STATE}


@pytest.mark.parametrize("route", list(_JSON_ROUTES))
@pytest.mark.parametrize(
    ("options", "media"),
    [
        ({"headers": {"Content-Type": "text/plain"}}, "text/plain"),
        ({"headers": {"Content-Type": "text/plain; charset=utf-8"}}, "text/plain"),
        ({"headers": {"Content-Type": "application/x-www-form-urlencoded"}},
         "application/x-www-form-urlencoded"),
        ({}, "none"),
    ],
    ids=["text/plain", "text/plain with charset", "form-urlencoded", "no Content-Type"],
)  # fmt: skip
def test_json_sent_under_another_content_type_is_415(
    api: ChatApi,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    postgres_database: str,
    route: str,
    options: dict[str, Any],
    media: str,
) -> None:
    body = company_to_user(AMR) if route == "create" else {"users": [{"id": BOB, "name": "B2"}]}
    headers = {**bearer(tokens[OWNER]), **options.get("headers", {})}
    before = table_counts(postgres_database)
    with serving(api) as base:
        answer = http(
            SENT,
            "POST",
            base + _JSON_ROUTES[route],
            data=json.dumps(body).encode(),
            headers=headers,
        )
    assert (answer.status_code, answer.json()) == (
        415,
        {"success": False, "error": f"Content-Type must be application/json, got {media}"},
    )
    assert table_counts(postgres_database) == before
    assert_nothing_written(postgres_database, fake_stream)


@pytest.mark.parametrize("route", list(_JSON_ROUTES))
def test_a_real_form_post_is_415(
    api: ChatApi,
    tokens: dict[str, str],
    fake_stream: InProcessStream,
    postgres_database: str,
    route: str,
) -> None:
    with serving(api) as base:
        answer = http(
            SENT,
            "POST",
            base + _JSON_ROUTES[route],
            data={"conversation_type": "user_company", "participant_ids": AMR, "company_id": SAT},
            headers=bearer(tokens[OWNER]),
        )
    assert (answer.status_code, answer.json()) == (
        415,
        {
            "success": False,
            "error": "Content-Type must be application/json, got application/x-www-form-urlencoded",
        },
    )
    assert_nothing_written(postgres_database, fake_stream)


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_a_charset_or_in_capitals_is_accepted(
    api: ChatApi, tokens: dict[str, str], content_type: str
) -> None:
    with serving(api) as base:
        answer = http(
            SENT,
            "POST",
            base + CONVERSATIONS,
            data=json.dumps(company_to_user(AMR)).encode(),
            headers={**bearer(tokens[OWNER]), "Content-Type": content_type},
        )
    assert answer.status_code == 201, answer.text


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """`total` bytes of JSON-ish filler, streamed (so `requests` sends it chunked)."""
    sent = 0
    while sent < total:
        chunk = b" " * min(size, total - sent)
        sent += len(chunk)
        yield chunk


TOO_LARGE = {"success": False, "error": f"the request body is larger than {MAX_BODY_BYTES} bytes"}


@pytest.mark.parametrize("route", list(_JSON_ROUTES))
@pytest.mark.parametrize(
    ("framing", "size"),
    [
        ("content-length", MAX_BODY_BYTES + 1),
        ("content-length", 8 * MAX_BODY_BYTES),
        ("chunked", MAX_BODY_BYTES + 1),
        ("chunked", 8 * MAX_BODY_BYTES),
    ],
    ids=["1 MiB + 1 with Content-Length", "8 MiB with Content-Length",
         "1 MiB + 1 chunked", "8 MiB chunked"],
)  # fmt: skip
def test_a_body_over_1_mib_is_413_and_the_server_keeps_serving(
    api: ChatApi,
    tokens: dict[str, str],
    postgres_database: str,
    route: str,
    framing: str,
    size: int,
) -> None:
    headers = {**bearer(tokens[OWNER]), "Content-Type": "application/json"}
    data: Any = b" " * size if framing == "content-length" else _chunks(size)
    with serving(api) as base:
        answer = http(SENT, "POST", base + _JSON_ROUTES[route], data=data, headers=headers)
        health = http(SENT, "GET", base + "/healthz")
        created = http(
            SENT, "POST", base + CONVERSATIONS, json=company_to_user(AMR), headers=headers
        )
    assert (answer.status_code, answer.json()) == (413, TOO_LARGE)
    if framing == "chunked":
        assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert health.status_code == 200
    assert created.status_code == 201, created.text
    assert count_rows(postgres_database, "conversations") == 1


def _answer_before_the_body_ends(base_url: str, path: str, framing: str) -> tuple[int, Any]:
    """POST a body that never ends (chunked) or whose announced 8 MiB never come; read the
    answer the server sends meanwhile. A server that waits for the whole body never answers:
    then the socket times out, and this says so."""
    host, port = base_url.removeprefix("http://").split(":")
    SENT.add()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        framing_header = (
            "Transfer-Encoding: chunked"
            if framing == "chunked"
            else f"Content-Length: {8 * MAX_BODY_BYTES}"
        )
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/json\r\n{framing_header}\r\n\r\n"
        )
        sock.sendall(head.encode())
        piece = b" " * (64 * 1024)
        if framing == "chunked":
            for _ in range(MAX_BODY_BYTES // len(piece) + 1):  # just past the limit, no end
                sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        else:
            sock.sendall(piece)  # 64 KiB of the 8 MiB announced
        answer = HTTPResponse(sock)
        try:
            answer.begin()
        except TimeoutError:
            return 0, "no answer: the server waited for the rest of the body"
        return answer.status, json.loads(answer.read())


@pytest.mark.parametrize("route", list(_JSON_ROUTES))
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_an_oversized_body_is_refused_before_it_ends(
    api: ChatApi, postgres_database: str, route: str, framing: str
) -> None:
    with serving(api) as base:
        status, answer = _answer_before_the_body_ends(base, _JSON_ROUTES[route], framing)
        health = http(SENT, "GET", base + "/healthz")
    assert (status, answer) == (413, TOO_LARGE)
    assert health.status_code == 200
    assert table_counts(postgres_database) == dict.fromkeys(table_counts(postgres_database), 0)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_of_exactly_1_mib_is_read(api: ChatApi, framing: str) -> None:
    body = b"{}" + b" " * (MAX_BODY_BYTES - 2)
    data: Any = body if framing == "content-length" else iter([body[:1000], body[1000:]])
    with serving(api) as base:
        answer = http(
            SENT,
            "POST",
            base + PROVIDER_STATE,
            data=data,
            headers={"Content-Type": "application/json"},
        )
    assert (answer.status_code, answer.json()) == (200, {"success": True, "data": {"tokens": {}}})


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("limit=abc", "limit must be a whole number, got 'abc'"),
        ("limit=2.5", "limit must be a whole number, got '2.5'"),
        ("limit=0", "limit must be between 1 and 30"),
        ("limit=31", "limit must be between 1 and 30"),
        ("limit=-1", "limit must be between 1 and 30"),
        ("limit=" + "9" * 40, "limit must be between 1 and 30"),
        ("offset=x", "offset must be a whole number, got 'x'"),
        ("offset=-1", "offset must be between 0 and 10000"),
        ("offset=10001", "offset must be between 0 and 10000"),
        ("profile_type=banana", "profile_type must be user or company"),
        ("profile_type=company", "company_id is required when profile_type=company"),
        ("profile_type=company&company_id=nope", "company_id must be a UUID, got 'nope'"),
        (f"profile_type=user&company_id={SAT}",
         "company_id is only allowed when profile_type=company"),
        ("profile_type=company&company_id=%00", "the query.company_id contains a NUL character"),
        ("limit=1%002", "the query.limit contains a NUL character"),
    ],
)  # fmt: skip
def test_bad_list_queries_are_400_without_asking_stream(
    client: Client, tokens: dict[str, str], fake_stream: InProcessStream, query: str, error: str
) -> None:
    create_one(client, tokens)
    fake_stream.journal.clear()
    status, answer = client.call("GET", CONVERSATIONS, query=query, bearer=tokens[OWNER])
    assert (status, answer) == (400, {"success": False, "error": error})
    assert fake_stream.journal.operations() == []


def test_a_company_the_person_does_not_run_is_403_on_the_list(
    client: Client, tokens: dict[str, str], fake_stream: InProcessStream
) -> None:
    create_one(client, tokens)
    fake_stream.journal.clear()
    status, answer = client.call(
        "GET", CONVERSATIONS, query=f"profile_type=company&company_id={SAT}", bearer=tokens[AMR]
    )
    assert (status, answer) == (
        403,
        {"success": False, "error": "User must be a member of this company"},
    )
    assert fake_stream.journal.operations() == []


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("profile_type=%00", "the query.profile_type contains a NUL character"),
        (f"profile_type=company&company_id={SAT}%00",
         "the query.company_id contains a NUL character"),
        ("profile_type=company&company_id=" + "a" * 10_000,
         "company_id must be a UUID, got '" + "a" * 10_000 + "'"),
    ],
    ids=["NUL in profile_type", "NUL in company_id", "10,000-character company_id"],
)  # fmt: skip
def test_bad_token_queries_are_400_without_an_upsert(
    client: Client, tokens: dict[str, str], fake_stream: InProcessStream, query: str, error: str
) -> None:
    status, answer = client.call("POST", "/api/chat/token", query=query, bearer=tokens[OWNER])
    assert (status, answer) == (400, {"success": False, "error": error})
    assert fake_stream.journal.operations() == []


# -- 3. concurrency ------------------------------------------------------------------------
def test_50_identical_concurrent_creates_are_one_conversation(
    postgres_database: str, live_stream: FakeStreamServer
) -> None:
    with serving_live(postgres_database, live_stream) as server, ThreadPoolExecutor(25) as pool:
        tokens = Client(server.api, SENT).seed([AMR], owners={SAT: OWNER})
        base = server.base_url
        answers = list(
            pool.map(
                lambda _: http(
                    SENT,
                    "POST",
                    base + CONVERSATIONS,
                    json=company_to_user(AMR),
                    headers=bearer(tokens[OWNER]),
                ),
                range(50),
            )
        )
    assert [a.status_code for a in answers] == [201] * 50, {a.text for a in answers}
    ids = {a.json()["data"]["id"] for a in answers}
    assert len(ids) == 1
    (channel_id,) = ids
    members = {company_stream_id(SAT), user_stream_id(AMR)}
    assert stored_conversations(postgres_database) == {channel_id: members}
    assert list(live_stream.state.channels) == [f"messaging:{channel_id}"]
    assert channel_members(live_stream.state, channel_id) == members


def test_200_distinct_concurrent_creates_are_200_conversations_with_their_own_members(
    postgres_database: str, live_stream: FakeStreamServer
) -> None:
    people = user_ids(200, block=2)
    with serving_live(postgres_database, live_stream) as server, ThreadPoolExecutor(32) as pool:
        tokens = Client(server.api, SENT).seed(people, owners={SAT: OWNER})
        base = server.base_url
        answers = list(
            pool.map(
                lambda person: http(
                    SENT,
                    "POST",
                    base + CONVERSATIONS,
                    json=company_to_user(person),
                    headers=bearer(tokens[OWNER]),
                ),
                people,
            )
        )
    assert [a.status_code for a in answers] == [201] * 200, {a.text for a in answers}
    channel_of = {p: a.json()["data"]["id"] for p, a in zip(people, answers, strict=True)}
    assert len(set(channel_of.values())) == 200
    expected = {channel_of[p]: {company_stream_id(SAT), user_stream_id(p)} for p in people}
    assert stored_conversations(postgres_database) == expected
    assert len(live_stream.state.channels) == 200
    wrong = {
        c: channel_members(live_stream.state, c)
        for c, members in expected.items()
        if channel_members(live_stream.state, c) != members
    }
    assert wrong == {}


# -- 4. isolation from a slow Stream ----------------------------------------------------------
STREAM_LATENCY_MS = 4000
QUICK_TIMEOUT_S = 1.0  # well below the latency: a read queued behind Stream would time out


def _poll(condition: Any, deadline_s: float = 20.0) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def _quick_get(url: str, **options: Any) -> requests.Response | None:
    """GET with a timeout well below the Stream latency; None if it timed out."""
    try:
        return http(SENT, "GET", url, timeout=QUICK_TIMEOUT_S, **options)
    except requests.Timeout:
        return None


def test_healthz_and_reads_answer_while_creates_are_held_by_a_slow_stream(
    postgres_database: str, live_stream: FakeStreamServer
) -> None:
    creates = STREAM_WORKERS + 8  # more than the Stream pool holds at once
    people = user_ids(creates, block=3)
    with (
        serving_live(postgres_database, live_stream) as server,
        ThreadPoolExecutor(creates) as pool,
    ):
        client = Client(server.api, SENT)
        tokens = client.seed([AMR, *people], owners={SAT: OWNER})
        existing = create_one(client, tokens)
        live_stream.journal.clear()
        base = server.base_url
        live_stream.faults.add("latency", operation="UpdateUsers", latency_ms=STREAM_LATENCY_MS)
        futures = [
            pool.submit(
                http,
                SENT,
                "POST",
                base + CONVERSATIONS,
                json=company_to_user(person),
                headers=bearer(tokens[OWNER]),
            )
            for person in people
        ]
        # Every Stream worker is now inside an upsert that Stream holds.
        held = _poll(lambda: live_stream.journal.count("UpdateUsers") >= STREAM_WORKERS)
        health = _quick_get(base + "/healthz")
        read = _quick_get(f"{base}{CONVERSATIONS}/{existing}", headers=bearer(tokens[OWNER]))
        creates_done = [f for f in futures if f.done()]
        channels_asked_for = live_stream.journal.count("GetOrCreateChannel")
        live_stream.faults.clear()
        results = [f.result() for f in futures]
    assert held, "the creates never reached Stream"
    assert health is not None, "/healthz waited behind the creates held by Stream"
    assert read is not None, "the read waited behind the creates held by Stream"
    assert health.status_code == 200
    assert health.json() == {"success": True, "data": {"status": "ok"}}
    assert read.status_code == 200, read.text
    assert read.json()["data"]["id"] == existing
    # ... while every create was still waiting on its upsert:
    assert creates_done == []
    assert channels_asked_for == 0
    assert [r.status_code for r in results] == [201] * creates
    assert count_rows(postgres_database, "conversations") == creates + 1
