"""Verified tokens are cached, and a cached token behaves exactly like a fresh one."""

from __future__ import annotations

import warnings

import jwt
import pytest
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream import FakeStream
from chatgate.fakes.stream.auth import TokenCache
from chatgate.fakes.stream.errors import StreamError
from chatgate.fakes.stream.inprocess import InProcessStream
from tests.conftest import error_body, stream_error

USER = "amr"


def _user_client(stream: InProcessStream, **claims: int) -> StreamChat:
    client = StreamChat(stream.api_key, stream.api_secret)
    client.auth_token = jwt.encode({"user_id": USER, **claims}, stream.api_secret, "HS256")
    return client


def _query(client: StreamChat) -> object:
    return client.query_channels({"members": {"$in": [USER]}})


def test_a_token_used_many_times_still_expires_when_the_fake_clock_passes_exp(
    fake_stream: InProcessStream,
) -> None:
    fake_stream.client.upsert_user({"id": USER})
    now = int(fake_stream.fake.clock.freeze().timestamp())
    client = _user_client(fake_stream, exp=now + 60)
    for _ in range(3):
        _query(client)
    fake_stream.fake.clock.advance(60)
    with pytest.raises(StreamAPIException) as caught:
        _query(client)
    assert error_body(caught.value) == stream_error(
        "QueryChannels", 40, 401, "JWTAuth error: token is expired (exp)"
    )


@pytest.mark.parametrize(
    ("claim", "code", "reason"),
    [
        ("nbf", 41, "JWTAuth error: token is not valid yet (nbf)"),
        ("iat", 42, "JWTAuth error: token used before issued (iat)"),
    ],
)
def test_a_refused_early_token_is_accepted_once_the_fake_clock_reaches_it(
    fake_stream: InProcessStream, claim: str, code: int, reason: str
) -> None:
    fake_stream.client.upsert_user({"id": USER})
    now = int(fake_stream.fake.clock.freeze().timestamp())
    client = _user_client(fake_stream, **{claim: now + 60})
    for _ in range(2):
        with pytest.raises(StreamAPIException) as caught:
            _query(client)
        assert error_body(caught.value) == stream_error("QueryChannels", code, 401, reason)
    fake_stream.fake.clock.advance(60)
    assert _query(client)["channels"] == []


def test_a_token_accepted_by_one_app_is_refused_by_an_app_with_another_secret() -> None:
    fake = FakeStream()
    fake.register_app("first", "first-secret-long-enough-for-hs256-keys")
    fake.register_app("second", "second-secret-long-enough-for-hs256-keys")
    token = jwt.encode({"server": True}, "first-secret-long-enough-for-hs256-keys", "HS256")
    headers = {"Authorization": token, "stream-auth-type": "jwt"}
    assert fake.dispatch("GET", "/app", "api_key=first", headers, b"").status == 200
    refused = fake.dispatch("GET", "/app", "api_key=second", headers, b"")
    assert refused.status == 401
    assert refused.json()["message"] == 'GetApp failed with error: "Token signature is invalid"'
    assert fake.dispatch("GET", "/app", "api_key=first", headers, b"").status == 200


def test_the_cache_keeps_at_most_its_capacity_and_still_verifies_evicted_tokens() -> None:
    cache = TokenCache(capacity=4)
    secret = "a-secret-long-enough-for-hs256-signatures"
    tokens = [jwt.encode({"user_id": f"u{n}"}, secret, "HS256") for n in range(10)]
    for token in tokens:
        cache.claims(token, secret)
    assert len(cache) == 4
    assert cache.claims(tokens[0], secret) == {"user_id": "u0"}
    assert len(cache) == 4
    with pytest.raises(StreamError) as caught:
        cache.claims(tokens[0], "another-secret-long-enough-for-hs256-xx")
    assert caught.value.reason == "Token signature is invalid"


def test_a_secret_under_32_bytes_works_without_a_warning_per_request() -> None:
    short = "short-secret"  # Stream accepts it; PyJWT would warn on every verification
    fake = FakeStream()
    fake.register_app("short-key", short)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the signing side's warning is not the fake's
        users = [jwt.encode({"user_id": f"u{n}"}, short, "HS256") for n in range(3)]
        server = jwt.encode({"server": True}, short, "HS256")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        statuses = [
            fake.dispatch(
                "GET",
                "/app",
                "api_key=short-key",
                {"Authorization": token, "stream-auth-type": "jwt"},
                b"",
            ).status
            for token in [*users, server, server]
        ]
    assert [str(w.message) for w in seen] == []
    # Verified: users are refused the server-only GetApp (403), the server is answered.
    assert statuses == [403, 403, 403, 200, 200]
