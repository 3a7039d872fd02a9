"""The user-based chat's latency on a migrated database: sending a text message, and
reading a page of history, against at least 100,000 messages.

Run: `.venv/bin/python -m bench.bench_chat [--users 8000] [--operations 500]`. Prints
figures; asserts nothing. The service runs in this process on a pool of one connection
(as the HTTP app runs it, a connection per worker), PostgreSQL in its own.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence

import psycopg

from bench.stats import summary
from chatgate.postgres import get_postgres
from chatgate.reference.chat.service import ChatService
from chatgate.reference.migration.apply import apply
from chatgate.reference.migration.generate import SeedOptions, seed_legacy
from chatgate.reference.migration.legacy import apply_legacy_schema


def _timed(operation: Callable[[], object], count: int) -> tuple[list[float], float]:
    latencies = []
    started = time.perf_counter()
    for _ in range(count):
        begun = time.perf_counter()
        operation()
        latencies.append(time.perf_counter() - begun)
    return latencies, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=8_000, help="generated users (8000)")
    parser.add_argument("--operations", type=int, default=500, help="timed calls of each kind")
    args = parser.parse_args(argv)
    rng = random.Random(7)
    with get_postgres() as server:
        url = server.url_for(server.create_database())
        with psycopg.connect(url, autocommit=True) as conn:
            apply_legacy_schema(conn)
            counts = seed_legacy(conn, SeedOptions(users=args.users))
        apply(url)
        with psycopg.connect(url) as conn:
            seats = conn.execute(
                "SELECT p.user_id, p.conversation_id FROM conversation_participants p "
                "JOIN conversations c ON c.id = p.conversation_id WHERE c.merged_into_id IS NULL "
                "AND c.type = 'group' AND coalesce(p.is_active, true) ORDER BY p.id"
            ).fetchall()
        chat = ChatService(url)
        chat.database.open(1)  # pooled, as the HTTP app runs it
        print(
            f"migrated database: {counts['chat_messages']:,} messages, {len(seats):,} group seats"
        )

        def send() -> None:
            user, conversation = rng.choice(seats)
            chat.send_text(user, conversation, "a message for the bench")

        def read() -> None:
            user, conversation = rng.choice(seats)
            chat.history(user, conversation, limit=30)

        chat.history(*seats[0])  # the first call creates the chat's own table
        try:
            for label, operation in (
                ("send a text message", send),
                ("read a page of history (30)", read),
            ):
                latencies, wall = _timed(operation, args.operations)
                print(summary(label, latencies, wall))
        finally:
            chat.database.close()


if __name__ == "__main__":
    main()
