"""`chatgate demo`: the seed's company-to-user exchange, played through the
official SDK against the standalone fake, narrated on stdout."""

from __future__ import annotations

from stream_chat import StreamChat
from stream_chat.base.exceptions import StreamAPIException

from chatgate.fakes.stream.server import FakeStreamServer

AMR = "onecrew_user_dda3aaa6-d123-4e57-aeef-f0661ec61352"
SAT_EDUCATION = "onecrew_company_fe045b7c-b310-4295-87e1-d5ceca66e55d"
LOLO_ACADEMY = "onecrew_company_4817d00f-717a-4c06-b511-9758bf01b031"
NEW_USER = "onecrew_user_7c1e2f4a-0b7d-4f5e-9a51-3f0c2d9e8b41"


def _say(step: str, text: str) -> None:
    print(f"[{step}] {text}", flush=True)


def play(client: StreamChat) -> list[str]:
    """Play the exchange; returns the problems found (empty when all went as expected)."""
    problems: list[str] = []
    users = [
        {"id": SAT_EDUCATION, "name": "Sat Education", "role": "admin"},
        {"id": LOLO_ACADEMY, "name": "Lolo Academy", "role": "admin"},
        {"id": AMR, "name": "Amr", "role": "user"},
    ]
    upserted = client.upsert_users(users)["users"]
    _say("upsert", "synced " + ", ".join(f"{u['name']} ({u['role']})" for u in upserted.values()))

    channel = client.channel("messaging", "sat-education-amr", {"members": [SAT_EDUCATION, AMR]})
    state = channel.create(SAT_EDUCATION)
    members = [m["user_id"] for m in state["members"]]
    _say("create", f"channel {state['channel']['cid']} with members {members}")

    sent = channel.send_message({"text": "Hello Amr, thanks for applying!"}, SAT_EDUCATION)
    _say("message", f"{sent['message']['user']['name']} -> Amr: {sent['message']['text']!r}")
    history = channel.query(messages={"limit": 10})["messages"]
    _say("read", f"the channel holds {len(history)} message(s)")

    _say("bug", "Lolo Academy messages a user who was never synced to Stream ...")
    try:
        client.channel(
            "messaging", "lolo-academy-new-user", {"members": [LOLO_ACADEMY, NEW_USER]}
        ).create(LOLO_ACADEMY)
    except StreamAPIException as error:
        _say("error", f"HTTP {error.status_code}, code {error.error_code}")
        _say("error", error.error_message)
    else:
        problems.append("creating a channel with an unsynced member did not fail")

    client.upsert_user({"id": NEW_USER, "name": "New user", "role": "user"})
    fixed = client.channel(
        "messaging", "lolo-academy-new-user", {"members": [LOLO_ACADEMY, NEW_USER]}
    ).create(LOLO_ACADEMY)
    _say(
        "fix",
        f"after upserting the recipient first: {fixed['channel']['cid']} has "
        f"{fixed['channel']['member_count']} members",
    )
    return problems


def run_demo() -> int:
    """Start the standalone fake on a free loopback port and play the exchange."""
    with FakeStreamServer(port=0) as server:
        _say("fake", f"Stream Chat fake listening on {server.base_url}")
        problems = play(server.client())
    for problem in problems:
        print(f"UNEXPECTED: {problem}")
    print("demo finished: " + ("all steps behaved as Stream does" if not problems else "FAILED"))
    return 1 if problems else 0
