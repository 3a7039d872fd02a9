"""The fault matrix of issue 8's hostile probe, as our own tests: every Stream call a
create makes (CreateRole, UpdateUsers, GetOrCreateChannel, and UpdateChannel on the
add-missing-members path) fails as Stream fails (5xx, 429, a dropped connection, an
answer slower than the SDK's timeout), once or for good.

A create must then either complete (201, the row stored, Stream's channel holding
exactly the conversation's members) or be refused cleanly (a 5xx JSON error about
Stream, no row), never "internal error"; with the faults gone the same create
completes. After every case no stored conversation lacks its channel or a member.

The fake Stream runs over real HTTP, so drops and timeouts are real; rate-limit waits
are recorded, not slept. Run with `-s` to see the counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import pytest
from stream_chat import StreamChat

from chatgate.fakes.stream.clock import Clock
from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.reference.http.api import ChatApi
from chatgate.reference.http.auth import DEV_AUTH_SECRET
from chatgate.reference.http.server import build_api
from chatgate.reference.sync.identities import Identity, Kind, channel_id
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
    report,
    store_and_stream_problems,
    stored_conversations,
    user_stream_id,
)

SENT = Tally()
CASES = Tally()
STREAM_CALLS = Tally()
CHANNEL_SECRET = "hostile-faults-channel-secret"
SDK_TIMEOUT_S = 0.5
SLOWER_THAN_THE_SDK_MS = 1000
CONVERSATIONS = "/api/chat/conversations"
MEMBERS = {company_stream_id(SAT), user_stream_id(AMR)}
CHANNEL = channel_id(
    "user_company", Identity(Kind.COMPANY, SAT), [Identity(Kind.USER, AMR)], CHANNEL_SECRET
)


@pytest.fixture(scope="module", autouse=True)
def _report_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report(
        request,
        f"hostile faults: {CASES.value} cases, {SENT.value} requests "
        f"(the backend made {STREAM_CALLS.value} Stream calls)",
    )


@pytest.fixture(scope="session")
def postgres_schema():
    return apply_schema


@pytest.fixture(scope="module")
def stream_server() -> Iterator[FakeStreamServer]:
    """A standalone fake Stream of this module's own: its clock is frozen and moved here."""
    with FakeStreamServer(port=0) as server:
        yield server


def _back_to_real_time(clock: Clock) -> None:
    clock.freeze(datetime.now(timezone.utc))
    clock.unfreeze()


@pytest.fixture
def fake(stream_server: FakeStreamServer) -> Iterator[FakeStreamServer]:
    stream_server.reset(configuration=True)  # custom roles too: a fresh Stream app
    _back_to_real_time(stream_server.clock)
    yield stream_server
    STREAM_CALLS.add(stream_server.journal.count())
    stream_server.faults.clear()
    _back_to_real_time(stream_server.clock)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def api(postgres_database: str, fake: FakeStreamServer, waits: list[float]) -> Iterator[ChatApi]:
    """A fresh backend (so its first Stream call creates the role `company`), whose
    Stream client gives up on an answer after half a second."""
    stream = StreamChat(
        fake.api_key, fake.api_secret, base_url=fake.base_url, timeout=SDK_TIMEOUT_S
    )
    api = build_api(
        postgres_database,
        stream,
        auth_secret=DEV_AUTH_SECRET,
        test_mode=True,
        retry=RetryPolicy(sleep=waits.append),
        channel_secret=CHANNEL_SECRET,
    )
    yield api
    api.stop()


