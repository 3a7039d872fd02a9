"""`--only-scenarios`: a target it lists runs only the scenarios it names; the others
run every scenario; a selection that cannot be right stops the run with a usage error."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chatgate.fixtures.targets.runner import features_dir

ROLES = "Roles are set when a company messages a user"
# A Scenario Outline row, by its rendered name.
OUTLINE_ROW = "A user_company channel id fits in 64 characters"


def collect(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """Collect the conversation features against the reference and one mutant."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "pytest", str(features_dir() / "test_features.py")),
            *("--collect-only", "-q", "-p", "no:cacheprovider"),
            *("--target=reference", "--target=mutant:no-role", *options),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def selection(tmp_path: Path, content: object) -> str:
    path = tmp_path / "only.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return f"--only-scenarios={path}"


def test_a_listed_target_runs_only_its_scenarios_and_the_others_run_all(tmp_path: Path) -> None:
    everything = collect(tmp_path)
    assert everything.returncode == 0, everything.stdout + everything.stderr
    chosen = collect(tmp_path, selection(tmp_path, {"mutant:no-role": [ROLES, OUTLINE_ROW]}))
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr

    def ids(done: subprocess.CompletedProcess[str], target: str) -> list[str]:
        return [line for line in done.stdout.splitlines() if f"[{target}" in line]

    assert ids(chosen, "reference") == ids(everything, "reference")
    assert len(ids(everything, "reference")) >= 40
    mutant = ids(chosen, "mutant:no-role")
    assert len(mutant) == 2, mutant
    assert any("roles_are_set_when_a_company_messages_a_user" in i for i in mutant), mutant
    assert any("channel_id_fits_in_64_characters" in i for i in mutant), mutant
    assert "deselected" in chosen.stdout


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ({"mutant:no-such": [ROLES]}, "names targets this run does not have: mutant:no-such"),
        ({"mutant:no-role": ROLES}, "'mutant:no-role' must map to a list of scenario names"),
        (["mutant:no-role"], "expected a JSON object of target labels"),
        ("{not json", "not JSON"),
    ],
    ids=["unknown-target", "names-not-a-list", "not-an-object", "not-json"],
)
def test_a_selection_that_cannot_be_right_is_a_usage_error(
    tmp_path: Path, content: object, said: str
) -> None:
    done = collect(tmp_path, selection(tmp_path, content))
    assert done.returncode == pytest.ExitCode.USAGE_ERROR, done.stdout + done.stderr
    assert said in done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr


def test_a_missing_selection_file_is_a_usage_error(tmp_path: Path) -> None:
    done = collect(tmp_path, f"--only-scenarios={tmp_path / 'absent.json'}")
    assert done.returncode == pytest.ExitCode.USAGE_ERROR
    assert "cannot read it" in done.stderr
