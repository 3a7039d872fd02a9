"""The checklist map holds: every item of the checklists (features/checklist.toml) names
scenarios that exist, and every chat item's scenarios pass against the reference."""

from __future__ import annotations

import pytest

from chatgate.fixtures.targets.checklist import HALVES, load_checklist, scenario_names
from chatgate.fixtures.targets.runner import Outcomes, features_dir

SEED_CHECKLIST = {  # the user-based chat quick start's Testing Checklist, word for word
    "Basic Messaging": ["Open chat modal", "Send text message", "Receive message",
                        "View message history"],
    "User Operations": ["Start new conversation", "View all conversations",
                        "Search conversations", "Delete conversation"],
    "Privacy": ["Block user", "Unblock user", "Update privacy settings",
                "Check blocked users list"],
    "Media": ["Send image", "Send file", "Record voice message", "Make voice/video call"],
}  # fmt: skip
COMPANY_TO_USER = 5  # the fix brief's cases


@pytest.fixture(scope="module")
def scenarios() -> dict[str, set[str]]:
    return {half: scenario_names(features_dir() / half) for half in HALVES}


def test_every_item_names_scenarios_that_exist(scenarios: dict[str, set[str]]) -> None:
    items = load_checklist()
    assert len({item.id for item in items}) == len(items), "two items share an id"
    for item in items:
        assert item.scenarios, f"{item.id} names no scenario"
        missing = set(item.scenarios) - scenarios[item.half]
        assert not missing, f"{item.id}: no such scenario in features/{item.half}: {missing}"


def test_the_map_covers_the_seed_checklist_and_the_company_to_user_cases() -> None:
    items = load_checklist()
    chat = {section: [i.text for i in items if i.section == section] for section in SEED_CHECKLIST}
    assert chat == SEED_CHECKLIST
    sections = {i.section for i in items if i.half == "chat"} - set(SEED_CHECKLIST)
    assert {"Migration"} == sections
    migration = {i.id for i in items if i.section == "Migration"}
    assert {"migration.role-switch", "migration.pre-migration-history"} <= migration
    assert len([i for i in items if i.half == "conversations"]) == COMPANY_TO_USER


def test_every_chat_item_passes_against_the_reference(chat_outcomes: Outcomes) -> None:
    reference = chat_outcomes["reference"]
    for item in load_checklist():
        if item.half == "chat":
            unproven = set(item.scenarios) - reference["passed"]
            assert not unproven, f"{item.id} ({item.text}): not passed on the reference: {unproven}"
