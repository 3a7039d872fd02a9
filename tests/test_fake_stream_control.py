"""The fake Stream's control plane: fault rules, propagation lag, clock, seed,
journal, reset and state, over `/_fake/*` HTTP and through the Python API.

Stream calls go through the official `stream_chat` SDK; the control plane is
driven with plain `requests` against the standalone server, or in-process on
`fake_stream.fake` / `fake_stream.state`. Nothing here sleeps or measures time:
the fake's clock is moved instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import jwt
import pytest
import requests
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream import FakeStream, observe
from chatgate.fakes.stream.clock import Clock
from chatgate.fakes.stream.inprocess import InProcessStream
from chatgate.fakes.stream.server import FakeStreamServer
from tests.conftest import error_body, missing_users_error, stream_error

COMPANY = "company-sat"
RECIPIENT = "user-amr"
OTHER = "user-bob"
TIMEOUT = 10


# -- helpers ---------------------------------------------------------------------


@pytest.fixture
def server(fake_stream_server: FakeStreamServer) -> Iterator[FakeStreamServer]:
    """The shared standalone fake, with its clock and seed put back afterwards.

    `reset` does not touch the clock or the seed, and the server is shared by
    the whole session, so a test that moves time must not leave it moved.
    """
    yield fake_stream_server
    clock = fake_stream_server.fake.clock
    clock.freeze(datetime.now(timezone.utc))
    clock.unfreeze()
    fake_stream_server.fake.seed(None)
    fake_stream_server.fake.reset()


def control(
    server: FakeStreamServer,
    method: str,
    path: str,
    body: Any = None,
    **params: str,
) -> requests.Response:
    """One call to the control plane under `/_fake/`."""
    return requests.request(
        method,
        f"{server.base_url}/_fake/{path}",
        params=params or None,
        data=None if body is None else json.dumps(body),
        timeout=TIMEOUT,
    )


def control_ok(
    server: FakeStreamServer, method: str, path: str, body: Any = None, **params: str
) -> Any:
    response = control(server, method, path, body, **params)
    assert response.status_code in (200, 201), response.text
    assert response.headers["content-type"] == "application/json"
    return response.json()


def add_fault(server: FakeStreamServer, **rule: Any) -> dict[str, Any]:
    response = control(server, "POST", "faults", rule)
    assert response.status_code == 201, response.text
    return response.json()["fault"]


def upsert(client: StreamChat, *user_ids: str) -> None:
    client.upsert_users([{"id": user_id, "name": user_id} for user_id in user_ids])


def create_channel(client: StreamChat, channel_id: str, *members: str) -> dict[str, Any]:
    channel = client.channel("messaging", channel_id, {"members": list(members)})
    return channel.create(members[0])


def journal(server: FakeStreamServer, **params: str) -> dict[str, Any]:
    return control_ok(server, "GET", "journal", **params)


class _Recorder(requests.Session):
    """The SDK's HTTP session, keeping the last raw response (an exception has no headers)."""

    def __init__(self) -> None:
        super().__init__()
        self.last: requests.Response | None = None

    def request(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
        self.last = super().request(method, url, **kwargs)
        return self.last


# -- fault rules -------------------------------------------------------------------


def test_fault_on_an_operation_answers_with_the_configured_stream_error(
    server: FakeStreamServer,
) -> None:
    client = server.client()
    add_fault(server, operation="UpdateUsers", code=4, status=400, message="users are frozen")
    with pytest.raises(StreamAPIException) as caught:
        upsert(client, RECIPIENT)
    assert caught.value.status_code == 400
    assert error_body(caught.value) == stream_error("UpdateUsers", 4, 400, "users are frozen")
    assert server.state.users == {}
    assert client.get_app_settings().status_code() == 200  # other operations are untouched


def test_fault_without_code_is_an_internal_error_500(server: FakeStreamServer) -> None:
    client = server.client()
    add_fault(server, operation="GetApp")
    with pytest.raises(StreamAPIException) as caught:
        client.get_app_settings()
    assert caught.value.status_code == 500
    assert error_body(caught.value) == stream_error("GetApp", -1, 500, "injected fault")


def test_fault_status_defaults_to_the_status_of_its_stream_code(server: FakeStreamServer) -> None:
    client = server.client()
    add_fault(server, operation="QueryChannels", code=17, message="no")
    with pytest.raises(StreamAPIException) as caught:
        client.query_channels({})
    assert error_body(caught.value) == stream_error("QueryChannels", 17, 403, "no")


def test_fault_with_times_fires_exactly_that_often_then_requests_succeed(
    server: FakeStreamServer,
) -> None:
    client = server.client()
    rule = add_fault(server, operation="GetApp", code=4, message="flaky", times=2)
    for _ in range(2):
        with pytest.raises(StreamAPIException):
            client.get_app_settings()
    for _ in range(3):
        assert client.get_app_settings().status_code() == 200
    listed = control_ok(server, "GET", "faults")["faults"]
    assert [(r["id"], r["fired"], r["times"]) for r in listed] == [(rule["id"], 2, 2)]
    statuses = [r["status"] for r in journal(server, operation="GetApp")["requests"]]
    assert statuses == [400, 400, 200, 200, 200]


def _failure_pattern(server: FakeStreamServer, seed: int) -> list[bool]:
    control_ok(server, "POST", "reset")
    control_ok(server, "POST", "seed", {"seed": seed})
    add_fault(server, operation="GetApp", code=4, message="sometimes", probability=0.5)
    client = server.client()
    pattern = []
    for _ in range(24):
        try:
            client.get_app_settings()
        except StreamAPIException:
            pattern.append(True)
        else:
            pattern.append(False)
    return pattern


def test_probabilistic_fault_repeats_the_same_pattern_for_the_same_seed(
    server: FakeStreamServer,
) -> None:
    first = _failure_pattern(server, seed=7)
    assert first == _failure_pattern(server, seed=7)
    assert 0 < sum(first) < len(first)
    assert first != _failure_pattern(server, seed=8)


def test_fault_with_a_path_regex_fails_only_matching_paths(server: FakeStreamServer) -> None:
    client = server.client()
    upsert(client, COMPANY, RECIPIENT)
    add_fault(server, path=r"^/channels/messaging/blocked-", code=17, message="blocked")
    with pytest.raises(StreamAPIException) as caught:
        create_channel(client, "blocked-1", COMPANY, RECIPIENT)
    assert error_body(caught.value) == stream_error("GetOrCreateChannel", 17, 403, "blocked")
    assert create_channel(client, "open-1", COMPANY, RECIPIENT)["channel"]["cid"] == (
        "messaging:open-1"
    )
    assert set(server.state.channels) == {"messaging:open-1"}


def test_fault_with_a_method_fails_only_that_method_on_the_path(server: FakeStreamServer) -> None:
    client = server.client()
    add_fault(server, path="^/users$", method="POST", code=4, message="no writes")
    with pytest.raises(StreamAPIException) as caught:
        upsert(client, RECIPIENT)
    assert error_body(caught.value) == stream_error("UpdateUsers", 4, 400, "no writes")
    assert client.query_users({"id": RECIPIENT})["users"] == []  # GET /users still works


def test_faults_are_listed_and_removed_over_http(server: FakeStreamServer) -> None:
    client = server.client()
    first = add_fault(server, operation="GetApp", code=4, message="one")
    second = add_fault(server, kind="rate_limit", operation="QueryUsers", times=3)
    listed = control_ok(server, "GET", "faults")["faults"]
    assert listed == [first, second]
    assert second == {
        "id": second["id"],
        "kind": "rate_limit",
        "operation": "QueryUsers",
        "path": None,
        "method": None,
        "code": second["code"],
        "status": 429,
        "message": None,
        "latency_ms": 0.0,
        "times": 3,
        "probability": 1.0,
        "fired": 0,
    }
    assert control_ok(server, "DELETE", f"faults/{first['id']}") == {}
    assert [r["id"] for r in control_ok(server, "GET", "faults")["faults"]] == [second["id"]]
    assert client.get_app_settings().status_code() == 200
    with pytest.raises(StreamAPIException):
        client.query_users({})
    assert control_ok(server, "DELETE", "faults") == {}
    assert control_ok(server, "GET", "faults") == {"faults": []}
    assert client.query_users({})["users"] == []


def test_faults_are_listed_and_removed_in_process(fake_stream: InProcessStream) -> None:
    faults = fake_stream.fake.faults
    first = faults.add("error", operation="GetApp", code=4, message="one")
    second = faults.add("error", operation="QueryUsers", code=4, message="two")
    assert [r.id for r in faults.rules()] == [first.id, second.id]
    with pytest.raises(StreamAPIException):
        fake_stream.client.get_app_settings()
    assert faults.remove(first.id) is True
    assert faults.remove(first.id) is False
    assert fake_stream.client.get_app_settings().status_code() == 200
    faults.clear()
    assert faults.rules() == []
    assert fake_stream.client.query_users({})["users"] == []


def test_first_live_matching_rule_wins_and_exhausted_rules_step_aside(
    fake_stream: InProcessStream,
) -> None:
    faults = fake_stream.fake.faults
    faults.add("error", operation="GetApp", code=4, message="first", times=1)
    faults.add("error", operation="GetApp", code=4, message="second", times=1)
    messages = []
    for _ in range(2):
        with pytest.raises(StreamAPIException) as caught:
            fake_stream.client.get_app_settings()
        messages.append(caught.value.error_message)
    assert messages == [
        'GetApp failed with error: "first"',
        'GetApp failed with error: "second"',
    ]
    assert fake_stream.client.get_app_settings().status_code() == 200


def test_rate_limit_fault_is_a_429_with_code_9_and_no_remaining_calls(
    server: FakeStreamServer,
) -> None:
    client = server.client()
    session = _Recorder()
    client.set_http_session(session)
    add_fault(server, kind="rate_limit", operation="QueryUsers", times=1)
    with pytest.raises(StreamAPIException) as caught:
        client.query_users({})
    assert caught.value.status_code == 429
    assert caught.value.error_code == 9
    assert error_body(caught.value) == stream_error(
        "QueryUsers", 9, 429, "Too many requests, check response headers for more information."
    )
    assert session.last is not None
    headers = session.last.headers
    assert headers["x-ratelimit-remaining"] == "0"
    assert int(headers["x-ratelimit-limit"]) > 0
    assert int(headers["x-ratelimit-reset"]) > 0
    limits = client.query_users({}).rate_limit()  # the rule ran out: served again
    assert limits is not None
    assert limits.remaining > 0


def test_rate_limit_fault_header_is_visible_to_plain_http(server: FakeStreamServer) -> None:
    add_fault(server, kind="rate_limit", operation="GetApp")
    token = jwt.encode({"server": True}, server.api_secret, algorithm="HS256")
    response = requests.get(
        f"{server.base_url}/app",
        params={"api_key": server.api_key},
        headers={"Authorization": token, "stream-auth-type": "jwt"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 429
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.json()["code"] == 9


def test_latency_fault_still_serves_the_request_and_is_journalled(
    server: FakeStreamServer,
) -> None:
    client = server.client()
    add_fault(server, kind="latency", operation="GetApp", latency_ms=5)
    assert client.get_app_settings().status_code() == 200
    entries = journal(server, operation="GetApp")["requests"]
    assert [(e["operation"], e["status"]) for e in entries] == [("GetApp", 200)]
    assert control_ok(server, "GET", "faults")["faults"][0]["fired"] == 1


def test_drop_fault_in_process_raises_connection_error_and_writes_nothing(
    fake_stream: InProcessStream,
) -> None:
    fake_stream.fake.faults.add("drop", operation="UpdateUsers", times=1)
    with pytest.raises(requests.ConnectionError):
        upsert(fake_stream.client, RECIPIENT)
    assert fake_stream.state.users == {}
    entries = fake_stream.fake.journal.entries("UpdateUsers")
    assert [(e.operation, e.status) for e in entries] == [("UpdateUsers", 0)]
    upsert(fake_stream.client, RECIPIENT)  # times=1: the retry goes through
    assert set(fake_stream.state.users) == {RECIPIENT}


def test_drop_fault_over_http_resets_the_connection_before_any_answer(
    server: FakeStreamServer,
) -> None:
    client = server.client()
    add_fault(server, kind="drop", operation="GetApp")
    # A network error (connection reset), not a half-read 200: requests' ConnectionError.
    with pytest.raises(requests.ConnectionError) as caught:
        client.get_app_settings()
    assert "Connection reset by peer" in str(caught.value)
    entries = journal(server, operation="GetApp")["requests"]
    assert entries
    assert {e["status"] for e in entries} == {0}
    control_ok(server, "DELETE", "faults")
    assert client.get_app_settings().status_code() == 200


# -- propagation lag -----------------------------------------------------------------


def test_lagging_user_is_missing_for_two_creates_then_the_third_succeeds(
    fake_stream: InProcessStream,
) -> None:
    client = fake_stream.client
    upsert(client, COMPANY)
    fake_stream.state.propagation.configure(calls=2)
    upsert(client, RECIPIENT)
    assert fake_stream.state.propagation.pending() == [RECIPIENT]
    for _ in range(2):
        with pytest.raises(StreamAPIException) as caught:
            create_channel(client, "lagged", COMPANY, RECIPIENT)
        assert error_body(caught.value) == missing_users_error("create", RECIPIENT)
    state = create_channel(client, "lagged", COMPANY, RECIPIENT)
    assert {m["user_id"] for m in state["members"]} == {COMPANY, RECIPIENT}
    assert fake_stream.state.propagation.pending() == []


def test_lag_configured_over_http_shows_in_the_state_dump(server: FakeStreamServer) -> None:
    client = server.client()
    upsert(client, COMPANY)
    assert control_ok(server, "POST", "lag", {"calls": 2}) == {"calls": 2, "ms": None}
    upsert(client, RECIPIENT)
    assert control_ok(server, "GET", "state")["lagging_users"] == [RECIPIENT]
    for _ in range(2):
        with pytest.raises(StreamAPIException) as caught:
            create_channel(client, "lagged", COMPANY, RECIPIENT)
        assert caught.value.error_code == 4
    assert create_channel(client, "lagged", COMPANY, RECIPIENT)["channel"]["member_count"] == 2
    assert control_ok(server, "GET", "state")["lagging_users"] == []


def test_time_based_lag_ends_when_the_fake_clock_moves_in_process(
    fake_stream: InProcessStream,
) -> None:
    client, fake = fake_stream.client, fake_stream.fake
    fake.clock.freeze()
    upsert(client, COMPANY)
    fake_stream.state.propagation.configure(ms=500)
    upsert(client, RECIPIENT)
    for _ in range(3):  # calls do not end a time-based lag
        with pytest.raises(StreamAPIException):
            create_channel(client, "later", COMPANY, RECIPIENT)
    fake.clock.advance(0.4)
    with pytest.raises(StreamAPIException):
        create_channel(client, "later", COMPANY, RECIPIENT)
    fake.clock.advance(0.1)
    assert create_channel(client, "later", COMPANY, RECIPIENT)["channel"]["member_count"] == 2


def test_time_based_lag_ends_when_the_clock_is_advanced_over_http(
    server: FakeStreamServer,
) -> None:
    client = server.client()
    assert control_ok(server, "POST", "clock", {"freeze": None})["frozen"] is True
    upsert(client, COMPANY)
    control_ok(server, "POST", "lag", {"ms": 500})
    upsert(client, RECIPIENT)
    with pytest.raises(StreamAPIException) as caught:
        create_channel(client, "later", COMPANY, RECIPIENT)
    assert error_body(caught.value) == missing_users_error("create", RECIPIENT)
    control_ok(server, "POST", "clock", {"advance_seconds": 0.5})
    assert create_channel(client, "later", COMPANY, RECIPIENT)["channel"]["member_count"] == 2


def test_lag_can_be_limited_to_some_users_and_switched_off(fake_stream: InProcessStream) -> None:
    client = fake_stream.client
    propagation = fake_stream.state.propagation
    propagation.configure(calls=5, user_ids=[RECIPIENT])
    upsert(client, COMPANY, RECIPIENT, OTHER)
    assert propagation.pending() == [RECIPIENT]
    assert create_channel(client, "no-lag", COMPANY, OTHER)["channel"]["member_count"] == 2
    propagation.clear()
    assert create_channel(client, "cleared", COMPANY, RECIPIENT)["channel"]["member_count"] == 2


# -- clock and seed -----------------------------------------------------------------


def test_frozen_and_advanced_clock_stamps_new_users(fake_stream: InProcessStream) -> None:
    clock = fake_stream.fake.clock
    clock.freeze(datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    upsert(fake_stream.client, RECIPIENT)
    clock.advance(90)
    upsert(fake_stream.client, OTHER)
    users = {u["id"]: u for u in fake_stream.client.query_users({})["users"]}
    assert users[RECIPIENT]["created_at"] == "2030-01-02T03:04:05.000000Z"
    assert users[OTHER]["created_at"] == "2030-01-02T03:05:35.000000Z"


def test_clock_over_http_freezes_advances_and_unfreezes(server: FakeStreamServer) -> None:
    client = server.client()
    frozen = control_ok(server, "POST", "clock", {"freeze": "2030-01-02T03:04:05Z"})
    assert frozen == {"now": "2030-01-02T03:04:05.000000Z", "frozen": True}
    upsert(client, RECIPIENT)
    moved = control_ok(server, "POST", "clock", {"advance_seconds": 60})
    assert moved == {"now": "2030-01-02T03:05:05.000000Z", "frozen": True}
    upsert(client, OTHER)
    state = control_ok(server, "GET", "state")
    stamps = {u["id"]: u["created_at"] for u in state["users"]}
    assert stamps == {
        RECIPIENT: "2030-01-02T03:04:05.000000Z",
        OTHER: "2030-01-02T03:05:05.000000Z",
    }
    assert control_ok(server, "GET", "clock")["now"] == "2030-01-02T03:05:05.000000Z"
    assert control_ok(server, "POST", "clock", {"unfreeze": True})["frozen"] is False


def test_user_token_expires_once_the_fake_clock_passes_exp(fake_stream: InProcessStream) -> None:
    upsert(fake_stream.client, RECIPIENT)
    now = fake_stream.fake.clock.freeze()
    user_client = StreamChat(fake_stream.api_key, fake_stream.api_secret)
    user_client.auth_token = user_client.create_token(RECIPIENT, exp=int(now.timestamp()) + 60)
    assert user_client.query_channels({"members": {"$in": [RECIPIENT]}})["channels"] == []
    fake_stream.fake.clock.advance(61)
    with pytest.raises(StreamAPIException) as caught:
        user_client.query_channels({"members": {"$in": [RECIPIENT]}})
    assert error_body(caught.value) == stream_error(
        "QueryChannels", 40, 401, "JWTAuth error: token is expired (exp)"
    )


def test_user_token_expires_after_the_clock_is_advanced_over_http(
    server: FakeStreamServer,
) -> None:
    upsert(server.client(), RECIPIENT)
    now = datetime.fromisoformat(
        control_ok(server, "POST", "clock", {"freeze": None})["now"].replace("Z", "+00:00")
    )
    user_client = server.client()
    user_client.auth_token = user_client.create_token(RECIPIENT, exp=int(now.timestamp()) + 60)
    assert user_client.query_channels({"members": {"$in": [RECIPIENT]}})["channels"] == []
    control_ok(server, "POST", "clock", {"advance_seconds": 3600})
    with pytest.raises(StreamAPIException) as caught:
        user_client.query_channels({"members": {"$in": [RECIPIENT]}})
    assert caught.value.error_code == 40


def _generated_message_ids(seed: int) -> list[str]:
    with InProcessStream(seed=seed) as stream:
        upsert(stream.client, COMPANY, RECIPIENT)
        channel = stream.client.channel("messaging", "seeded", {"members": [COMPANY, RECIPIENT]})
        channel.create(COMPANY)
        return [
            channel.send_message({"text": f"hello {n}"}, COMPANY)["message"]["id"] for n in range(3)
        ]


def test_same_seed_gives_the_same_message_ids_in_two_fresh_fakes() -> None:
    first = _generated_message_ids(seed=11)
    assert first == _generated_message_ids(seed=11)
    assert len(set(first)) == 3
    assert first != _generated_message_ids(seed=12)


def test_seed_over_http_repeats_generated_ids_after_a_reset(server: FakeStreamServer) -> None:
    def run() -> str:
        control_ok(server, "POST", "reset")
        assert control_ok(server, "POST", "seed", {"seed": 3}) == {"seed": 3}
        client = server.client()
        upsert(client, COMPANY, RECIPIENT)
        channel = client.channel("messaging", "seeded", {"members": [COMPANY, RECIPIENT]})
        channel.create(COMPANY)
        return channel.send_message({"text": "hi"}, COMPANY)["message"]["id"]

    assert run() == run()


# -- journal -------------------------------------------------------------------------


def test_journal_lists_requests_in_order_with_operation_names(
    fake_stream: InProcessStream,
) -> None:
    client = fake_stream.client
    upsert(client, COMPANY, RECIPIENT)
    channel = client.channel("messaging", "j", {"members": [COMPANY, RECIPIENT]})
    channel.create(COMPANY)
    channel.send_message({"text": "hello"}, COMPANY)
    journal_ = fake_stream.fake.journal
    assert journal_.operations() == ["UpdateUsers", "GetOrCreateChannel", "SendMessage"]
    entries = journal_.entries()
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    assert [(e.method, e.path, e.status) for e in entries] == [
        ("POST", "/users", 201),
        ("POST", "/channels/messaging/j/query", 201),
        ("POST", "/channels/messaging/j/message", 201),
    ]
    assert {e.principal for e in entries} == {"server"}
    assert set(entries[0].body["users"]) == {COMPANY, RECIPIENT}
    assert journal_.count("UpdateUsers") == 1
    assert journal_.count(ok=False) == 0


def test_journal_over_http_filters_by_operation_and_counts(server: FakeStreamServer) -> None:
    client = server.client()
    upsert(client, COMPANY)
    upsert(client, RECIPIENT)
    create_channel(client, "j", COMPANY, RECIPIENT)
    with pytest.raises(StreamAPIException):
        create_channel(client, "k", COMPANY, "nobody")
    everything = journal(server)
    assert everything["count"] == 4
    assert [e["operation"] for e in everything["requests"]] == [
        "UpdateUsers",
        "UpdateUsers",
        "GetOrCreateChannel",
        "GetOrCreateChannel",
    ]
    assert [e["status"] for e in everything["requests"]] == [201, 201, 201, 400]
    upserts = journal(server, operation="UpdateUsers")
    assert upserts["count"] == 2
    assert [list(e["body"]["users"]) for e in upserts["requests"]] == [[COMPANY], [RECIPIENT]]
    assert all("api_key" not in e["query"] for e in upserts["requests"])
    both = journal(server, operation="UpdateUsers,GetOrCreateChannel")
    assert both["count"] == 4
    assert journal(server, operation="SendMessage") == {"count": 0, "requests": []}


def test_control_calls_are_not_journalled_and_the_journal_can_be_cleared(
    server: FakeStreamServer,
) -> None:
    upsert(server.client(), RECIPIENT)
    control_ok(server, "GET", "state")
    control_ok(server, "GET", "faults")
    assert journal(server)["count"] == 1
    assert control_ok(server, "DELETE", "journal") == {}
    assert journal(server)["count"] == 0
    assert set(server.state.users) == {RECIPIENT}


def test_unmatched_requests_are_listed_separately(server: FakeStreamServer) -> None:
    client = server.client()
    upsert(client, RECIPIENT)
    with pytest.raises(StreamAPIException) as caught:
        client.get("no/such/endpoint")
    assert caught.value.status_code == 404
    unmatched = control_ok(server, "GET", "journal/unmatched")
    assert unmatched["count"] == 1
    (entry,) = unmatched["requests"]
    assert (entry["method"], entry["path"], entry["operation"], entry["matched"]) == (
        "GET",
        "/no/such/endpoint",
        "Unknown",
        False,
    )
    assert entry["status"] == 404


def test_members_upserted_before_create_passes_for_the_right_order(
    fake_stream: InProcessStream,
) -> None:
    client = fake_stream.client
    upsert(client, COMPANY, RECIPIENT)
    create_channel(client, "good", COMPANY, RECIPIENT)
    fake_stream.fake.journal.assert_members_upserted_before_create(
        "messaging:good", [COMPANY, RECIPIENT]
    )


def test_members_upserted_before_create_fails_when_the_recipient_came_after_creation(
    fake_stream: InProcessStream,
) -> None:
    client = fake_stream.client
    upsert(client, COMPANY)
    create_channel(client, "bug", COMPANY)  # created without the recipient ...
    upsert(client, RECIPIENT)  # ... who is synced only afterwards
    client.channel("messaging", "bug").add_members([RECIPIENT])
    with pytest.raises(AssertionError, match=RECIPIENT):
        fake_stream.fake.journal.assert_members_upserted_before_create(
            "messaging:bug", [COMPANY, RECIPIENT]
        )


def test_members_upserted_before_create_judges_by_the_first_successful_create(
    fake_stream: InProcessStream,
) -> None:
    """The seed's bug: create before syncing the recipient fails, then sync and retry."""
    client, journal_ = fake_stream.client, fake_stream.fake.journal
    upsert(client, COMPANY)
    with pytest.raises(StreamAPIException):
        create_channel(client, "seed", COMPANY, RECIPIENT)
    with pytest.raises(AssertionError, match="never created successfully"):
        journal_.assert_members_upserted_before_create("messaging:seed", [COMPANY, RECIPIENT])
    upsert(client, RECIPIENT)
    create_channel(client, "seed", COMPANY, RECIPIENT)
    # The failed attempt does not count as the creation: the first successful
    # create came after the upsert.
    journal_.assert_members_upserted_before_create("messaging:seed", [COMPANY, RECIPIENT])
    first_ok = journal_.channel_creation("messaging:seed")
    assert first_ok is not None
    assert first_ok.status == 201
    assert first_ok.seq == journal_.entries("GetOrCreateChannel")[-1].seq


def test_members_upserted_before_create_ignores_a_later_get_or_create(
    fake_stream: InProcessStream,
) -> None:
    client = fake_stream.client
    upsert(client, COMPANY)
    create_channel(client, "early", COMPANY)
    upsert(client, RECIPIENT)
    create_channel(client, "early", COMPANY, RECIPIENT)  # get-or-create: the channel exists
    with pytest.raises(AssertionError, match=RECIPIENT):
        fake_stream.fake.journal.assert_members_upserted_before_create(
            "messaging:early", [COMPANY, RECIPIENT]
        )


def test_members_upserted_before_create_finds_the_second_distinct_channel(
    fake_stream: InProcessStream,
) -> None:
    client = fake_stream.client
    upsert(client, COMPANY, RECIPIENT, OTHER)
    client.channel("messaging", data={"members": [COMPANY, RECIPIENT]}).create(COMPANY)
    second = client.channel("messaging", data={"members": [COMPANY, OTHER]}).create(COMPANY)
    fake_stream.fake.journal.assert_members_upserted_before_create(
        second["channel"]["cid"], [COMPANY, OTHER]
    )


def test_assert_order_checks_relative_order_with_other_calls_between(
    fake_stream: InProcessStream,
) -> None:
    client, journal_ = fake_stream.client, fake_stream.fake.journal
    upsert(client, COMPANY, RECIPIENT)
    client.get_app_settings()
    create_channel(client, "order", COMPANY, RECIPIENT)
    journal_.assert_order("UpdateUsers", "GetOrCreateChannel")
    journal_.assert_order("UpdateUsers", "GetApp", "GetOrCreateChannel")
    with pytest.raises(AssertionError, match="expected operations in order"):
        journal_.assert_order("GetOrCreateChannel", "UpdateUsers")
    with pytest.raises(AssertionError):
        journal_.assert_order("UpdateUsers", "SendMessage")


# -- reset and state -----------------------------------------------------------------


def test_reset_empties_state_journal_and_faults(server: FakeStreamServer) -> None:
    client = server.client()
    upsert(client, COMPANY, RECIPIENT)
    create_channel(client, "gone", COMPANY, RECIPIENT)
    add_fault(server, operation="GetApp", code=4, message="still here?")
    assert control_ok(server, "POST", "reset") == {}
    state = control_ok(server, "GET", "state")
    assert (state["users"], state["channels"], state["tasks"]) == ([], [], [])
    assert journal(server)["count"] == 0
    assert control_ok(server, "GET", "faults") == {"faults": []}
    assert client.get_app_settings().status_code() == 200  # the fault is gone
    assert server.state.users == {}


def test_state_dump_shows_users_and_channels_with_members(server: FakeStreamServer) -> None:
    client = server.client()
    upsert(client, COMPANY, RECIPIENT)
    channel = client.channel("messaging", "dump", {"members": [COMPANY, RECIPIENT]})
    channel.create(COMPANY)
    channel.send_message({"text": "hello"}, COMPANY)
    state = control_ok(server, "GET", "state")
    assert state["api_key"] == server.api_key
    assert [u["id"] for u in state["users"]] == [COMPANY, RECIPIENT]
    (dumped,) = state["channels"]
    assert dumped["cid"] == "messaging:dump"
    assert dumped["created_by"]["id"] == COMPANY
    members = {m["user_id"]: m for m in dumped["members"]}
    assert set(members) == {COMPANY, RECIPIENT}
    assert members[COMPANY]["channel_role"] == "channel_member"
    assert [m["text"] for m in dumped["messages"]] == ["hello"]
    assert control_ok(server, "GET", "state", api_key=server.api_key) == state


# -- bad control requests -------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "faults", {"kind": "explode", "operation": "GetApp"}, 400, "kind must be one of"),
        ("POST", "faults", {"operation": "GetApp", "colour": "red"}, 400, "unknown fault field"),
        ("POST", "faults", {"path": "(unclosed"}, 400, "not a valid regular expression"),
        ("POST", "faults", {"operation": "GetApp", "times": 0}, 400, "times must be at least 1"),
        ("POST", "faults", {"code": 4}, 400, "needs an operation, a path regex, or both"),
        ("POST", "faults", {"operation": "GetApp", "probability": 0}, 400, "probability"),
        ("POST", "faults", {"kind": "latency", "operation": "GetApp"}, 400, "latency_ms > 0"),
        ("POST", "faults", {"operation": "GetApp", "status": 200}, 400, "status must be"),
        ("POST", "faults", [], 400, "must be a JSON object"),
        ("DELETE", "faults/fault-999", None, 404, "no fault rule 'fault-999'"),
        ("GET", "nope", None, 404, "no control endpoint GET /_fake/nope"),
        ("POST", "lag", {}, 400, "needs calls, ms, or both"),
        ("POST", "lag", {"calls": 0}, 400, "calls must be at least 1"),
        ("POST", "clock", {"advance_seconds": -1}, 400, "only moves forward"),
        ("POST", "clock", {"advance_seconds": "soon"}, 400, "advance_seconds must be a number"),
        ("POST", "clock", {"freeze": "not a time"}, 400, "isoformat"),
        ("POST", "seed", {"seed": "x"}, 400, "seed must be an integer or null"),
        ("GET", "state", None, 404, "no app with api_key"),
    ],
    ids=[
        "unknown fault kind",
        "unknown fault field",
        "bad regex",
        "times=0",
        "rule matching nothing",
        "probability 0",
        "latency without latency_ms",
        "non-error status",
        "non-object body",
        "unknown fault id",
        "unknown control path",
        "empty lag",
        "lag calls=0",
        "clock backwards",
        "clock advance not a number",
        "clock freeze not a time",
        "seed not an integer",
        "state of an unknown app",
    ],
)
def test_bad_control_requests_are_refused_with_an_error_message(
    server: FakeStreamServer,
    method: str,
    path: str,
    body: Any,
    status: int,
    error: str,
) -> None:
    params = {"api_key": "no-such-app"} if path == "state" else {}
    response = control(server, method, path, body, **params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert set(answer) == {"error"}
    assert error in answer["error"]
    assert control_ok(server, "GET", "faults") == {"faults": []}  # nothing half-added


def test_control_body_that_is_not_json_is_a_400(server: FakeStreamServer) -> None:
    response = requests.post(f"{server.base_url}/_fake/faults", data=b"{", timeout=TIMEOUT)
    assert response.status_code == 400
    assert set(response.json()) == {"error"}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("lag", {"calls": "2"}),
        ("lag", {"ms": "soon"}),
        ("lag", {"calls": 2, "user_ids": 5}),
        ("clock", {"advance_seconds": 1e308}),
        ("faults", {"operation": "GetApp", "method": 5}),
    ],
    ids=[
        "lag calls string",
        "lag ms string",
        "lag user_ids int",
        "clock advance 1e308",
        "fault method int",
    ],
)
def test_wrongly_typed_control_settings_are_refused_with_400(
    server: FakeStreamServer, path: str, body: dict[str, Any]
) -> None:
    response = control(server, "POST", path, body)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}
    assert server.client().get_app_settings().status_code() == 200


