"""The migration's DDL passes squawk, the field's migration linter, except for the rules
it breaks on purpose, each named and justified in `ddl.DELIBERATE`."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from chatgate.reference.migration import ddl
from chatgate.reference.migration.apply import ApplyOptions

SQUAWK = Path(sys.executable).with_name("squawk")


def _findings(sql: str, tmp_path: Path) -> Counter[str]:
    script = tmp_path / "migration.sql"
    script.write_text(sql)
    done = subprocess.run(
        [str(SQUAWK), "--reporter", "gitlab", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return Counter(finding["check_name"] for finding in json.loads(done.stdout or "[]"))


def test_the_ddl_breaks_only_the_rules_it_breaks_on_purpose(tmp_path: Path) -> None:
    options = ApplyOptions()
    found = _findings(ddl.script(options.lock_timeout_ms, options.statement_timeout_ms), tmp_path)
    assert set(found) == set(ddl.DELIBERATE), (
        f"squawk found {dict(found)}; justified on purpose: {sorted(ddl.DELIBERATE)}"
    )


def test_squawk_catches_what_the_original_script_did(tmp_path: Path) -> None:
    # The original: a unique index built in place, with no timeouts set.
    found = _findings(
        "CREATE UNIQUE INDEX idx_chat_settings_user ON chat_settings (user_id);\n", tmp_path
    )
    assert {"require-concurrent-index-creation", "require-lock-timeout"} <= set(found)
