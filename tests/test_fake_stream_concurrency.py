"""Many SDK clients writing at once through the standalone server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from chatgate.fakes.stream.server import FakeStreamServer

THREADS = 16
WRITES_PER_THREAD = 200  # half upserts, half channel creates


def _writer(server: FakeStreamServer, thread: int) -> list[str]:
    client = server.client()
    created = []
    for n in range(WRITES_PER_THREAD // 2):
        user_id = f"t{thread}-u{n}"
        client.upsert_user({"id": user_id, "name": f"User {thread}/{n}", "thread": thread})
        channel_id = f"t{thread}-c{n}"
        client.channel("messaging", channel_id, {"members": ["hub", user_id]}).create("hub")
        created.append(channel_id)
    return created


def test_sixteen_threads_of_writes_all_land_and_state_stays_consistent(
    fake_stream_server: FakeStreamServer,
) -> None:
    fake_stream_server.client().upsert_user({"id": "hub", "role": "admin"})
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        results = list(pool.map(lambda t: _writer(fake_stream_server, t), range(THREADS)))

    state = fake_stream_server.state
    per_thread = WRITES_PER_THREAD // 2
    assert sum(len(r) for r in results) == THREADS * per_thread
    assert len(state.users) == THREADS * per_thread + 1
    assert len(state.channels) == THREADS * per_thread
    for thread in range(THREADS):
        for n in range(per_thread):
            channel = state.channels[f"messaging:t{thread}-c{n}"]
            assert list(channel.members) == ["hub", f"t{thread}-u{n}"]
            assert state.users[f"t{thread}-u{n}"].custom["thread"] == thread
    # The SDK sees the same picture: every channel of the hub, page by page.
    client = fake_stream_server.client()
    seen = set()
    offset = 0
    while True:
        page = client.query_channels(
            {"members": {"$in": ["hub"]}}, {"created_at": 1}, limit=30, offset=offset
        )["channels"]
        seen.update(c["channel"]["id"] for c in page)
        offset += len(page)
        if len(page) < 30 or offset > 1000:
            break
    assert len(seen) == min(offset, THREADS * per_thread)
    sequences = [u.seq for u in state.users.values()]
    assert len(set(sequences)) == len(sequences)