# -- settings the fake cannot honour ------------------------------------------------

_NAN, _INF = float("nan"), float("inf")


@pytest.mark.parametrize(
    "body",
    [
        {"calls": _NAN},
        {"calls": _INF},
        {"calls": 1e300},
        {"calls": -1},
        {"calls": 2.5},
        {"calls": True},
        {"calls": 10_001},
        {"ms": _NAN},
        {"ms": _INF},
        {"ms": -_INF},
        {"ms": 1e300},
        {"ms": -5},
        {"ms": True},
        {"calls": 2, "ms": _NAN},
    ],
    ids=[
        "calls NaN",
        "calls Infinity",
        "calls 1e300",
        "calls negative",
        "calls 2.5",
        "calls true",
        "calls over 10000",
        "ms NaN",
        "ms Infinity",
        "ms -Infinity",
        "ms 1e300",
        "ms negative",
        "ms true",
        "good calls, ms NaN",
    ],
)
def test_a_lag_the_fake_cannot_honour_is_refused_and_upserts_keep_working(
    server: FakeStreamServer, body: dict[str, Any]
) -> None:
    response = control(server, "POST", "lag", body)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"error"}
    propagation = server.state.propagation
    assert (propagation.calls, propagation.ms) == (None, None)
    upsert(server.client(), COMPANY, RECIPIENT)  # used to answer 500 after a NaN lag
    assert control_ok(server, "GET", "state")["lagging_users"] == []
    assert create_channel(server.client(), "c", COMPANY, RECIPIENT)["channel"]["member_count"] == 2


