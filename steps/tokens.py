"""Steps for the Stream token endpoint: who may ask, and what the answer holds."""

from __future__ import annotations

import jwt
from pytest_bdd import parsers, then, when

from chatgate.fixtures.targets import Driver

from .common import Scenario, said

TOKEN_FIELDS = ("token", "user_id", "api_key")


@when(parsers.parse('"{person}" asks for a Stream token as a user'))
def token_as_user(driver: Driver, scenario_state: Scenario, person: str) -> None:
    scenario_state.responses.append(driver.ask_token(driver.user(person)))


@when(parsers.parse('"{person}" asks for a Stream token acting as "{company}"'))
def token_as_company(driver: Driver, scenario_state: Scenario, person: str, company: str) -> None:
    response = driver.ask_token(driver.user(person), driver.company(company))
    scenario_state.responses.append(response)


@when(parsers.parse('"{person}" asks for a Stream token as a company without naming it'))
def token_without_company(driver: Driver, scenario_state: Scenario, person: str) -> None:
    response = driver.get_token(driver.user(person), {"profile_type": "company"})
    scenario_state.responses.append(response)


@when("someone who is not signed in asks for a Stream token")
def token_signed_out(driver: Driver, scenario_state: Scenario) -> None:
    scenario_state.responses.append(driver.get_token(None))


@when(parsers.parse('"{person}" asks for a Stream token with GET'))
def token_with_get(driver: Driver, scenario_state: Scenario, person: str) -> None:
    scenario_state.responses.append(driver.get_token(driver.user(person), method="GET"))


@then("the token is issued")
def token_issued(scenario_state: Scenario) -> None:
    response = scenario_state.last
    data = response.data if isinstance(response.data, dict) else {}
    missing = [name for name in TOKEN_FIELDS if not data.get(name)]
    expected = f"expected 200 with data.{', data.'.join(TOKEN_FIELDS)}; {said(response)}"
    assert response.status == 200, expected
    assert not missing, expected


@then(parsers.parse('the token is for "{name}"'))
def token_for(driver: Driver, scenario_state: Scenario, name: str) -> None:
    response = scenario_state.last
    data = response.data
    expected = driver.entity(name).stream_id
    api_key = driver.stream.credentials.api_key
    assert data["user_id"] == expected, (
        f"expected user_id {expected!r} (the Stream id of {name!r}); {said(response)}"
    )
    assert data["api_key"] == api_key, f"expected the app's api_key {api_key!r}; {said(response)}"
    try:
        claims = driver.stream.verify_user_token(data["token"])
    except jwt.InvalidTokenError as error:
        raise AssertionError(
            f"expected a token signed with the Stream app's secret (HS256), which Stream "
            f"would accept; checking it failed with {error}; {said(response)}"
        ) from None
    assert claims.get("user_id") == expected, (
        f"expected the token's user_id claim {expected!r}; its claims are {claims}"
    )


@then(parsers.parse('the token answer says profile "{profile}" with no company'))
def token_profile_user(scenario_state: Scenario, profile: str) -> None:
    response = scenario_state.last
    data = response.data
    assert (data.get("profile_type"), data.get("company_id")) == (profile, None), (
        f"expected profile_type {profile!r} and company_id null; {said(response)}"
    )


@then(parsers.parse('the token answer says profile "{profile}" with company "{company}"'))
def token_profile_company(
    driver: Driver, scenario_state: Scenario, profile: str, company: str
) -> None:
    response = scenario_state.last
    data, company_id = response.data, driver.company(company).id
    assert (data.get("profile_type"), data.get("company_id")) == (profile, company_id), (
        f"expected profile_type {profile!r} and company_id {company_id}; {said(response)}"
    )
