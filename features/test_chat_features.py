"""Collects every feature under chat/ (the user-based chat) as pytest tests.

They run against `--chat-target` (the reference, `mutant:<name>` or a backend's URL),
over HTTP. The steps and the `chat` driver come from chatgate's pytest plugin;
`usefixtures("chat")` puts the target in each scenario's fixture closure, so
`--chat-target` can parametrize it.
"""

from pathlib import Path

import pytest
from pytest_bdd import scenarios

pytestmark = pytest.mark.usefixtures("chat")

scenarios(str(Path(__file__).with_name("chat")))