def freeze_before_window_reset(clock: Clock, seconds: int) -> None:
    """Stop the fake's clock `seconds` before a one-minute rate-limit window ends."""
    end = (int(clock.now().timestamp()) // 60 + 2) * 60
    clock.freeze(datetime.fromtimestamp(end - seconds, timezone.utc))


def precreate_channel_without_the_user(fake: FakeStreamServer) -> None:
    """The conversation's channel, made on Stream by its rightful creator (the company)
    with the company alone, so the create must add the user (UpdateChannel)."""
    sdk = fake.client()
    company = company_stream_id(SAT)
    sdk.upsert_user({"id": company, "name": "Sat Education"})
    sdk.channel("messaging", CHANNEL, {"members": [company], "created_by_id": company}).query(
        watch=False, state=True, presence=False
    )
    assert channel_members(fake.state, CHANNEL) == {company}
    fake.journal.clear()


@dataclass(frozen=True)
class Fault:
    rule: dict[str, Any]
    refusal: str  # how the error of a create that gave up starts
    reset_in_s: int | None = None  # rate limits: the fake's clock this far before the reset


FAULTS = {
    "5xx": Fault(
        {"kind": "error", "code": -1, "status": 500, "message": "injected outage"},
        "Stream Chat refused the request: ",
    ),
    "429": Fault({"kind": "rate_limit"}, "Stream Chat refused the request: ", reset_in_s=2),
    "drop": Fault({"kind": "drop"}, "Stream Chat is unreachable: "),
    "timeout": Fault(
        {"kind": "latency", "latency_ms": SLOWER_THAN_THE_SDK_MS}, "Stream Chat is unreachable: "
    ),
}
OPERATIONS = ["CreateRole", "UpdateUsers", "GetOrCreateChannel", "UpdateChannel"]


def run_case(
    client: Client, fake: FakeStreamServer, operation: str, rule: dict[str, Any]
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Seed, arrange `operation`'s path, inject the fault, create once: (status, answer, tokens)."""
    CASES.add()
    tokens = client.seed([AMR], owners={SAT: OWNER}, names={SAT: "Sat Education"})
    if operation == "UpdateChannel":
        precreate_channel_without_the_user(fake)
    added = fake.faults.add(operation=operation, **rule)
    status, answer = client.call("POST", CONVERSATIONS, company_to_user(AMR), bearer=tokens[OWNER])
    assert added.fired >= 1, f"the create never called {operation}"
    return status, answer, tokens


def assert_complete(status: int, answer: dict[str, Any], db: str, fake: FakeStreamServer) -> None:
    assert status == 201, answer
    assert answer["data"]["id"] == CHANNEL
    assert stored_conversations(db) == {CHANNEL: MEMBERS}
    assert channel_members(fake.state, CHANNEL) == MEMBERS
    assert fake.state.users[company_stream_id(SAT)].role == "company"
    assert fake.state.users[user_stream_id(AMR)].role == "user"


def assert_consistent(db: str, fake: FakeStreamServer) -> None:
    assert store_and_stream_problems(db, fake.state) == []


def then_the_same_create_completes(
    client: Client, fake: FakeStreamServer, db: str, tokens: dict[str, str]
) -> None:
    fake.faults.clear()
    _back_to_real_time(fake.clock)
    status, answer = client.call("POST", CONVERSATIONS, company_to_user(AMR), bearer=tokens[OWNER])
    assert_complete(status, answer, db, fake)
    assert_consistent(db, fake)


def _client_for(spec: Fault, api: ChatApi, fake: FakeStreamServer) -> Client:
    """A counting client, with the fake's clock frozen near a window reset for rate limits."""
    if spec.reset_in_s is not None:
        freeze_before_window_reset(fake.clock, spec.reset_in_s)
    return Client(api, SENT)


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_transient_stream_failure_is_retried_and_the_create_completes(
    api: ChatApi,
    fake: FakeStreamServer,
    postgres_database: str,
    waits: list[float],
    operation: str,
    fault: str,
) -> None:
    spec = FAULTS[fault]
    client = _client_for(spec, api, fake)
    status, answer, tokens = run_case(client, fake, operation, {**spec.rule, "times": 1})
    assert_complete(status, answer, postgres_database, fake)
    assert_consistent(postgres_database, fake)
    assert len(waits) >= 1  # the retry waited (recorded, not slept)
    if spec.reset_in_s is not None:
        assert any(spec.reset_in_s <= w < spec.reset_in_s + 0.1 for w in waits), waits
    then_the_same_create_completes(client, fake, postgres_database, tokens)


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_persistent_stream_failure_is_refused_cleanly_and_stores_nothing(
    api: ChatApi,
    fake: FakeStreamServer,
    postgres_database: str,
    waits: list[float],
    operation: str,
    fault: str,
) -> None:
    spec = FAULTS[fault]
    client = _client_for(spec, api, fake)
    status, answer, tokens = run_case(client, fake, operation, spec.rule)
    assert (status, answer["success"]) == (502, False), answer
    assert answer["error"].startswith(spec.refusal), answer["error"]
    assert count_rows(postgres_database, "conversations") == 0
    assert_consistent(postgres_database, fake)
    assert len(waits) == 2  # three attempts, bounded
    if spec.reset_in_s is not None:
        assert all(spec.reset_in_s <= w < spec.reset_in_s + 0.1 for w in waits), waits
    then_the_same_create_completes(client, fake, postgres_database, tokens)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_rate_limit_that_resets_too_late_is_503_at_once_and_stores_nothing(
    api: ChatApi,
    fake: FakeStreamServer,
    postgres_database: str,
    waits: list[float],
    operation: str,
) -> None:
    freeze_before_window_reset(fake.clock, 40)
    client = Client(api, SENT)
    status, answer, tokens = run_case(client, fake, operation, {"kind": "rate_limit", "times": 1})
    assert (status, answer) == (
        503,
        {"success": False, "error": "Stream Chat rate limit reached; try again in 40 s"},
    )
    assert waits == []
    assert count_rows(postgres_database, "conversations") == 0
    assert_consistent(postgres_database, fake)
    then_the_same_create_completes(client, fake, postgres_database, tokens)