def test_the_largest_lag_the_fake_takes_is_accepted(server: FakeStreamServer) -> None:
    assert control_ok(server, "POST", "lag", {"calls": 10_000, "ms": 3_600_000}) == {
        "calls": 10_000,
        "ms": 3_600_000,
    }


@pytest.mark.parametrize(
    ("rule", "error"),
    [
        ({"kind": "latency", "latency_ms": _INF}, "latency_ms must be between 0 and 600000"),
        ({"kind": "latency", "latency_ms": _NAN}, "latency_ms must be between 0 and 600000"),
        ({"kind": "latency", "latency_ms": -1}, "latency_ms must be between 0 and 600000"),
        ({"kind": "latency", "latency_ms": 600_001}, "latency_ms must be between 0 and 600000"),
        ({"times": 10**12}, "times must be at least 1 and at most 1000000"),
        ({"times": _NAN}, "times has the wrong type"),
        ({"probability": _NAN}, "probability must be in (0, 1]"),
        ({"probability": _INF}, "probability must be in (0, 1]"),
        ({"status": _NAN}, "status has the wrong type"),
        ({"status": 10**6}, "status must be an HTTP error status"),
        ({"code": 1e300}, "code has the wrong type"),
        ({"code": 10**6}, "code must be a Stream error code from -1 to 99"),
        ({"code": -2}, "code must be a Stream error code from -1 to 99"),
    ],
    ids=[
        "latency Infinity",
        "latency NaN",
        "latency negative",
        "latency over ten minutes",
        "times huge",
        "times NaN",
        "probability NaN",
        "probability Infinity",
        "status NaN",
        "status huge",
        "code 1e300",
        "code huge",
        "code below -1",
    ],
)
def test_a_fault_rule_the_fake_cannot_honour_is_refused(
    server: FakeStreamServer, rule: dict[str, Any], error: str
) -> None:
    response = control(server, "POST", "faults", {"operation": "GetApp", **rule})
    assert response.status_code == 400, response.text
    assert error in response.json()["error"]
    assert control_ok(server, "GET", "faults") == {"faults": []}
    assert server.client().get_app_settings().status_code() == 200


