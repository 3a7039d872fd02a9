"""The reference createConversation against the in-process fake Stream and real PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import psycopg
import pytest
from stream_chat import StreamChat

from chatgate.fakes.stream.inprocess import InProcessStream
from chatgate.fixtures.people import REAL_COMPANIES, REAL_USERS
from chatgate.naming import StreamNaming
from chatgate.reference.sync.calls import StreamCalls
from chatgate.reference.sync.errors import Failure, SyncError
from chatgate.reference.sync.identities import (
    Identity,
    Kind,
    RolePolicy,
    channel_id,
    channel_id_material,
    format_channel_id,
)
from chatgate.reference.sync.model import CreateConversation, Profile
from chatgate.reference.sync.retry import RetryPolicy
from chatgate.reference.sync.schema import apply_schema
from chatgate.reference.sync.service import ConversationService

AMR = REAL_USERS["Amr"]
OWNER = "06851aee-0000-4000-8000-000000000001"
SAT = REAL_COMPANIES["Sat Education"]
LOLO = REAL_COMPANIES["Lolo Academy"]
NEW_USER = "7c1e2f4a-0b7d-4f5e-9a51-3f0c2d9e8b41"


@pytest.fixture(scope="session")
def postgres_schema():
    return apply_schema


@pytest.fixture
def db(postgres_database: str) -> str:
    with psycopg.connect(postgres_database) as conn:
        conn.execute(
            "INSERT INTO users (id, name) VALUES (%s, 'Amr'), (%s, 'Owner'), (%s, 'New user')",
            (AMR, OWNER, NEW_USER),
        )
        conn.execute(
            "INSERT INTO companies (id, name, logo_url) VALUES"
            " (%s, 'Sat Education', 'https://img.example/sat.png'), (%s, 'Lolo Academy', NULL)",
            (SAT, LOLO),
        )
        conn.execute(
            "INSERT INTO company_members VALUES (%s, %s, 'owner'), (%s, %s, 'admin')",
            (SAT, OWNER, LOLO, OWNER),
        )
    return postgres_database


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def service(db: str, fake_stream: InProcessStream, waits: list[float]) -> ConversationService:
    return ConversationService(db, fake_stream.client, retry=RetryPolicy(sleep=waits.append))


def company_to_user(company: str, *users: str) -> CreateConversation:
    return CreateConversation("user_company", list(users), company_id=company)


def rows(db: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("company", [SAT, LOLO], ids=["Sat Education", "Lolo Academy"])
def test_company_to_a_never_synced_user_upserts_everyone_before_creating(
    service: ConversationService, fake_stream: InProcessStream, company: str
) -> None:
    conversation = service.create(OWNER, company_to_user(company, NEW_USER))
    company_id, user_id = f"onecrew_company_{company}", f"onecrew_user_{NEW_USER}"
    cid = f"messaging:{conversation.id}"
    fake_stream.journal.assert_members_upserted_before_create(cid, [company_id, user_id])
    channel = fake_stream.state.channels[cid]
    assert list(channel.members) == [company_id, user_id]
    assert channel.created_by_id == company_id
    assert fake_stream.state.users[company_id].role == "company"
    assert fake_stream.state.users[user_id].role == "user"
    assert fake_stream.journal.count("UpdateUsers") == 1


def test_two_companies_of_one_owner_get_two_channels_with_the_same_user(
    service: ConversationService,
) -> None:
    sat = service.create(OWNER, company_to_user(SAT, AMR))
    lolo = service.create(OWNER, company_to_user(LOLO, AMR))
    assert sat.id != lolo.id


def test_channel_ids_are_deterministic_initiator_aware_and_short() -> None:
    a, b = Identity(Kind.COMPANY, SAT), Identity(Kind.COMPANY, LOLO)
    x = Identity(Kind.USER, AMR)
    key = "server-secret"
    assert channel_id("user_company", a, [x], key) == channel_id("user_company", a, [x], key)
    assert channel_id("user_company", a, [x], key) != channel_id("user_company", b, [x], key)
    assert channel_id("user_company", x, [a], key) != channel_id("user_company", a, [x], key)
    assert all(
        len(channel_id(t, a, [x, b], key)) <= 64
        for t in ("user_user", "user_company", "company_company")
    )


def test_channel_ids_cannot_be_computed_without_the_server_secret() -> None:
    a, x = Identity(Kind.COMPANY, SAT), Identity(Kind.USER, AMR)
    unkeyed = hashlib.sha256(channel_id_material("user_company", a, [x])).digest()
    ours = channel_id("user_company", a, [x], "server-secret")
    assert ours != format_channel_id("user_company", unkeyed)
    assert ours != channel_id("user_company", a, [x], "another-secret")


def test_the_same_request_twice_is_one_conversation(service: ConversationService, db: str) -> None:
    first = service.create(OWNER, company_to_user(SAT, AMR))
    second = service.create(OWNER, company_to_user(SAT, AMR))
    assert first.id == second.id
    assert rows(db, "SELECT count(*) FROM conversations") == [(1,)]
    assert rows(db, "SELECT count(*) FROM conversation_participants") == [(2,)]


def test_unknown_participant_is_404_with_no_stream_call_and_nothing_stored(
    service: ConversationService, fake_stream: InProcessStream, db: str
) -> None:
    ghost = str(uuid.UUID(int=7))
    with pytest.raises(SyncError) as caught:
        service.create(OWNER, company_to_user(SAT, AMR, ghost))
    assert caught.value.failure is Failure.NOT_FOUND
    assert ghost in caught.value.message
    assert fake_stream.journal.entries() == []
    assert rows(db, "SELECT count(*) FROM conversations") == [(0,)]


def test_acting_for_a_company_you_do_not_run_is_403(service: ConversationService) -> None:
    with pytest.raises(SyncError) as caught:
        service.create(AMR, company_to_user(SAT, NEW_USER))
    assert caught.value.failure is Failure.FORBIDDEN


def test_company_company_without_company_id_is_400(service: ConversationService) -> None:
    with pytest.raises(SyncError) as caught:
        service.create(OWNER, CreateConversation("company_company", [LOLO]))
    assert caught.value.failure is Failure.INVALID
    assert caught.value.message == "company_id is required when acting as a company"


def test_stream_down_is_a_clear_error_after_bounded_retries_and_leaves_no_row(
    service: ConversationService, fake_stream: InProcessStream, db: str, waits: list[float]
) -> None:
    fake_stream.faults.add("error", operation="GetOrCreateChannel", code=-1, message="down")
    with pytest.raises(SyncError) as caught:
        service.create(OWNER, company_to_user(SAT, AMR))
    assert caught.value.failure is Failure.UPSTREAM_FAILED
    assert fake_stream.journal.count("GetOrCreateChannel") == 3
    assert len(waits) == 2
    assert rows(db, "SELECT count(*) FROM conversations") == [(0,)]


def test_transient_5xx_is_retried_then_succeeds(
    service: ConversationService, fake_stream: InProcessStream
) -> None:
    fake_stream.faults.add("error", operation="GetOrCreateChannel", code=-1, status=503, times=1)
    conversation = service.create(OWNER, company_to_user(SAT, AMR))
    assert f"messaging:{conversation.id}" in fake_stream.state.channels
    assert fake_stream.journal.count("GetOrCreateChannel") == 2


def freeze_before_window_reset(fake_stream: InProcessStream, seconds: int) -> None:
    """Stop the fake's clock `seconds` before its next one-minute rate-limit window."""
    now = fake_stream.clock.now()
    next_window = (int(now.timestamp()) // 60 + 2) * 60
    fake_stream.clock.freeze(datetime.fromtimestamp(next_window - seconds, timezone.utc))


def test_429_waits_until_the_rate_limit_window_resets_then_retries(
    service: ConversationService, fake_stream: InProcessStream, waits: list[float]
) -> None:
    freeze_before_window_reset(fake_stream, 2)
    fake_stream.faults.add("rate_limit", operation="UpdateUsers", times=1)
    service.create(OWNER, company_to_user(SAT, AMR))
    assert fake_stream.journal.count("UpdateUsers") == 2
    assert len(waits) == 1
    assert 2.0 <= waits[0] < 2.0 + service.retry.base_s


def test_429_with_a_distant_reset_fails_fast_with_503_and_stores_nothing(
    service: ConversationService, fake_stream: InProcessStream, waits: list[float], db: str
) -> None:
    freeze_before_window_reset(fake_stream, 40)
    fake_stream.faults.add("rate_limit", operation="UpdateUsers", times=1)
    with pytest.raises(SyncError) as caught:
        service.create(OWNER, company_to_user(SAT, AMR))
    assert caught.value.failure is Failure.UPSTREAM_BUSY
    assert caught.value.message == "Stream Chat rate limit reached; try again in 40 s"
    assert waits == []
    assert rows(db, "SELECT count(*) FROM conversations") == [(0,)]


def test_input_errors_from_stream_are_not_retried(
    service: ConversationService, fake_stream: InProcessStream
) -> None:
    fake_stream.faults.add("error", operation="GetOrCreateChannel", code=17, message="no")
    with pytest.raises(SyncError):
        service.create(OWNER, company_to_user(SAT, AMR))
    assert fake_stream.journal.count("GetOrCreateChannel") == 1


def test_propagation_lag_is_absorbed_by_verification_not_a_fixed_wait(
    service: ConversationService, fake_stream: InProcessStream, waits: list[float]
) -> None:
    fake_stream.state.propagation.configure(calls=1)
    conversation = service.create(OWNER, company_to_user(LOLO, NEW_USER))
    assert f"messaging:{conversation.id}" in fake_stream.state.channels
    assert fake_stream.journal.count("UpdateUsers") == 2
    assert waits == []


def test_the_seed_log_lines_are_emitted(
    service: ConversationService, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="chatgate.reference.sync")
    service.create(OWNER, company_to_user(SAT, AMR))
    text = caplog.text
    assert "[createConversation] Syncing all participants to StreamChat..." in text
    assert "[createConversation] Upserting users to StreamChat..." in text
    assert "[createConversation] All users upserted successfully" in text
    assert "[createConversation] Channel created successfully with members" in text
    upsert = next(r for r in caplog.records if "Upserting users" in r.getMessage())
    assert upsert.count == 2


def test_concurrent_identical_requests_give_one_conversation(
    service: ConversationService, db: str
) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(
            pool.map(lambda _: service.create(OWNER, company_to_user(SAT, AMR)), range(8))
        )
    assert len({r.id for r in results}) == 1
    assert rows(db, "SELECT count(*) FROM conversations") == [(1,)]
    assert rows(db, "SELECT count(*) FROM conversation_participants") == [(2,)]


def test_companies_get_the_custom_company_role_which_is_created_once(
    service: ConversationService, fake_stream: InProcessStream
) -> None:
    service.create(OWNER, company_to_user(SAT, AMR))
    service.create(OWNER, company_to_user(LOLO, AMR))
    assert fake_stream.journal.count("CreateRole") == 1
    assert fake_stream.state.users[f"onecrew_company_{SAT}"].role == "company"
    assert fake_stream.state.users[f"onecrew_user_{AMR}"].role == "user"


def test_the_app_admin_policy_makes_companies_stream_admins(
    db: str, fake_stream: InProcessStream
) -> None:
    service = ConversationService(db, fake_stream.client, roles=RolePolicy.app_admin())
    service.create(OWNER, company_to_user(SAT, AMR))
    assert fake_stream.state.users[f"onecrew_company_{SAT}"].role == "admin"
    assert fake_stream.journal.count("CreateRole") == 0


def test_a_channel_someone_else_created_first_is_refused_and_nothing_is_stored(
    service: ConversationService, fake_stream: InProcessStream, db: str
) -> None:
    cid = service.channel_id(
        "user_company", Identity(Kind.COMPANY, SAT), [Identity(Kind.USER, AMR)]
    )
    fake_stream.client.upsert_user({"id": "mallory"})
    fake_stream.client.channel("messaging", cid, {"members": ["mallory"]}).create("mallory")
    with pytest.raises(SyncError) as caught:
        service.create(OWNER, company_to_user(SAT, AMR))
    assert caught.value.failure is Failure.CONFLICT
    assert "was not created by this conversation's initiator" in caught.value.message
    assert rows(db, "SELECT count(*) FROM conversations") == [(0,)]
    members = fake_stream.state.channels[f"messaging:{cid}"].members
    assert list(members) == ["mallory"]  # refused, not repaired


def test_the_list_pages_newest_first(service: ConversationService) -> None:
    created = [service.create(OWNER, company_to_user(SAT, user)) for user in (AMR, NEW_USER)]
    as_sat = Profile("company", SAT)
    first = service.list(OWNER, as_sat, limit=1, offset=0)
    second = service.list(OWNER, as_sat, limit=1, offset=1)
    assert [c.conversation.id for c in first + second] == [created[1].id, created[0].id]
    assert service.list(OWNER, as_sat, limit=30, offset=2) == []


@pytest.mark.parametrize(
    ("limit", "offset", "error"),
    [
        (0, 0, "limit must be between 1 and 30"),
        (31, 0, "limit must be between 1 and 30"),
        (10, -1, "offset must be between 0 and 10000"),
    ],
)
def test_list_bounds_are_refused(
    service: ConversationService, limit: int, offset: int, error: str
) -> None:
    with pytest.raises(SyncError) as caught:
        service.list(OWNER, Profile("user", None), limit=limit, offset=offset)
    assert (caught.value.failure, caught.value.message) == (Failure.INVALID, error)


def test_a_custom_role_stream_lost_is_created_again_and_the_create_succeeds(
    service: ConversationService, fake_stream: InProcessStream
) -> None:
    service.create(OWNER, company_to_user(SAT, AMR))
    fake_stream.reset(configuration=True)  # Stream forgets the app's roles and users
    conversation = service.create(OWNER, company_to_user(SAT, AMR))
    assert f"messaging:{conversation.id}" in fake_stream.state.channels
    assert fake_stream.journal.count("CreateRole") == 1  # the journal was reset too
    assert fake_stream.state.users[f"onecrew_company_{SAT}"].role == "company"


def test_another_naming_names_every_stream_user_and_channel_its_way(
    db: str, fake_stream: InProcessStream
) -> None:
    service = ConversationService(
        db, fake_stream.client, naming=StreamNaming("acme-{kind}-{id}", "team")
    )
    conversation = service.create(OWNER, company_to_user(SAT, AMR))
    company, user = f"acme-company-{SAT}", f"acme-user-{AMR}"
    assert set(fake_stream.state.users) == {company, user}
    assert list(fake_stream.state.channels) == [f"team:{conversation.id}"]
    channel = fake_stream.state.channels[f"team:{conversation.id}"]
    assert list(channel.members) == [company, user]
    assert channel.created_by_id == company
    # channel ids are derived from the Stream ids: OneCrew's naming gives another one
    onecrew = ConversationService(db, fake_stream.client)
    assert conversation.id != onecrew.channel_id(
        "user_company", Identity(Kind.COMPANY, SAT), [Identity(Kind.USER, AMR)]
    )
    assert service.issue_token(AMR, Profile("user", None)).user_id == user
    fake_stream.client.channel("team", conversation.id).send_message({"text": "Hi Amr"}, company)
    (listed,) = service.list(AMR, Profile("user", None), limit=10, offset=0)
    assert listed.conversation.id == conversation.id
    assert listed.last_message is not None
    assert (listed.last_message.user_id, listed.unread_count) == (company, 1)


def test_a_proxy_and_ca_bundle_from_the_environment_still_reach_stream(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """The environment is read once, at start, instead of on every call: same settings."""
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    stream = StreamChat("key", "s" * 32)
    StreamCalls(stream, RetryPolicy())
    assert stream.session.proxies["https"] == "http://proxy.example:3128"
    assert stream.session.verify == str(bundle)

    monkeypatch.setenv("NO_PROXY", "chat.stream-io-api.com")
    bypassed = StreamChat("key", "s" * 32)
    StreamCalls(bypassed, RetryPolicy())
    assert "https" not in bypassed.session.proxies
