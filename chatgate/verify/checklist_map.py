"""The checklist map (chatgate.fixtures.targets.checklist) as verify shows it: the fix
brief's company-to-user checklist first, then the migration quick start's."""

from __future__ import annotations

from dataclasses import dataclass

TITLES = {
    "conversations": "Company to user (the fix brief's checklist)",
    "chat": "User-based chat (the migration quick start's checklist)",
}


@dataclass(frozen=True)
class Item:
    checklist: str
    section: str
    text: str
    scenarios: tuple[str, ...]


def items() -> list[Item]:
    """Every item of the map, grouped by checklist in TITLES' order."""
    from chatgate.fixtures.targets.checklist import load_checklist

    loaded = load_checklist()
    return [
        Item(TITLES[half], item.section, item.text, item.scenarios)
        for half in TITLES
        for item in loaded
        if item.half == half
    ]
