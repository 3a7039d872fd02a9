"""Shared by the hostile-input and hostile-fault tests of the reference backend: people,
counted requests (in-process and over HTTP), and the store-versus-Stream invariants."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterable
from typing import Any

import psycopg
import pytest
import requests

from chatgate.fakes.stream.models import AppState
from chatgate.fixtures.people import REAL_COMPANIES, REAL_USERS
from chatgate.reference.http.api import ChatApi

OWNER = "06851aee-0000-4000-8000-000000000001"
AMR = REAL_USERS["Amr"]
SAT = REAL_COMPANIES["Sat Education"]
CHANNEL_TYPE = "messaging"
HTTP_TIMEOUT_S = 30.0


def user_ids(count: int, block: int = 1) -> list[str]:
    """`count` distinct, repeatable user ids (a different `block` gives other ids)."""
    return [str(uuid.UUID(f"6e57{block:04x}-0000-4000-8000-{i:012x}")) for i in range(count)]


def user_stream_id(user_id: str) -> str:
    return f"onecrew_user_{user_id}"


def company_stream_id(company_id: str) -> str:
    return f"onecrew_company_{company_id}"


class Tally:
    """How many requests a module sent to the backend (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def add(self, n: int = 1) -> None:
        with self._lock:
            self.value += n


class Client:
    """The backend, called in-process through `ChatApi.dispatch`; every call is counted."""

    def __init__(self, api: ChatApi, tally: Tally) -> None:
        self.api = api
        self.tally = tally

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        query: str = "",
        bearer: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any]]:
        """`(status, decoded JSON)`; `raw` is sent as is, else `body` as JSON."""
        sent = dict(headers or {})
        if bearer is not None:
            sent.setdefault("Authorization", f"Bearer {bearer}")
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        if data:
            sent.setdefault("Content-Type", "application/json")
        self.tally.add()
        answer = self.api.dispatch(method, path, query, sent, data)
        assert answer.headers["content-type"] == "application/json", answer.headers
        return answer.status, answer.json()

    def seed(
        self,
        users: Iterable[str] = (),
        *,
        owners: dict[str, str] | None = None,
        names: dict[str, str] | None = None,
    ) -> dict[str, str]:
        """Seed users and companies (`owners`: {company id: owner user id}); their tokens."""
        owners = owners or {}
        names = names or {}
        everyone = list(dict.fromkeys([*users, *owners.values()]))
        status, answer = self.call(
            "POST",
            "/api/test/provider-state",
            {
                "users": [{"id": u, "name": names.get(u, f"User {u[-4:]}")} for u in everyone],
                "companies": [{"id": c, "name": names.get(c, f"Company {c[-4:]}")} for c in owners],
                "memberships": [
                    {"company_id": c, "user_id": u, "role": "owner"} for c, u in owners.items()
                ],
            },
        )
        assert status == 200, answer
        return answer["data"]["tokens"]


def http(tally: Tally, method: str, url: str, **options: Any) -> requests.Response:
    """One counted request over real HTTP (always with a timeout)."""
    options.setdefault("timeout", HTTP_TIMEOUT_S)
    tally.add()
    return requests.request(method, url, **options)


def company_to_user(user_id: str, company_id: str = SAT, **extra: Any) -> dict[str, Any]:
    """The incident's request: a company opens a chat with a user."""
    return {
        "conversation_type": "user_company",
        "participant_ids": [user_id],
        "company_id": company_id,
        **extra,
    }


def count_rows(db: str, table: str) -> int:
    with psycopg.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def table_counts(db: str) -> dict[str, int]:
    """Rows in every table of the reference's schema."""
    tables = ("users", "companies", "company_members", "conversations")
    return {t: count_rows(db, t) for t in (*tables, "conversation_participants")}


def stored_conversations(db: str) -> dict[str, set[str]]:
    """{channel id: the Stream ids of its stored participants} for every stored conversation."""
    with psycopg.connect(db) as conn:
        rows = conn.execute(
            "SELECT c.stream_channel_id, p.participant_kind, p.participant_id::text"
            " FROM conversations c"
            " LEFT JOIN conversation_participants p ON p.conversation_id = c.id"
        ).fetchall()
    found: dict[str, set[str]] = {}
    for channel_id, kind, participant in rows:
        members = found.setdefault(channel_id, set())
        if participant is not None:
            members.add(f"onecrew_{kind}_{participant}")
    return found


def channel_members(state: AppState, channel_id: str) -> set[str] | None:
    """The members of a live Stream channel, or None when Stream has no such channel."""
    with state.lock:
        channel = state.live_channel(f"{CHANNEL_TYPE}:{channel_id}")
        return None if channel is None else set(channel.members)


def store_and_stream_problems(db: str, state: AppState) -> list[str]:
    """What is wrong between the store and Stream: a stored conversation without its
    channel (orphan row), or whose channel does not hold exactly its participants."""
    problems = []
    for channel_id, participants in sorted(stored_conversations(db).items()):
        members = channel_members(state, channel_id)
        if members is None:
            problems.append(f"conversation {channel_id} is stored but Stream has no channel")
        elif members != participants:
            problems.append(
                f"conversation {channel_id}: stored participants {sorted(participants)}, "
                f"Stream members {sorted(members)}"
            )
    return problems


def report(request: pytest.FixtureRequest, line: str) -> None:
    """Print `line` in pytest's own output, uncaptured, whatever `-q`/`-s` say."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\n{line}", flush=True)
