"""Collects every feature under migration/ as pytest tests.

They run against `--migration` (the reference, or `mutant:<name>`) or a team's own
script (`--migration-command "CMD"`), each scenario on a fresh generated legacy
database. The steps and the `migration` driver come from chatgate's pytest plugin.
"""

from pathlib import Path

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.usefixtures("migration")

scenarios(str(Path(__file__).with_name("migration")))
