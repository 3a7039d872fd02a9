"""Collects every feature under conversations/ as pytest tests.

The steps and the `driver` come from chatgate's pytest plugin, so this runs the same
from the checkout (`pytest features`) and installed (`pytest --pyargs chatgate.features`).
`usefixtures("driver")` puts the target in each scenario's fixture closure, so
`--target` can parametrize it (steps request the driver only at run time).
"""

from pathlib import Path

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.usefixtures("driver")

# Next to this module, wherever it is installed (not bdd_features_base_dir's).
scenarios(str(Path(__file__).with_name("conversations")))
