"""Steps that seed people and companies in the backend, and what Stream already knows
of them before the scenario starts."""

from __future__ import annotations

from pytest_bdd import given, parsers

from chatgate.fixtures.targets import Driver


@given(parsers.parse('the company "{company}" is run by "{person}" as its {role}'))
def company_run_by(driver: Driver, company: str, person: str, role: str) -> None:
    driver.member(driver.company(company), driver.user(person), role)


@given(parsers.re(r'the user "(?P<person>[^"]+)" is an? (?P<role>\w+) of "(?P<company>[^"]+)"$'))
def user_with_role(driver: Driver, person: str, role: str, company: str) -> None:
    driver.member(driver.company(company), driver.user(person), role)


@given(parsers.re(r'the user "(?P<person>[^"]+)"$'))
def a_user(driver: Driver, person: str) -> None:
    driver.user(person)


@given(parsers.parse('"{name}" has already used chat'))
def has_used_chat(driver: Driver, name: str) -> None:
    entity = driver.entity(name)
    driver.stream.connect_as(entity.stream_id, entity.name)


@given(parsers.parse('"{name}" has never used chat'))
def has_never_used_chat(driver: Driver, name: str) -> None:
    stream_id = driver.entity(name).stream_id
    user = driver.stream.user(stream_id)
    assert user is None, f"expected Stream to know no {stream_id!r} yet; it has {user}"
