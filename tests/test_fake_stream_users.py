"""Users through the official sync SDK, in-process and over HTTP."""

from __future__ import annotations

import pytest
from stream_chat.base.exceptions import StreamAPIException

from tests.conftest import SDK, error_body, stream_error


def test_upsert_creates_users_with_default_role_and_flattened_custom_fields(sdk: SDK) -> None:
    response = sdk.client.upsert_users(
        [{"id": "amr", "name": "Amr", "favourite_colour": "teal"}, {"id": "sat", "role": "admin"}]
    )
    amr = response["users"]["amr"]
    assert amr["role"] == "user"
    assert amr["name"] == "Amr"
    assert amr["favourite_colour"] == "teal"
    assert amr["banned"] is False
    assert amr["online"] is False
    assert amr["created_at"].endswith("Z")
    assert response["users"]["sat"]["role"] == "admin"
    assert set(sdk.state.users) == {"amr", "sat"}


def test_upsert_replaces_custom_data_and_keeps_created_at(sdk: SDK) -> None:
    first = sdk.client.upsert_user({"id": "amr", "name": "Amr", "city": "Cairo"})["users"]["amr"]
    second = sdk.client.upsert_user({"id": "amr", "name": "Amr G"})["users"]["amr"]
    assert second["name"] == "Amr G"
    assert "city" not in second
    assert second["created_at"] == first["created_at"]


def test_reupsert_with_role_fixes_a_wrong_role(sdk: SDK) -> None:
    sdk.client.upsert_user({"id": "onecrew_company_1"})
    fixed = sdk.client.upsert_user({"id": "onecrew_company_1", "role": "admin"})
    assert fixed["users"]["onecrew_company_1"]["role"] == "admin"


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        ({"id": "has space"}, 'users[has space].id "has space" invalid ("^[@\\w-]*$" allowed)'),
        ({"id": "x" * 256}, f"users[{'x' * 256}].id max length exceeded (255)"),
        ({"id": "amr", "role": "superuser"}, 'users[amr].role "superuser" doesn\'t exist'),
        (
            {"id": "amr", "teams": "red"},
            "invalid field users[amr].teams: expected array, got string",
        ),
    ],
)
def test_upsert_rejects_invalid_users_with_stream_error_body(
    sdk: SDK, user: dict, reason: str
) -> None:
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.upsert_user(user)
    assert caught.value.status_code == 400
    assert error_body(caught.value) == stream_error("UpdateUsers", 4, 400, reason)
    assert sdk.state.users == {}