_FROZEN = "2030-01-02T03:04:05.000000Z"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"freeze": "9999-12-31T00:00:00Z"}, "runs from 2000 to 2999"),
        ({"freeze": "9999-12-31T23:00:00-05:00"}, "runs from 2000 to 2999"),
        ({"freeze": "3000-01-01T00:00:00Z"}, "runs from 2000 to 2999"),
        ({"freeze": "1970-01-01T00:00:00Z"}, "runs from 2000 to 2999"),
        ({"freeze": 5}, "freeze must be an RFC 3339 timestamp"),
        ({"advance_seconds": _NAN}, "finite number of seconds"),
        ({"advance_seconds": _INF}, "finite number of seconds"),
        ({"advance_seconds": 1e300}, "past the end of year 2999"),
        ({"advance_seconds": 1000 * 365 * 24 * 3600}, "past the end of year 2999"),
        ({"freeze": "2999-12-31T23:59:00Z", "advance_seconds": 60}, "past the end of year 2999"),
    ],
    ids=[
        "freeze in 9999",
        "freeze in 9999 with an offset",
        "freeze in 3000",
        "freeze in 1970",
        "freeze a number",
        "advance NaN",
        "advance Infinity",
        "advance 1e300",
        "advance 1000 years",
        "freeze then advance past 2999",
    ],
)
def test_a_clock_setting_outside_the_supported_years_is_refused_and_changes_nothing(
    server: FakeStreamServer, body: dict[str, Any], error: str
) -> None:
    control_ok(server, "POST", "clock", {"freeze": _FROZEN})
    response = control(server, "POST", "clock", body)
    assert response.status_code == 400, response.text
    assert error in response.json()["error"]
    assert control_ok(server, "GET", "clock") == {"now": _FROZEN, "frozen": True}


