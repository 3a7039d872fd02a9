"""What the fake checks of a user token before any handler runs: revocation (app-wide
and per user) and deactivation. Each test runs with the sync and async SDK,
in-process and over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import error_body, stream_error
from tests.sdk_api import Api

REVOKED = "JWTAuth error: token has been revoked"


@pytest.fixture
def people(api: Api) -> Api:
    api(lambda c: c.upsert_users([{"id": "amr"}, {"id": "lolo"}]))
    return api


@contextmanager
def signed(sdk: Api, user_id: str, issued: datetime | None) -> Iterator[Api]:
    """The client signing with `user_id`'s token, issued at `issued` (no `iat` if None)."""
    server_token = sdk.client.auth_token
    sdk.client.auth_token = sdk.client.create_token(user_id, iat=issued)
    try:
        yield sdk
    finally:
        sdk.client.auth_token = server_token


def _ago(seconds: int) -> datetime:
    return datetime.now(timezone.utc) - timedelta(seconds=seconds)


def _query_channels(c: Any) -> Any:
    return c.query_channels({"members": {"$in": ["amr"]}})


def test_revoke_tokens_refuses_user_tokens_issued_before_and_lets_later_ones_in(
    people: Api,
) -> None:
    people(lambda c: c.revoke_tokens(_ago(60).isoformat()))
    with signed(people, "amr", _ago(120)) as old:
        refused = old.fails(_query_channels)
    assert error_body(refused) == stream_error("QueryChannels", 5, 401, REVOKED)
    with signed(people, "amr", _ago(30)) as later:
        assert later(_query_channels)["channels"] == []
    # A token without `iat` cannot be revoked (contract §2.2), nor can the server's.
    with signed(people, "amr", None) as undated:
        assert undated(_query_channels)["channels"] == []
    assert people(lambda c: c.get_app_settings())["app"]


def test_lifting_the_revocation_lets_the_old_tokens_in_again(people: Api) -> None:
    people(lambda c: c.revoke_tokens(_ago(60).isoformat()))
    people(lambda c: c.update_app_settings(revoke_tokens_issued_before=None))
    with signed(people, "amr", _ago(120)) as old:
        assert old(_query_channels)["channels"] == []


def test_revoke_user_token_refuses_only_that_users_older_tokens(people: Api) -> None:
    people(lambda c: c.revoke_user_token("amr", _ago(60).isoformat()))
    with signed(people, "amr", _ago(120)) as old:
        refused = old.fails(_query_channels)
    assert error_body(refused) == stream_error("QueryChannels", 5, 401, REVOKED)
    with signed(people, "lolo", _ago(120)) as other:
        assert other(_query_channels)["channels"] == []


def test_a_deactivated_users_own_token_is_refused_on_every_route(people: Api) -> None:
    people(lambda c: c.deactivate_user("amr"))
    with signed(people, "amr", None) as deactivated:
        refused = deactivated.fails(_query_channels)
    assert error_body(refused) == stream_error("QueryChannels", 17, 403, "user amr is deactivated")
    people(lambda c: c.reactivate_user("amr"))
    with signed(people, "amr", None) as again:
        assert again(_query_channels)["channels"] == []
