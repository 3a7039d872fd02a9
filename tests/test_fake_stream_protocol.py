"""Auth, headers, bodies and routing: what every SDK call relies on."""

from __future__ import annotations

import json
import time
import warnings

import jwt
import pytest
import requests
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream.server import FakeStreamServer
from tests.conftest import SDK, error_body, stream_error


class _RewritingSession(requests.Session):
    """A requests session the SDK uses, that changes headers on the way out."""

    def __init__(self, drop: tuple[str, ...] = (), set_headers: dict | None = None) -> None:
        super().__init__()
        self._drop = drop
        self._set = set_headers or {}

    def request(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
        headers = dict(kwargs.get("headers") or {})
        for name in self._drop:
            headers.pop(name, None)
        headers.update(self._set)
        kwargs["headers"] = headers
        return super().request(method, url, **kwargs)


def test_wrong_secret_is_refused_with_code_5(sdk: SDK) -> None:
    client = sdk.make_client(api_secret="not-the-secret-of-this-app-at-all-xx")
    with pytest.raises(StreamAPIException) as caught:
        client.upsert_user({"id": "amr"})
    assert caught.value.status_code == 401
    assert error_body(caught.value) == stream_error(
        "UpdateUsers", 5, 401, "Token signature is invalid"
    )
    assert sdk.state.users == {}


def test_unknown_api_key_is_refused_with_code_2(sdk: SDK) -> None:
    client = sdk.make_client(api_key="someone-elses-key")
    with pytest.raises(StreamAPIException) as caught:
        client.get_app_settings()
    assert error_body(caught.value) == stream_error("GetApp", 2, 401, "api_key is invalid")


def test_missing_api_key_is_refused_with_code_2(sdk: SDK) -> None:
    client = sdk.make_client(api_key="")
    with pytest.raises(StreamAPIException) as caught:
        client.query_users({"id": "amr"})
    assert error_body(caught.value) == stream_error("QueryUsers", 2, 401, "api_key not provided")


def test_missing_token_is_refused_with_code_5(sdk: SDK) -> None:
    sdk.client.set_http_session(_RewritingSession(drop=("Authorization",)))
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.upsert_user({"id": "amr"})
    assert error_body(caught.value) == stream_error(
        "UpdateUsers", 5, 401, "JWTAuth error: token contains an invalid number of segments"
    )


def test_wrong_auth_type_is_refused_with_code_5(sdk: SDK) -> None:
    sdk.client.set_http_session(_RewritingSession(set_headers={"stream-auth-type": "anonymous"}))
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.query_channels({})
    assert error_body(caught.value) == stream_error(
        "QueryChannels", 5, 401, "stream-auth-type missing or invalid"
    )


def test_token_signed_with_another_algorithm_is_refused(sdk: SDK) -> None:
    with warnings.catch_warnings():  # PyJWT warns that the dev secret is short for HS512
        warnings.simplefilter("ignore")
        token = jwt.encode({"server": True}, sdk.client.api_secret, algorithm="HS512")
    sdk.client.auth_token = token
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.get_app_settings()
    assert error_body(caught.value)["code"] == 5


def test_expired_user_token_is_refused_with_code_40(sdk: SDK) -> None:
    sdk.client.upsert_user({"id": "amr"})
    sdk.client.auth_token = sdk.client.create_token("amr", exp=int(time.time()) - 60)
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.query_channels({"members": {"$in": ["amr"]}})
    assert error_body(caught.value) == stream_error(
        "QueryChannels", 40, 401, "JWTAuth error: token is expired (exp)"
    )


def test_user_token_cannot_call_server_only_operations(sdk: SDK) -> None:
    sdk.client.upsert_user({"id": "amr"})
    sdk.client.auth_token = sdk.client.create_token("amr")
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.upsert_user({"id": "amr", "role": "admin"})
    assert error_body(caught.value) == stream_error(
        "UpdateUsers",
        17,
        403,
        "User 'amr' with role 'user' is not allowed to perform action UpdateUsers in scope 'app'",
    )
    assert sdk.state.users["amr"].role == "user"


def test_every_response_is_json_with_duration_and_lowercase_rate_limit_headers(sdk: SDK) -> None:
    response = sdk.client.get_app_settings()
    assert response.status_code() == 200
    assert set(response) == {"app", "duration"}
    assert response["duration"].endswith("ms")
    headers = {k.lower(): v for k, v in response.headers().items()}
    assert headers["content-type"] == "application/json"
    limits = response.rate_limit()
    assert limits is not None
    assert limits.limit > 0
    assert limits.remaining > 0
    assert limits.reset.timestamp() > time.time()


def test_rate_limit_remaining_counts_down_per_operation(sdk: SDK) -> None:
    first = sdk.client.get_app_settings().rate_limit()
    second = sdk.client.get_app_settings().rate_limit()
    other = sdk.client.query_users({}).rate_limit()
    assert second.remaining == first.remaining - 1
    assert other.remaining == other.limit - 1


def test_unknown_route_gets_a_stream_shaped_404(sdk: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.get("no/such/endpoint")
    assert error_body(caught.value) == stream_error(
        "Unknown",
        16,
        404,
        "GET /no/such/endpoint is not a Stream Chat endpoint implemented by chatgate's fake",
    )


def test_channel_types_are_seeded_and_unknown_type_is_404(sdk: SDK) -> None:
    types = sdk.client.list_channel_types()["channel_types"]
    assert {"messaging", "livestream", "team", "gaming", "commerce", "ai"} <= set(types)
    assert sdk.client.get_channel_type("messaging")["name"] == "messaging"
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.get_channel_type("nope")
    assert caught.value.status_code == 404


def test_sdk_reaches_the_server_through_stream_chat_url(
    fake_stream_server: FakeStreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STREAM_CHAT_URL", fake_stream_server.base_url)
    client = StreamChat(fake_stream_server.api_key, fake_stream_server.api_secret)
    client.upsert_user({"id": "amr"})
    assert "amr" in fake_stream_server.state.users


def test_trailing_slash_base_url_still_routes(fake_stream_server: FakeStreamServer) -> None:
    client = fake_stream_server.client()
    client.base_url = fake_stream_server.base_url + "/"
    assert client.upsert_user({"id": "amr"})["users"]["amr"]["id"] == "amr"


def _signed_headers(server: FakeStreamServer) -> dict[str, str]:
    token = jwt.encode({"server": True}, server.api_secret, algorithm="HS256")
    return {"Authorization": token, "stream-auth-type": "jwt"}


def test_malformed_json_body_is_an_input_error(fake_stream_server: FakeStreamServer) -> None:
    response = requests.post(
        f"{fake_stream_server.base_url}/users",
        params={"api_key": fake_stream_server.api_key},
        headers=_signed_headers(fake_stream_server),
        data=b'{"users": {',
        timeout=5,
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["code"] == 4
    assert body["message"].startswith('UpdateUsers failed with error: "invalid JSON request body')


def test_non_object_json_body_is_an_input_error(fake_stream_server: FakeStreamServer) -> None:
    response = requests.post(
        f"{fake_stream_server.base_url}/users",
        params={"api_key": fake_stream_server.api_key},
        headers=_signed_headers(fake_stream_server),
        data=json.dumps(["amr"]),
        timeout=5,
    )
    assert response.json()["message"] == (
        'UpdateUsers failed with error: "the request body must be a JSON object"'
    )


def test_docs_coverage_table_matches_the_route_table() -> None:
    from pathlib import Path

    from chatgate.fakes.stream.coverage import render_into

    doc = Path(__file__).resolve().parents[1] / "docs" / "fake-stream.md"
    text = doc.read_text()
    assert render_into(text) == text, "run: python -m chatgate.fakes.stream.coverage"
