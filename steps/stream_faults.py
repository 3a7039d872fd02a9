"""Steps that make Stream fail, and check how the backend coped: its attempts and its
waits, read off the fake's journal (or the recorded waits in-process)."""

from __future__ import annotations

from pytest_bdd import given, parsers, then, when

from chatgate.fixtures.targets import Driver

from .common import Scenario

CREATE_CHANNEL, SYNC_USERS = "GetOrCreateChannel", "UpdateUsers"
FIXED_WAIT_S = 1.0  # the seed's fixed wait before creating a channel


@given("Stream Chat fails every channel creation with a server error")
def stream_fails_creations(driver: Driver) -> None:
    driver.stream.fail_every(CREATE_CHANNEL, status=500)


@given("Stream Chat cannot be reached")
def stream_unreachable(driver: Driver) -> None:
    driver.stream.drop_every_call()


@given(parsers.parse("Stream Chat fails the next channel creation with a {status:d}"))
def stream_fails_once(driver: Driver, status: int) -> None:
    driver.stream.fail_next(CREATE_CHANNEL, status=status)


@given(
    parsers.parse(
        "Stream Chat rate-limits the next user sync, its window resetting in {seconds:d} seconds"
    )
)
def stream_rate_limits(driver: Driver, seconds: int) -> None:
    driver.stream.rate_limit_next(SYNC_USERS, reset_in_s=seconds)


@given(
    parsers.parse(
        "Stream Chat shows newly synced users to channel operations only after {calls:d} attempts"
    )
)
def stream_lags(driver: Driver, calls: int) -> None:
    driver.stream.lag(calls)


@when("Stream Chat recovers")
def stream_recovers(driver: Driver) -> None:
    driver.stream.clear_faults()


@then(parsers.parse("Stream was asked to create the channel {times:d} times"))
def creation_attempts(driver: Driver, scenario_state: Scenario, times: int) -> None:
    attempts = driver.stream.attempts(CREATE_CHANNEL, scenario_state.channel_id)
    assert attempts == times, (
        f"expected {times} attempts to create the channel (the failed ones, then the first "
        f"success; other queries do not count); Stream's journal shows {attempts}"
    )


@then(parsers.parse("Stream was asked to sync users {times:d} times"))
def sync_attempts(driver: Driver, times: int) -> None:
    attempts = driver.stream.attempts(SYNC_USERS)
    assert attempts == times, (
        f"expected {times} attempts to sync the users (the failed ones, then the first "
        f"success); Stream's journal shows {attempts}"
    )


@then(parsers.parse("the backend waited at least {seconds:d} seconds before retrying"))
def waited(driver: Driver, seconds: int) -> None:
    pause = driver.pause_before_retry(SYNC_USERS)
    assert pause >= seconds, (
        f"expected the backend to wait at least {seconds} s, until Stream's rate-limit window "
        f"reset, before retrying; it retried after {pause:.2f} s"
    )


@then("the backend never waited a fixed time")
def never_waited(driver: Driver, scenario_state: Scenario) -> None:
    took = driver.sync_to_channel_s(scenario_state.channel_id)
    assert took < FIXED_WAIT_S / 2, (
        f"expected the channel created soon after the first user sync (verification, not a "
        f"wait); {took:.2f} s passed, a fixed wait (the seed waited {FIXED_WAIT_S:.0f} s)"
    )
