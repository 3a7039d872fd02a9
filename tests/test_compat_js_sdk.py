"""Compatibility: the official JS SDK (npm `stream-chat`, pinned in tests/js/package.json)
against the standalone fake over real HTTP.

One Node run (tests/js/compat.mjs) performs every step against a fake of this
module's own and prints one JSON object; the tests below assert on it. The npm
dependency is installed on first use into the git-ignored tests/js/node_modules.
Without `node` or `npm` on PATH the module is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from chatgate.fakes.stream.server import FakeStreamServer
from tests.conftest import missing_users_error, stream_error

JS_DIR = Path(__file__).resolve().parent / "js"
SCRIPT = JS_DIR / "compat.mjs"
PINNED = json.loads((JS_DIR / "package.json").read_text())["dependencies"]["stream-chat"]
INSTALLED = JS_DIR / "node_modules" / "stream-chat" / "package.json"
NPM_TIMEOUT_S = 600
NODE_TIMEOUT_S = 120
# Both override `options.baseURL` inside the SDK's constructor (contract §3.2).
JS_BASE_URL_OVERRIDES = ("STREAM_LOCAL_TEST_RUN", "STREAM_LOCAL_TEST_HOST")

CHANNEL_ID = "js-compat"
DROPPED_CHANNEL_ID = "js-compat-dropped"
CID = f"messaging:{CHANNEL_ID}"
OWNER = "onecrew_company_fe045b7c-b310-4295-87e1-d5ceca66e55d"
MEMBER = "onecrew_user_dda3aaa6-d123-4e57-aeef-f0661ec61352"
LATE = "onecrew_user_5b0f3c9e-4a61-4f0e-8d2b-2f7a9c1e6d30"
OUTSIDER = "onecrew_user_0685c2d4-9e1b-4c8a-b6f3-71d2e5a9c04f"
MISSING = "onecrew_user_7c1e2f4a-0b7d-4f5e-9a51-3f0c2d9e8b41"


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        reason = f"`{name}` is not on PATH: the JS SDK compatibility tests need Node.js and npm"
        print(reason)
        pytest.skip(reason)
    return path


def _installed_version() -> str | None:
    if not INSTALLED.exists():
        return None
    return json.loads(INSTALLED.read_text())["version"]


@pytest.fixture(scope="module")
def node() -> str:
    """The `node` executable, with the pinned `stream-chat` installed next to the script."""
    node = _require_tool("node")
    npm = _require_tool("npm")
    if _installed_version() != PINNED:
        verb = "ci" if (JS_DIR / "package-lock.json").exists() else "install"
        done = subprocess.run(
            [npm, verb, "--no-audit", "--no-fund", "--silent"],
            cwd=JS_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            env={**os.environ, "npm_config_update_notifier": "false"},
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(
                f"npm {verb} in {JS_DIR} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
            )
    assert _installed_version() == PINNED, f"tests/js/node_modules does not hold {PINNED}"
    return node


def _node_env() -> dict[str, str]:
    """The environment for Node: no base-URL overrides and no HTTP proxy for loopback."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in JS_BASE_URL_OVERRIDES and not name.lower().endswith("proxy")
    }
    # axios (through proxy-from-env) would otherwise send loopback traffic to a proxy.
    env["NO_PROXY"] = env["no_proxy"] = "*"
    return env


@dataclass
class JsRun:
    server: FakeStreamServer
    results: dict[str, Any]

    def value(self, step: str) -> Any:
        outcome = self.results[step]
        assert outcome["ok"], f"{step} failed: {outcome.get('error')}"
        return outcome["value"]

    def error(self, step: str) -> dict[str, Any]:
        """The SDK error of a step that must fail; `data.duration` checked and removed."""
        outcome = self.results[step]
        assert not outcome["ok"], f"{step} should have failed but returned {outcome['value']}"
        error = outcome["error"]
        assert error["name"] == "ErrorFromResponse"
        assert error["data"].pop("duration").endswith("ms")
        return error


@pytest.fixture(scope="module")
def js_run(node: str) -> Iterator[JsRun]:
    """Run tests/js/compat.mjs once against a fake of this module's own."""
    with FakeStreamServer(port=0) as server:
        server.fake.faults.add("drop", path=f".*/{DROPPED_CHANNEL_ID}/query")
        server.fake.faults.add("drop", operation="GetApp")
        config = {
            "baseURL": server.base_url,
            "apiKey": server.api_key,
            "apiSecret": server.api_secret,
            "channelId": CHANNEL_ID,
            "droppedChannelId": DROPPED_CHANNEL_ID,
            "owner": OWNER,
            "member": MEMBER,
            "late": LATE,
            "outsider": OUTSIDER,
            "missing": MISSING,
        }
        done = subprocess.run(
            [node, str(SCRIPT), json.dumps(config)],
            cwd=JS_DIR,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT_S,
            env=_node_env(),
            check=False,
        )
        assert done.returncode == 0, f"node exited {done.returncode}:\n{done.stderr}"
        yield JsRun(server, json.loads(done.stdout))