def test_upsert_rejects_reserved_fields_with_exception_fields(sdk: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.upsert_user({"id": "amr", "online": True, "created_at": "2020-01-01T00:00:00Z"})
    reasons = {
        "users[amr].created_at": "users[amr].created_at is a reserved field",
        "users[amr].online": "users[amr].online is a reserved field",
    }
    assert error_body(caught.value) == stream_error(
        "UpdateUsers", 4, 400, ", ".join(reasons.values()), exception_fields=reasons
    )


def test_upsert_batch_with_one_bad_user_writes_nothing(sdk: SDK) -> None:
    with pytest.raises(StreamAPIException):
        sdk.client.upsert_users([{"id": "good"}, {"id": "bad id"}])
    assert sdk.state.users == {}


def test_upsert_over_one_hundred_users_is_refused(sdk: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.upsert_users([{"id": f"u{i}"} for i in range(101)])
    assert error_body(caught.value)["message"] == (
        'UpdateUsers failed with error: "users must contain at most 100 items"'
    )


@pytest.fixture
def people(sdk: SDK) -> SDK:
    sdk.client.upsert_users(
        [
            {"id": "amr", "name": "Amr Gamal", "role": "user", "city": "Cairo", "age": 31},
            {"id": "amrog", "name": "Amrog", "role": "user", "city": "Giza", "age": 25},
            {"id": "sat", "name": "Sat Education", "role": "admin", "city": "Cairo"},
            {"id": "lolo", "name": "Lolo Academy", "role": "admin", "teams": ["blue"]},
        ]
    )
    return sdk


def _ids(response: dict) -> list[str]:
    return [u["id"] for u in response["users"]]


def test_query_users_filters_by_eq_in_and_custom_fields(people: SDK) -> None:
    q = people.client.query_users
    assert _ids(q({"id": "amr"})) == ["amr"]
    assert _ids(q({"id": {"$in": ["amr", "lolo", "nobody"]}})) == ["amr", "lolo"]
    assert _ids(q({"role": {"$eq": "admin"}})) == ["sat", "lolo"]
    assert _ids(q({"city": "Cairo", "role": "user"})) == ["amr"]
    assert _ids(q({"teams": {"$in": ["blue"]}})) == ["lolo"]
    assert _ids(q({"age": {"$gte": 30}})) == ["amr"]


def test_query_users_autocomplete_matches_word_prefixes_case_insensitively(people: SDK) -> None:
    q = people.client.query_users
    assert _ids(q({"name": {"$autocomplete": "amr"}})) == ["amr", "amrog"]
    assert _ids(q({"name": {"$autocomplete": "acad"}})) == ["lolo"]
    assert _ids(q({"id": {"$autocomplete": "am"}})) == ["amr", "amrog"]


def test_query_users_sorts_and_paginates(people: SDK) -> None:
    q = people.client.query_users
    assert _ids(q({}, [{"field": "name", "direction": -1}])) == ["sat", "lolo", "amrog", "amr"]
    assert _ids(q({}, {"age": 1}, limit=2, offset=1)) == ["lolo", "amrog"]
    assert _ids(q({"role": "admin"}, {"name": 1}, limit=1)) == ["lolo"]


def test_query_users_rejects_bad_filters_and_limits(people: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        people.client.query_users({"id": {"$exists": "yes"}})
    assert error_body(caught.value) == stream_error(
        "QueryUsers", 4, 400, "$exists operator only support boolean values"
    )
    with pytest.raises(StreamAPIException) as caught:
        people.client.query_users({}, limit=101)
    assert error_body(caught.value)["message"] == (
        'QueryUsers failed with error: "limit must be 100 or less"'
    )


def test_partial_update_sets_and_unsets_fields(people: SDK) -> None:
    response = people.client.update_user_partial(
        {"id": "amr", "set": {"city": "Alexandria", "prefs.theme": "dark"}, "unset": ["age"]}
    )
    amr = response["users"]["amr"]
    assert amr["city"] == "Alexandria"
    assert amr["prefs"] == {"theme": "dark"}
    assert "age" not in amr
    assert amr["name"] == "Amr Gamal"


def test_partial_update_of_unknown_user_is_an_input_error(people: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        people.client.update_user_partial({"id": "ghost", "set": {"name": "x"}})
    assert error_body(caught.value) == stream_error(
        "UpdateUsersPartial", 4, 400, "the user ghost does not exist"
    )


def test_deactivate_hides_user_from_queries_until_reactivated(people: SDK) -> None:
    deactivated = people.client.deactivate_user("amrog")["user"]
    assert "deactivated_at" in deactivated
    assert _ids(people.client.query_users({"id": "amrog"})) == []
    assert _ids(people.client.query_users({"id": "amrog"}, include_deactivated_users=True)) == [
        "amrog"
    ]
    reactivated = people.client.reactivate_user("amrog")["user"]
    assert "deactivated_at" not in reactivated
    assert _ids(people.client.query_users({"id": "amrog"})) == ["amrog"]


def test_soft_delete_keeps_the_record_hard_delete_removes_it(people: SDK) -> None:
    soft = people.client.delete_user("amrog")
    assert "deleted_at" in soft["user"]
    assert people.state.users["amrog"].deleted_at is not None
    assert _ids(people.client.query_users({"id": "amrog"})) == []
    people.client.delete_user("lolo", hard_delete=True)
    assert "lolo" not in people.state.users


def test_delete_user_marks_their_messages_deleted(people: SDK) -> None:
    channel = people.client.channel("messaging", "c1", {"members": ["amr", "sat"]})
    channel.create("sat")
    message_id = channel.send_message({"text": "hello"}, "amr")["message"]["id"]
    people.client.delete_user("amr", mark_messages_deleted=True)
    message = people.client.get_message(message_id)["message"]
    assert message["type"] == "deleted"


def test_delete_unknown_user_is_not_found(people: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        people.client.delete_user("ghost")
    assert error_body(caught.value) == stream_error(
        "DeleteUser", 16, 404, "user ghost does not exist"
    )


def test_batch_delete_returns_a_task_that_completes_with_per_user_results(people: SDK) -> None:
    task_id = people.client.delete_users(["amr", "amrog"], "hard")["task_id"]
    assert len(task_id) == 36
    task = people.client.get_task(task_id)
    assert task["status"] == "completed"
    assert task["result"] == {"amr": {"status": "ok"}, "amrog": {"status": "ok"}}
    assert "amr" not in people.state.users
    assert "amrog" not in people.state.users


def test_batch_delete_validates_delete_type(people: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        people.client.delete_users(["amr"], "vaporise")
    assert error_body(caught.value) == stream_error(
        "DeleteUsers", 4, 400, "user must be one of [soft pruning hard]"
    )
    assert people.state.users["amr"].deleted_at is None


def test_restore_users_brings_soft_deleted_users_back(people: SDK) -> None:
    people.client.delete_users(["amr"], "soft")
    assert _ids(people.client.query_users({"id": "amr"})) == []
    people.client.restore_users(["amr"])
    assert _ids(people.client.query_users({"id": "amr"})) == ["amr"]


def test_unknown_task_is_not_found(sdk: SDK) -> None:
    with pytest.raises(StreamAPIException) as caught:
        sdk.client.get_task("00000000-0000-4000-8000-000000000000")
    assert error_body(caught.value) == stream_error(
        "GetTask", 16, 404, 'Can\'t find task with id "00000000-0000-4000-8000-000000000000"'
    )