def test_a_timed_ban_and_mute_work_at_the_latest_time_the_clock_takes(
    server: FakeStreamServer,
) -> None:
    control_ok(server, "POST", "clock", {"freeze": "2999-12-31T23:59:59Z"})
    client = server.client()
    upsert(client, COMPANY, RECIPIENT)
    longest = 10 * 365 * 24 * 60  # the largest timeout the fake takes
    client.ban_user(RECIPIENT, banned_by_id=COMPANY, timeout=longest)
    assert client.mute_user(RECIPIENT, COMPANY, timeout=longest)["mute"]["expires"].startswith(
        "3009-"
    )
    (ban,) = client.query_banned_users({"filter_conditions": {}})["bans"]
    assert ban["expires"].startswith("3009-")


class _EndOfTime(Clock):
    """A clock an embedding test could inject, stopped on the last day datetime knows."""

    def now(self) -> datetime:
        return datetime(9999, 12, 31, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "/moderation/ban",
            {"target_user_id": RECIPIENT, "banned_by_id": COMPANY, "timeout": 1440},
        ),
        ("/moderation/mute", {"user_id": COMPANY, "target_id": RECIPIENT, "timeout": 1440}),
    ],
    ids=["Ban", "MuteUser"],
)
def test_a_ban_or_mute_ending_after_year_9999_is_an_input_error_not_a_crash(
    path: str, body: dict[str, Any]
) -> None:
    fake = FakeStream(clock=_EndOfTime())
    secret = "a-secret-long-enough-for-hs256-signing-xx"
    fake.register_app("k", secret)
    headers = {"Authorization": jwt.encode({"server": True}, secret), "stream-auth-type": "jwt"}

    def post(route: str, payload: dict[str, Any]) -> Any:
        return fake.dispatch("POST", route, {"api_key": "k"}, headers, json.dumps(payload))

    assert post("/users", {"users": {u: {"id": u} for u in (COMPANY, RECIPIENT)}}).status == 201
    answer = post(path, body)
    assert answer.status == 400, answer.body
    assert answer.json()["code"] == 4
    assert "ends after the year 9999" in answer.json()["message"]


