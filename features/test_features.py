"""Collects every feature under features/ as pytest tests (steps: chatgate.steps).

`usefixtures("driver")` puts the target in each scenario's fixture closure, so
`--target` can parametrize it (steps request the driver only at run time).
"""

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.usefixtures("driver")

scenarios("conversations")
