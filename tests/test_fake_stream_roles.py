"""Custom roles (`create_role`, `list_roles`, `delete_role`) and what each role
may do client-side, through the official sync SDK, in-process and over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream.server import FakeStreamServer
from tests.conftest import SDK, error_body, stream_error

BUILT_IN = ["user", "admin", "guest", "anonymous", "channel_member", "channel_moderator"]


def _names(roles: list[dict[str, Any]]) -> list[str]:
    return [role["name"] for role in roles]


def _as_user(sdk: SDK, user_id: str) -> StreamChat:
    client = sdk.make_client()
    client.auth_token = client.create_token(user_id)
    return client


def _refused(call: Any) -> dict[str, Any]:
    with pytest.raises(StreamAPIException) as caught:
        call()
    return error_body(caught.value)


# -- custom roles ---------------------------------------------------------------------


def test_a_user_can_be_given_a_custom_role_once_it_is_created(sdk: SDK) -> None:
    refused = _refused(lambda: sdk.client.upsert_user({"id": "sat", "role": "company"}))
    assert refused == stream_error(
        "UpdateUsers", 4, 400, 'users[sat].role "company" doesn\'t exist'
    )
    created = sdk.client.create_role("company")
    assert created.status_code() == 201
    assert created["role"]["name"] == "company"
    assert created["role"]["custom"] is True
    upserted = sdk.client.upsert_user({"id": "sat", "role": "company"})
    assert upserted["users"]["sat"]["role"] == "company"
    assert sdk.client.query_users({"role": "company"})["users"][0]["id"] == "sat"


def test_an_unknown_role_is_still_refused_after_custom_roles_exist(sdk: SDK) -> None:
    sdk.client.create_role("company")
    refused = _refused(lambda: sdk.client.upsert_user({"id": "sat", "role": "companies"}))
    assert refused == stream_error(
        "UpdateUsers", 4, 400, 'users[sat].role "companies" doesn\'t exist'
    )
    assert "sat" not in sdk.state.users


def test_a_channel_level_role_is_not_a_user_role(sdk: SDK) -> None:
    refused = _refused(lambda: sdk.client.upsert_user({"id": "sat", "role": "channel_member"}))
    assert refused["code"] == 4
    assert "sat" not in sdk.state.users


def test_a_partial_update_can_switch_a_user_to_a_custom_role(sdk: SDK) -> None:
    sdk.client.upsert_user({"id": "sat"})
    sdk.client.create_role("company")
    updated = sdk.client.update_user_partial({"id": "sat", "set": {"role": "company"}})
    assert updated["users"]["sat"]["role"] == "company"


def test_list_roles_shows_the_built_in_roles_then_the_custom_ones(sdk: SDK) -> None:
    sdk.client.create_role("company")
    sdk.client.create_role("school")
    roles = sdk.client.list_roles()["roles"]
    assert _names(roles) == [*BUILT_IN, "company", "school"]
    assert {r["name"]: r["custom"] for r in roles} == {
        **dict.fromkeys(BUILT_IN, False),
        "company": True,
        "school": True,
    }
    assert all(set(r) == {"name", "custom", "scopes", "created_at", "updated_at"} for r in roles)


@pytest.mark.parametrize("name", ["admin", "channel_moderator", "company"])
def test_creating_a_role_that_exists_is_refused(sdk: SDK, name: str) -> None:
    sdk.client.create_role("company")
    refused = _refused(lambda: sdk.client.create_role(name))
    assert refused == stream_error("CreateRole", 4, 400, f'role "{name}" already exists')
    assert _names(sdk.client.list_roles()["roles"]).count(name) == 1


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "name is a required field"),
        ("a b", 'name "a b" invalid ("^[\\w-]*$" allowed)'),
        ("x" * 65, "name max length exceeded (64)"),
        (5, "invalid field name: expected string, got number"),
    ],
    ids=["empty", "space", "65 characters", "number"],
)
def test_a_role_name_that_is_not_an_id_is_refused(sdk: SDK, name: Any, reason: str) -> None:
    refused = _refused(lambda: sdk.client.post("roles", data={"name": name}))
    assert refused == stream_error("CreateRole", 4, 400, reason)
    assert _names(sdk.client.list_roles()["roles"]) == BUILT_IN


def test_a_deleted_custom_role_can_no_longer_be_given(sdk: SDK) -> None:
    sdk.client.create_role("company")
    assert sdk.client.delete_role("company").status_code() == 200
    assert "company" not in _names(sdk.client.list_roles()["roles"])
    refused = _refused(lambda: sdk.client.upsert_user({"id": "sat", "role": "company"}))
    assert refused["code"] == 4


@pytest.mark.parametrize("name", ["admin", "user", "channel_member"])
def test_a_built_in_role_cannot_be_deleted(sdk: SDK, name: str) -> None:
    refused = _refused(lambda: sdk.client.delete_role(name))
    assert refused == stream_error(
        "DeleteRole", 4, 400, f'role "{name}" is a built-in role and cannot be deleted'
    )
    assert name in _names(sdk.client.list_roles()["roles"])


def test_deleting_a_role_that_does_not_exist_is_refused(sdk: SDK) -> None:
    refused = _refused(lambda: sdk.client.delete_role("rockstar"))
    assert refused == stream_error("DeleteRole", 4, 400, 'role "rockstar" does not exist')


def test_a_role_still_held_by_a_user_cannot_be_deleted_until_the_user_moves(sdk: SDK) -> None:
    sdk.client.create_role("company")
    sdk.client.upsert_users([{"id": "sat", "role": "company"}, {"id": "lolo", "role": "company"}])
    refused = _refused(lambda: sdk.client.delete_role("company"))
    assert refused == stream_error(
        "DeleteRole",
        4,
        400,
        'role "company" cannot be deleted, at least one user is using this role (ie. "sat")',
    )
    sdk.client.upsert_users([{"id": "sat", "role": "admin"}, {"id": "lolo", "role": "user"}])
    sdk.client.delete_role("company")
    assert "company" not in _names(sdk.client.list_roles()["roles"])


def test_role_endpoints_are_server_only(sdk: SDK) -> None:
    sdk.client.upsert_user({"id": "amr"})
    amr = _as_user(sdk, "amr")
    for call, operation in (
        (lambda: amr.create_role("company"), "CreateRole"),
        (amr.list_roles, "ListRoles"),
        (lambda: amr.delete_role("company"), "DeleteRole"),
    ):
        assert _refused(call) == stream_error(
            operation,
            17,
            403,
            f"User 'amr' with role 'user' is not allowed to perform action {operation} in "
            "scope 'app'",
        )
    assert "company" not in sdk.state.roles


def test_the_state_dump_shows_custom_roles_and_reset_keeps_them(
    fake_stream_server: FakeStreamServer,
) -> None:
    client = fake_stream_server.client()
    client.create_role("company")
    state_url = f"{fake_stream_server.base_url}/_fake/state"
    roles = requests.get(state_url, timeout=10).json()["custom_roles"]
    assert [(r["name"], r["custom"]) for r in roles] == [("company", True)]
    client.upsert_user({"id": "sat", "role": "company"})
    assert requests.post(f"{fake_stream_server.base_url}/_fake/reset", timeout=10).ok
    after = requests.get(state_url, timeout=10).json()
    assert [r["name"] for r in after["custom_roles"]] == ["company"]
    assert after["users"] == []
    assert _names(client.list_roles()["roles"]) == [*BUILT_IN, "company"]


def test_a_reset_of_the_configuration_forgets_custom_roles(
    fake_stream_server: FakeStreamServer,
) -> None:
    client = fake_stream_server.client()
    client.create_role("company")
    reset = requests.post(
        f"{fake_stream_server.base_url}/_fake/reset", json={"configuration": True}, timeout=10
    )
    assert reset.ok
    assert _names(client.list_roles()["roles"]) == BUILT_IN
    bad = requests.post(
        f"{fake_stream_server.base_url}/_fake/reset", json={"configuration": "yes"}, timeout=10
    )
    assert (bad.status_code, bad.json()["error"]) == (400, "configuration must be true or false")


# -- what each role may do client-side -------------------------------------------------


@pytest.fixture
def people(sdk: SDK) -> SDK:
    """Users of every kind of role, and a channel with a guest and a custom-role member."""
    sdk.client.create_role("company")
    sdk.client.upsert_users(
        [
            {"id": "ops", "role": "admin"},
            {"id": "amr", "role": "user"},
            {"id": "visitor", "role": "guest"},
            {"id": "nobody", "role": "anonymous"},
            {"id": "sat", "role": "company"},
            {"id": "lolo", "role": "company"},
        ]
    )
    sdk.client.channel("messaging", "c1", {"members": ["amr", "sat", "visitor"]}).create("amr")
    return sdk


@pytest.mark.parametrize("user_id", ["sat", "visitor", "amr"])
def test_a_member_of_any_role_reads_and_writes_its_channel(people: SDK, user_id: str) -> None:
    client = _as_user(people, user_id).channel("messaging", "c1")
    assert client.query()["membership"]["user_id"] == user_id
    sent = client.send_message({"text": f"from {user_id}"}, user_id)
    assert sent["message"]["user"]["id"] == user_id


@pytest.mark.parametrize(("user_id", "role"), [("lolo", "company"), ("nobody", "anonymous")])
def test_a_non_member_of_any_role_but_admin_cannot_read_a_channel(
    people: SDK, user_id: str, role: str
) -> None:
    refused = _refused(lambda: _as_user(people, user_id).channel("messaging", "c1").query())
    assert refused == stream_error(
        "GetOrCreateChannel",
        17,
        403,
        f"User '{user_id}' with role '{role}' is not allowed to perform action ReadChannel in "
        "scope 'messaging'",
    )


def test_an_admin_writes_to_a_channel_it_is_not_a_member_of(people: SDK) -> None:
    ops = _as_user(people, "ops").channel("messaging", "c1")
    assert (
        ops.send_message({"text": "maintenance tonight"}, "ops")["message"]["user"]["id"] == "ops"
    )


@pytest.mark.parametrize("user_id", ["amr", "ops"])
def test_users_and_admins_create_channels_client_side(people: SDK, user_id: str) -> None:
    client = _as_user(people, user_id)
    by_id = client.channel("messaging", f"new-{user_id}", {"members": [user_id, "sat"]})
    assert by_id.create(user_id)["channel"]["created_by"]["id"] == user_id
    distinct = client.channel("messaging", data={"members": [user_id, "lolo"]}).create(user_id)
    assert distinct["channel"]["id"].startswith("!members-")
    assert distinct["channel"]["created_by"]["id"] == user_id


@pytest.mark.parametrize(
    ("user_id", "role"), [("sat", "company"), ("visitor", "guest"), ("nobody", "anonymous")]
)
def test_other_roles_cannot_create_a_channel_client_side(
    people: SDK, user_id: str, role: str
) -> None:
    client = _as_user(people, user_id)
    expected = stream_error(
        "GetOrCreateChannel",
        17,
        403,
        f"User '{user_id}' with role '{role}' is not allowed to perform action CreateChannel in "
        "scope 'messaging'",
    )
    new = client.channel("messaging", "new", {"members": [user_id, "amr"]})
    assert _refused(lambda: new.create(user_id)) == expected
    distinct = client.channel("messaging", data={"members": [user_id, "amr"]})
    assert _refused(lambda: distinct.create(user_id)) == {
        **expected,
        "message": expected["message"].replace("GetOrCreateChannel", "GetOrCreateDistinctChannel"),
    }
    assert set(people.state.channels) == {"messaging:c1"}


@pytest.mark.parametrize("field", ["created_by", "created_by_id"])
def test_a_user_token_cannot_create_a_channel_in_another_users_name(
    people: SDK, field: str
) -> None:
    creator: Any = {"id": "ops"} if field == "created_by" else "ops"
    amr = _as_user(people, "amr")
    body = {"data": {field: creator, "members": ["amr", "ops"]}, "state": True}
    for path in ("channels/messaging/spoofed/query", "channels/messaging/c1/query"):
        refused = _refused(lambda path=path: amr.post(path, data=body))
        assert refused == stream_error(
            "GetOrCreateChannel", 17, 403, "user amr cannot act on behalf of user ops"
        )
    assert set(people.state.channels) == {"messaging:c1"}


def test_a_user_token_may_name_itself_as_the_creator(people: SDK) -> None:
    amr = _as_user(people, "amr")
    state = amr.post(
        "channels/messaging/own/query",
        data={"data": {"created_by_id": "amr", "members": ["amr"]}, "state": True},
    )
    assert state["channel"]["created_by"]["id"] == "amr"
    assert people.state.channels["messaging:own"].created_by_id == "amr"