@pytest.mark.parametrize("depth", [100, 1000, 100_000])
@pytest.mark.parametrize("path", ["faults", "lag", "clock", "seed", "apps", "reset", "state"])
def test_json_nested_too_deep_on_a_control_route_is_a_json_400(
    server: FakeStreamServer, path: str, depth: int
) -> None:
    method = "GET" if path == "state" else "POST"
    deep = b'{"a":' * depth + b"1" + b"}" * depth
    response = requests.request(
        method, f"{server.base_url}/_fake/{path}", data=deep, timeout=TIMEOUT
    )
    assert response.status_code == 400, response.text[:200]
    assert response.headers["content-type"] == "application/json"
    assert "nested deeper than 64 levels" in response.json()["error"]
    assert control_ok(server, "GET", "faults") == {"faults": []}


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "TEXT/PLAIN; charset=utf-8",
    ],
)
def test_a_control_body_sent_as_something_other_than_json_is_a_415(
    server: FakeStreamServer, content_type: str
) -> None:
    response = requests.post(
        f"{server.base_url}/_fake/faults",
        data=json.dumps({"operation": "GetApp"}),
        headers={"Content-Type": content_type},
        timeout=TIMEOUT,
    )
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/json"
    media_type = content_type.split(";")[0].lower()
    assert response.json() == {
        "error": f"send control bodies as application/json, not {media_type}"
    }
    assert control_ok(server, "GET", "faults") == {"faults": []}


