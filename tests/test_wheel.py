"""chatgate as a user gets it: its wheel, installed (not editable) in a fresh virtual
environment outside the checkout, carries every module and data file of the source
folders and runs the conversation scenarios against the reference.

Speed: the wheel is built without build isolation, and the fresh environment gets only
chatgate itself (`--no-deps`); its dependencies are the dev environment's, made
importable by a `.pth` line naming that site-packages as a plain path. A plain path is
not processed as a site directory, so the dev environment's editable chatgate (its own
`.pth` finder) stays out and `import chatgate` finds the installed copy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import pytest

from chatgate.fixtures.targets.checklist import load_checklist
from chatgate.postgres import DATABASE_URL_ENV, PostgresServer

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest depends on tomli there
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]
STEP_TIMEOUT_S = 300


@dataclass(frozen=True)
class Installed:
    python: Path  # the fresh environment's interpreter
    prefix: Path  # that environment's root, outside the checkout
    workdir: Path  # an empty directory outside the checkout to run from


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=STEP_TIMEOUT_S, check=False, **kwargs
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"
    return done


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment minus anything that would put the checkout on the path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, **extra}


def _source_files() -> dict[str, Path]:
    """{path inside the wheel: source file} for every file git sees in the package folders."""
    package_dir = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"
    ]
    listed = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--",
         *package_dir.values()],
        cwd=REPO,
    ).stdout  # fmt: skip
    files = {}
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if not source.is_file():  # deleted in the work tree, not yet committed
            continue
        for package, folder in package_dir.items():
            if name.startswith(f"{folder}/"):
                inside = PurePosixPath(*package.split(".")) / PurePosixPath(name).relative_to(
                    folder
                )
                files[str(inside)] = source
    return files


@pytest.fixture(scope="module")
def source_files() -> dict[str, Path]:
    return _source_files()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory, source_files: dict[str, Path]) -> Path:
    """The wheel, built from a copy of the work tree (no build/ or egg-info left in it)."""
    if int(metadata.version("setuptools").split(".")[0]) < 77:
        pytest.fail("the dev environment's setuptools is older than 77: run `make venv`")
    src, dist = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("dist")
    for name in [*source_files.values(), REPO / "pyproject.toml", REPO / "README.md"]:
        target = src / name.relative_to(REPO)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(name.read_bytes())
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--wheel-dir", str(dist), str(src)],
        env=_clean_env(),
    )  # fmt: skip
    (built,) = dist.glob("chatgate-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Installed:
    prefix = tmp_path_factory.mktemp("venv")
    assert not prefix.is_relative_to(REPO)
    _run([sys.executable, "-m", "venv", "--without-pip", str(prefix)])
    python = prefix / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-index", str(wheel)],
        env=_clean_env(),
    )  # fmt: skip
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    ).stdout.strip()
    dev_paths = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))
    (Path(site) / "chatgate-dev-dependencies.pth").write_text("".join(f"{p}\n" for p in dev_paths))
    return Installed(python, prefix, tmp_path_factory.mktemp("elsewhere"))


def test_the_wheel_ships_every_module_and_data_file_of_the_source_folders(
    wheel: Path, source_files: dict[str, Path]
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n for n in archive.namelist() if not n.partition("/")[0].endswith(".dist-info")}
    missing, extra = sorted(set(source_files) - shipped), sorted(shipped - set(source_files))
    assert missing == [], f"not in the wheel (add their suffix to package-data?): {missing}"
    assert extra == []
    assert "chatgate/reference/sync/schema.sql" in shipped
    assert any(n.startswith("chatgate/features/conversations/") for n in shipped)
    assert any(n.startswith("chatgate/features/chat/") for n in shipped)
    assert "chatgate/features/checklist.toml" in shipped


def test_the_installed_chatgate_is_the_wheels_copy_with_its_features_and_schema(
    installed: Installed,
) -> None:
    probe = """
import json, chatgate, chatgate.features, chatgate.pytest_plugin, chatgate.steps.conversations
from importlib import resources
from chatgate.fixtures.targets.checklist import load_checklist
print(json.dumps({
    "modules": [m.__file__ for m in (chatgate, chatgate.features, chatgate.pytest_plugin,
                                      chatgate.steps.conversations)],
    "features": sorted(p.name for p in resources.files("chatgate.features")
                       .joinpath("conversations").iterdir() if p.name.endswith(".feature")),
    "schema": resources.files("chatgate.reference.sync").joinpath("schema.sql").read_text(),
    "checklist": [item.id for item in load_checklist()],
}))
"""
    seen = json.loads(
        _run([str(installed.python), "-c", probe], cwd=installed.workdir, env=_clean_env()).stdout
    )
    for module in seen["modules"]:
        assert Path(module).is_relative_to(installed.prefix), module
        assert not Path(module).is_relative_to(REPO), module
    assert seen["features"] == sorted(
        p.name for p in (REPO / "features/conversations").glob("*.feature")
    )
    assert seen["schema"] == (REPO / "reference/sync/schema.sql").read_text()
    assert seen["checklist"] == [item.id for item in load_checklist()]


def _checkout_scenarios() -> set[str]:
    collected = _run(
        [sys.executable, "-m", "pytest", "features", "--collect-only", "-q",
         "-p", "no:cacheprovider"],
        cwd=REPO,
    ).stdout  # fmt: skip
    return {line.partition("::")[2] for line in collected.splitlines() if "::" in line}


def test_chatgate_verify_from_the_installed_wheel_passes_every_scenario_outside_a_checkout(
    installed: Installed, postgres_server: PostgresServer
) -> None:
    """`chatgate verify` (the installed console script, on the embedded defaults) runs every
    suite of the installed features and writes its reports."""
    reports = installed.workdir / "chatgate-report"
    done = subprocess.run(
        [str(installed.prefix / "bin" / "chatgate"), "verify", "--report-dir", str(reports)],
        cwd=installed.workdir,
        env=_clean_env(**{DATABASE_URL_ENV: postgres_server.url}),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert "chatgate verify: the contract holds" in done.stdout
    report = ElementTree.parse(reports / "junit.xml").getroot()
    failed = [
        case.attrib["name"]
        for case in report.iter("testcase")
        if case.find("failure") is not None or case.find("error") is not None
    ]
    assert failed == []
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in report.iter("testsuite"):
        for key in counts:
            counts[key] += int(suite.attrib[key])
    scenarios = _checkout_scenarios()
    assert counts == {"tests": len(scenarios), "failures": 0, "errors": 0, "skipped": 0}
    assert {case.attrib["name"] for case in report.iter("testcase")} == scenarios
    assert json.loads((reports / "cucumber.json").read_text())
    page = (reports / "checklists.html").read_text()
    assert all(item.text in page for item in load_checklist())
