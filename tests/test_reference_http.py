"""The reference backend's HTTP API: input validation, auth, provider states, and
`chatgate serve` as a user starts it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from chatgate.fakes.stream.inprocess import InProcessStream
from chatgate.fixtures.people import REAL_COMPANIES, REAL_USERS
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer
from chatgate.processes import read_until
from chatgate.reference.http.api import ChatApi
from chatgate.reference.http.auth import DEV_AUTH_SECRET, BackendAuth
from chatgate.reference.http.server import build_api, serving_reference
from chatgate.reference.sync.retry import RetryPolicy
from chatgate.reference.sync.schema import apply_schema

OWNER = "06851aee-0000-4000-8000-000000000001"
AMR = REAL_USERS["Amr"]
SAT = REAL_COMPANIES["Sat Education"]
OTHER_SECRET = "a-secret-that-is-not-the-backends-own"


@pytest.fixture(scope="session")
def postgres_schema():
    return apply_schema


def _api(db: str, stream: InProcessStream, *, test_mode: bool) -> ChatApi:
    return build_api(
        db,
        stream.client,
        auth_secret=DEV_AUTH_SECRET,
        test_mode=test_mode,
        retry=RetryPolicy(sleep=lambda _: None),
    )


@pytest.fixture
def api(postgres_database: str, fake_stream: InProcessStream) -> ChatApi:
    return _api(postgres_database, fake_stream, test_mode=True)


def call(
    api: ChatApi, method: str, path: str, body: Any = None, *, query: str = "", bearer: str = ""
) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    raw = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
    if raw:
        headers["Content-Type"] = "application/json"
    answer = api.dispatch(method, path, query, headers, raw)
    assert answer.headers["content-type"] == "application/json"
    return answer.status, answer.json()


def seed(api: ChatApi) -> dict[str, str]:
    status, body = call(
        api,
        "POST",
        "/api/test/provider-state",
        {
            "users": [{"id": OWNER, "name": "Owner"}, {"id": AMR, "name": "Amr"}],
            "companies": [{"id": SAT, "name": "Sat Education"}],
            "memberships": [{"company_id": SAT, "user_id": OWNER, "role": "owner"}],
        },
    )
    assert status == 200, body
    return body["data"]["tokens"]


def count(db: str, table: str) -> int:
    with psycopg.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", "the request body is not valid JSON: Expecting property name enclosed in "
         "double quotes: line 1 column 2 (char 1)"),
        ([1, 2], "the request body must be a JSON object"),
        ({"conversation_type": "user_user", "participant_ids": [AMR], "x": 1},
         "unknown field(s): x"),
        ({"participant_ids": [AMR]}, "conversation_type is required and must be a string"),
        ({"conversation_type": "user_user", "participant_ids": AMR},
         "participant_ids must be a list of id strings"),
        ({"conversation_type": "user_user", "participant_ids": ["not-a-uuid"]},
         "participant id must be a UUID, got 'not-a-uuid'"),
        ({"conversation_type": "group", "participant_ids": [AMR]},
         "conversation_type must be one of user_user, user_company, company_company"),
        ({"conversation_type": "user_user", "participant_ids": [OWNER]},
         "a conversation needs at least one participant besides you"),
    ],
)  # fmt: skip
def test_bad_create_requests_get_a_precise_400_and_nothing_is_written(
    api: ChatApi, postgres_database: str, fake_stream: InProcessStream, body: Any, error: str
) -> None:
    tokens = seed(api)
    status, answer = call(api, "POST", "/api/chat/conversations", body, bearer=tokens[OWNER])
    assert (status, answer) == (400, {"success": False, "error": error})
    assert count(postgres_database, "conversations") == 0
    assert fake_stream.journal.count("GetOrCreateChannel") == 0


def test_create_answers_201_with_the_documented_shape(api: ChatApi) -> None:
    tokens = seed(api)
    status, answer = call(
        api,
        "POST",
        "/api/chat/conversations",
        {"conversation_type": "user_company", "participant_ids": [AMR], "company_id": SAT,
         "name": "Welcome"},
        bearer=tokens[OWNER],
    )  # fmt: skip
    assert status == 201
    data = answer["data"]
    assert answer["success"] is True
    assert {"id", "conversation_type", "participant_ids", "name", "created_at"} <= set(data)
    assert (data["participant_ids"], data["name"]) == ([AMR], "Welcome")
    assert data["created_by"] == {"type": "company", "id": SAT}


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/api/chat/token", 405, "GET is not allowed on /api/chat/token; use POST"),
        ("DELETE", "/api/chat/conversations", 405,
         "DELETE is not allowed on /api/chat/conversations; use GET or POST"),
        ("GET", "/api/chat/nothing", 404, "no route GET /api/chat/nothing"),
    ],
)  # fmt: skip
def test_unknown_routes_and_methods_are_refused_in_json(
    api: ChatApi, method: str, path: str, status: int, error: str
) -> None:
    assert call(api, method, path) == (status, {"success": False, "error": error})


@pytest.mark.parametrize(
    ("header", "error"),
    [
        ("", "Authorization: Bearer <token> is required"),
        ("Basic abc", "Authorization: Bearer <token> is required"),
        ("Bearer " + BackendAuth(OTHER_SECRET).issue(OWNER),
         "the bearer token is invalid: Signature verification failed"),
        ("Bearer " + BackendAuth(DEV_AUTH_SECRET, now=lambda: 0).issue(OWNER),
         "the bearer token has expired"),
    ],
)  # fmt: skip
def test_requests_without_a_valid_bearer_token_are_401(
    api: ChatApi, header: str, error: str
) -> None:
    headers = {"Authorization": header} if header else {}
    answer = api.dispatch("POST", "/api/chat/token", "", headers, b"")
    assert (answer.status, answer.json()) == (401, {"success": False, "error": error})


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("profile_type=banana", "profile_type must be user or company"),
        (f"profile_type=user&company_id={SAT}",
         "company_id is only allowed when profile_type=company"),
        ("profile_type=company&company_id=nope", "company_id must be a UUID, got 'nope'"),
    ],
)  # fmt: skip
def test_bad_token_queries_are_400(api: ChatApi, query: str, error: str) -> None:
    tokens = seed(api)
    status, answer = call(api, "POST", "/api/chat/token", query=query, bearer=tokens[OWNER])
    assert (status, answer["error"]) == (400, error)


def test_the_provider_state_endpoint_exists_only_in_test_mode(
    postgres_database: str, fake_stream: InProcessStream
) -> None:
    api = _api(postgres_database, fake_stream, test_mode=False)
    status, answer = call(api, "POST", "/api/test/provider-state", {"reset": True})
    assert (status, answer["success"]) == (404, False)


@pytest.mark.parametrize(
    ("state", "error"),
    [
        ({"users": [{"id": AMR, "name": "Amr"}], "admins": []},
         "unknown provider-state key(s): admins"),
        ({"users": [{"id": AMR}]}, "users[0].name is required"),
        ({"users": [{"id": "x", "name": "Amr"}]}, "users[0].id must be a UUID string, got 'x'"),
        ({"users": [{"id": AMR, "name": "Amr"}],
          "memberships": [{"company_id": SAT, "user_id": AMR, "role": "boss"}]},
         "memberships[0].role must be one of owner, admin, member"),
        ({"users": [{"id": AMR, "name": "Amr"}],
          "memberships": [{"company_id": SAT, "user_id": AMR, "role": "owner"}]},
         f"membership of user {AMR} in company {SAT} names an unknown user or company"),
        ({"reset": "yes"}, "reset must be true or false"),
    ],
)  # fmt: skip
def test_a_bad_provider_state_is_refused_whole(
    api: ChatApi, postgres_database: str, state: dict[str, Any], error: str
) -> None:
    status, answer = call(api, "POST", "/api/test/provider-state", state)
    assert (status, answer) == (400, {"success": False, "error": error})
    assert count(postgres_database, "users") == 0


def test_provider_state_tokens_sign_in_as_the_seeded_users(api: ChatApi) -> None:
    tokens = seed(api)
    for user_id, bearer in tokens.items():
        assert BackendAuth(DEV_AUTH_SECRET).user_id(f"Bearer {bearer}") == user_id


# -- chatgate serve ------------------------------------------------------------------------
@pytest.fixture
def served(
    postgres_server: PostgresServer, request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    extra = getattr(request, "param", [])
    proc = subprocess.Popen(
        [sys.executable, "-m", "chatgate.cli", "serve", "--port", "0", "--test-mode", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, DATABASE_URL_ENV: postgres_server.url},
    )
    try:
        banner = read_until(proc, "backend listening on")
        proc.banner = banner  # type: ignore[attr-defined]
        yield proc, banner.split("backend listening on ")[1].split()[0]
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)


def test_chatgate_serve_answers_the_api_and_stops_cleanly_on_sigterm(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    proc, base_url = served
    assert requests.get(f"{base_url}/healthz", timeout=10).json() == {
        "success": True,
        "data": {"status": "ok"},
    }
    seeded = requests.post(
        f"{base_url}/api/test/provider-state",
        json={"users": [{"id": AMR, "name": "Amr"}]},
        timeout=10,
    ).json()
    token = requests.post(
        f"{base_url}/api/chat/token",
        headers={"Authorization": f"Bearer {seeded['data']['tokens'][AMR]}"},
        timeout=10,
    ).json()
    assert token["data"]["user_id"] == f"onecrew_user_{AMR}"
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "chatgate reference backend stopped" in out


@pytest.mark.parametrize("served", [["--role-policy", "app-admin"]], indirect=True)
def test_chatgate_serve_with_the_app_admin_policy_makes_companies_stream_admins(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    proc, base_url = served
    stream_url = proc.banner.split("fake Stream Chat listening on ")[1].split()[0]  # type: ignore[attr-defined]
    seeded = requests.post(
        f"{base_url}/api/test/provider-state",
        json={
            "users": [{"id": OWNER, "name": "Owner"}],
            "companies": [{"id": SAT, "name": "Sat Education"}],
            "memberships": [{"company_id": SAT, "user_id": OWNER, "role": "owner"}],
        },
        timeout=10,
    ).json()
    token = requests.post(
        f"{base_url}/api/chat/token",
        params={"profile_type": "company", "company_id": SAT},
        headers={"Authorization": f"Bearer {seeded['data']['tokens'][OWNER]}"},
        timeout=10,
    )
    assert token.status_code == 200, token.text
    users = requests.get(f"{stream_url}/_fake/state", timeout=10).json()["users"]
    roles = {u["id"]: u["role"] for u in users}
    assert roles[f"onecrew_company_{SAT}"] == "admin"


@pytest.mark.parametrize(
    "served",
    [["--stream-user-id-format", "acme-{kind}-{id}", "--channel-type", "team"]],
    indirect=True,
)
def test_chatgate_serve_names_stream_users_and_channels_as_told(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    proc, base_url = served
    stream_url = proc.banner.split("fake Stream Chat listening on ")[1].split()[0]  # type: ignore[attr-defined]
    seeded = requests.post(
        f"{base_url}/api/test/provider-state",
        json={
            "users": [{"id": OWNER, "name": "Owner"}, {"id": AMR, "name": "Amr"}],
            "companies": [{"id": SAT, "name": "Sat Education"}],
            "memberships": [{"company_id": SAT, "user_id": OWNER, "role": "owner"}],
        },
        timeout=10,
    ).json()
    created = requests.post(
        f"{base_url}/api/chat/conversations",
        json={"conversation_type": "user_company", "participant_ids": [AMR], "company_id": SAT},
        headers={"Authorization": f"Bearer {seeded['data']['tokens'][OWNER]}"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    state = requests.get(f"{stream_url}/_fake/state", timeout=10).json()
    assert {u["id"] for u in state["users"]} == {f"acme-company-{SAT}", f"acme-user-{AMR}"}
    assert [c["cid"] for c in state["channels"]] == [f"team:{created.json()['data']['id']}"]
    assert "Stream naming: user ids 'acme-{kind}-{id}', channel type 'team'" in proc.banner  # type: ignore[attr-defined]


def _other_connections(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_served_reference_keeps_its_connections_and_closes_them_all_when_stopped(
    postgres_database: str, fake_stream: InProcessStream
) -> None:
    with serving_reference(
        postgres_database, fake_stream.client, auth_secret=DEV_AUTH_SECRET, test_mode=True
    ) as server:
        for _ in range(3):
            seeded = requests.post(
                f"{server.base_url}/api/test/provider-state",
                json={"users": [{"id": AMR, "name": "Amr"}]},
                timeout=10,
            )
            assert seeded.status_code == 200, seeded.text
        kept = _other_connections(postgres_database)
    assert kept >= 1  # pooled: still open between requests
    assert _other_connections(postgres_database) == 0