@pytest.mark.parametrize(
    "headers",
    [{}, {"Content-Type": "application/json"}, {"Content-Type": "application/json; charset=utf-8"}],
    ids=["no content type", "application/json", "with a charset"],
)
def test_a_control_body_sent_as_json_or_without_content_type_is_accepted(
    server: FakeStreamServer, headers: dict[str, str]
) -> None:
    response = requests.post(
        f"{server.base_url}/_fake/faults",
        data=json.dumps({"operation": "GetApp", "code": 4}),
        headers=headers,
        timeout=TIMEOUT,
    )
    assert response.status_code == 201, response.text
    assert [r["operation"] for r in control_ok(server, "GET", "faults")["faults"]] == ["GetApp"]


def test_a_bodiless_control_request_with_a_form_content_type_is_accepted(
    server: FakeStreamServer,
) -> None:
    """What `curl -X POST -d ''` sends: nothing to misread, so nothing to refuse."""
    response = requests.post(
        f"{server.base_url}/_fake/reset",
        data=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 200, response.text


def test_the_journal_records_real_arrival_times_that_a_frozen_clock_does_not_stop(
    server: FakeStreamServer,
) -> None:
    client = server.client()
    control_ok(server, "POST", "clock", {"freeze": "2026-06-01T12:00:00Z"})
    add_fault(server, kind="latency", operation="GetApp", latency_ms=300, times=1)
    client.get_app_settings()  # answered 300 ms late
    client.get_app_settings()
    first, second = journal(server, operation="GetApp")["requests"]
    assert first["time"] == second["time"]  # the fake's clock stood still
    # ...but real time went on: the second call arrived after the first one's latency.
    assert second["received_s"] - first["received_s"] >= 0.3


def test_attempts_and_pauses_are_read_off_the_journal() -> None:
    entries = [
        {"operation": "UpdateUsers", "status": 429, "received_s": 1.0},
        {"operation": "QueryChannels", "status": 201, "received_s": 1.5},
        {"operation": "UpdateUsers", "status": 201, "received_s": 3.25},
        {"operation": "GetOrCreateChannel", "status": 503, "received_s": 3.5},
        {"operation": "GetOrCreateChannel", "status": 201, "received_s": 3.75},
        {"operation": "GetOrCreateChannel", "status": 201, "received_s": 9.0},
    ]
    creates = [e for e in entries if e["operation"] == "GetOrCreateChannel"]
    assert observe.attempts(creates) == 2  # the failure, then the first success
    assert observe.pause_before_retry(entries, "UpdateUsers") == 2.25
    assert observe.pause_before_retry(entries, "QueryChannels") is None
    took = observe.time_to_first_success(
        entries, "UpdateUsers", lambda e: e["operation"] == "GetOrCreateChannel"
    )
    assert took == 2.75