def _sdk_error(code: int, status: int, data: dict[str, Any]) -> dict[str, Any]:
    """What the SDK's `ErrorFromResponse` carries for the error body `data`."""
    return {
        "name": "ErrorFromResponse",
        "message": f"StreamChat error code {code}: {data['message']}",
        "code": code,
        "status": status,
        "data": data,
    }


def _outcome_error(js_run: JsRun, step: str) -> dict[str, Any]:
    outcome = js_run.results[step]
    assert not outcome["ok"], f"{step} should have failed but returned {outcome['value']}"
    return outcome["error"]


def test_a_dropped_connection_is_a_network_error_in_the_sdk(js_run: JsRun) -> None:
    # axios reports the reset as ECONNRESET, not a half-read response the SDK trips on.
    error = _outcome_error(js_run, "droppedCreate")
    assert error["code"] == "ECONNRESET", error
    assert error["status"] is None


def test_a_dropped_connection_is_a_network_error_in_nodes_fetch(js_run: JsRun) -> None:
    error = _outcome_error(js_run, "droppedFetch")
    assert (error["name"], error.get("causeCode")) == ("TypeError", "ECONNRESET"), error


def test_the_pinned_sdk_talks_to_the_fake(js_run: JsRun) -> None:
    assert js_run.results["baseURL"] == js_run.server.base_url
    assert js_run.results["sdkVersion"].startswith(f"stream-chat-js-v{PINNED}-node")
    assert js_run.server.fake.journal.unmatched() == []


def test_upsert_users(js_run: JsRun) -> None:
    assert js_run.value("upsertUsers") == {"users": sorted([OWNER, MEMBER, LATE, OUTSIDER])}


def test_create_channel_with_members_and_created_by_id(js_run: JsRun) -> None:
    assert js_run.value("createChannel") == {
        "cid": CID,
        "name": "JS compat",
        "createdBy": OWNER,
        "memberCount": 2,
        "members": [OWNER, MEMBER],
        "messages": [],
    }


def test_create_with_a_missing_member_gives_streams_exact_error(js_run: JsRun) -> None:
    expected = missing_users_error("create", MISSING)
    assert js_run.error("createWithMissingMember") == _sdk_error(4, 400, expected)
    assert js_run.server.state.channels.get(f"{CID}-ghost") is None


def test_add_members(js_run: JsRun) -> None:
    assert js_run.value("addMembers") == {"members": [OWNER, MEMBER, LATE], "memberCount": 3}


def test_add_a_missing_member_gives_streams_exact_error(js_run: JsRun) -> None:
    expected = missing_users_error("update", MISSING)
    assert js_run.error("addMissingMember") == _sdk_error(4, 400, expected)
    assert list(js_run.server.state.channels[CID].members) == [OWNER, MEMBER, LATE]


def test_send_message(js_run: JsRun) -> None:
    sent = js_run.value("sendMessage")
    assert sent.pop("id") in js_run.server.state.messages
    assert sent == {"text": "hello from node", "user": MEMBER, "cid": CID, "type": "regular"}


def test_query_channels(js_run: JsRun) -> None:
    assert js_run.value("queryChannels") == [
        {"cid": CID, "members": [OWNER, MEMBER, LATE], "messages": ["hello from node"]}
    ]


def _user_reads(js_run: JsRun, user_id: str) -> list[Any]:
    return [
        entry
        for entry in js_run.server.fake.journal.entries("GetOrCreateChannel")
        if entry.principal == f"user:{user_id}"
    ]


def test_a_member_reads_the_channel_with_a_user_token(js_run: JsRun) -> None:
    assert js_run.value("memberRead") == {
        "cid": CID,
        "members": [OWNER, MEMBER, LATE],
        "messages": ["hello from node"],
        "authType": "jwt",
    }
    (read,) = _user_reads(js_run, MEMBER)
    assert (read.path, read.status) == (f"/channels/messaging/{CHANNEL_ID}/query", 201)
    assert read.query["user_id"] == MEMBER


def test_a_non_member_read_is_refused_with_code_17(js_run: JsRun) -> None:
    expected = stream_error(
        "GetOrCreateChannel",
        17,
        403,
        f"User '{OUTSIDER}' with role 'user' is not allowed to perform action ReadChannel "
        "in scope 'messaging'",
    )
    assert js_run.error("nonMemberRead") == _sdk_error(17, 403, expected)
    (read,) = _user_reads(js_run, OUTSIDER)
    assert read.status == 403


def test_wrong_secret_is_refused_with_code_5(js_run: JsRun) -> None:
    expected = stream_error("UpdateUsers", 5, 401, "Token signature is invalid")
    assert js_run.error("wrongSecret") == _sdk_error(5, 401, expected)
