"""The chat scenarios have teeth: every known-bad chat (a bug of the old chat API, B3)
fails exactly the scenarios named for it, and the reference passes them all, in-process
and as an http target."""

from __future__ import annotations

import pytest

from chatgate.fixtures.chat import SERVED
from chatgate.fixtures.targets.chat_mutants import CHAT_MUTANTS
from chatgate.fixtures.targets.runner import Outcomes, survivors


@pytest.mark.parametrize("target", ["reference", SERVED])
def test_the_reference_chat_passes_every_scenario(chat_outcomes: Outcomes, target: str) -> None:
    """In-process and as an http target (the path a team's backend takes) alike."""
    reference = chat_outcomes[target]
    assert reference["failed"] == set()
    assert reference["skipped"] == set()
    assert len(reference["passed"]) >= 90


@pytest.mark.parametrize("mutant", sorted(CHAT_MUTANTS))
def test_each_chat_mutant_fails_exactly_the_scenarios_named_for_it(
    chat_outcomes: Outcomes, mutant: str
) -> None:
    mutation = CHAT_MUTANTS[mutant]
    outcome = chat_outcomes[f"mutant:{mutant}"]
    unknown, passed = survivors(outcome, mutation.killed_by)
    assert not unknown, f"no such scenario: {sorted(unknown)}"
    assert not passed, f"{mutant} ({mutation.bug}) passed {sorted(passed)}"
    others = outcome["failed"] - set(mutation.killed_by)
    assert not others, f"{mutant} also fails scenarios not named for it: {sorted(others)}"
