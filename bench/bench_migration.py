"""The migration on a big generated database: how long generating takes, how long apply
takes and at what rows/s, and the longest stall a concurrent writer sees, against the
naive single-transaction migration on the same data.

Run: `.venv/bin/python -m bench.bench_migration [--users 75000]` (about 1,000,000
messages). Prints figures; asserts nothing.

The writer inserts one message at a time, in its own transaction, as a legacy writer
would (profile and user id), from the moment the migration starts until it ends. Its
longest wait for one insert is the write stall users would feel.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg

from bench.stats import percentile
from chatgate.fixtures.targets.migration_mutants import SingleTransaction
from chatgate.postgres import PostgresServer, get_postgres
from chatgate.reference.migration.apply import ApplyOptions, Migration, connect
from chatgate.reference.migration.generate import SeedOptions, seed_legacy
from chatgate.reference.migration.legacy import CHAT_TABLES, apply_legacy_schema

WRITER_LIMIT = 1_000_000  # inserts; the writer stops when the migration ends, long before


@dataclass
class Writer:
    """Inserts messages until stopped; keeps each insert's latency."""

    url: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            sender = conn.execute(
                "SELECT conversation_id, profile_id, profile_type, user_id "
                "FROM conversation_participants ORDER BY id LIMIT 1"
            ).fetchone()
            for n in range(WRITER_LIMIT):
                if self.stop.is_set():
                    return
                started = time.perf_counter()
                try:
                    conn.execute(
                        "INSERT INTO chat_messages (conversation_id, sender_profile_id, "
                        "sender_profile_type, sender_user_id, content) VALUES (%s, %s, %s, %s, %s)",
                        (*sender, f"during the migration {n}"),
                    )
                except psycopg.Error as error:
                    self.errors.append(str(error).splitlines()[0])
                self.latencies.append(time.perf_counter() - started)


def _chat_rows(url: str) -> int:
    with psycopg.connect(url) as conn:
        return sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in CHAT_TABLES)


def _measure(url: str, migration: type[Migration], options: ApplyOptions) -> tuple[str, float]:
    """Apply with a concurrent writer: (the printed line, the longest stall in seconds)."""
    rows = _chat_rows(url)
    writer = Writer(url)
    thread = threading.Thread(target=writer.run)
    thread.start()
    started = time.perf_counter()
    try:
        with connect(url) as conn:
            migration(conn, options).run()
    finally:
        elapsed = time.perf_counter() - started
        writer.stop.set()
        thread.join()
    stall = max(writer.latencies, default=float("nan"))
    p99_ms = percentile(writer.latencies, 99) * 1000
    line = (
        f"{migration.__name__:<18} {elapsed:8.1f} s  {rows / elapsed:>9,.0f} rows/s  "
        f"writer: {len(writer.latencies):>7,} inserts, p99 {p99_ms:7.1f} ms, "
        f"longest stall {stall * 1000:9.1f} ms, {len(writer.errors)} errors"
    )
    return line, stall


def _generate(server: PostgresServer, users: int) -> tuple[str, float, int]:
    name = server.create_database()
    started = time.perf_counter()
    with psycopg.connect(server.url_for(name), autocommit=True) as conn:
        apply_legacy_schema(conn)
        counts = seed_legacy(conn, SeedOptions(users=users))
    return name, time.perf_counter() - started, counts["chat_messages"]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=75_000, help="generated users (75000)")
    parser.add_argument("--batch-rows", type=int, default=5_000, help="apply's batch size")
    args = parser.parse_args(argv)
    options = ApplyOptions(batch_rows=args.batch_rows)
    with get_postgres() as server:
        template, generate_s, messages = _generate(server, args.users)
        total = _chat_rows(server.url_for(template))
        print(
            f"generate: {args.users:,} users, {messages:,} messages, {total:,} chat rows "
            f"in {generate_s:.1f} s ({total / generate_s:,.0f} rows/s)"
        )
        stalls: dict[str, float] = {}
        for label, migration in (("online", Migration), ("naive", SingleTransaction)):
            clone = server.create_database(template=template)
            try:
                line, stalls[label] = _measure(server.url_for(clone), migration, options)
                print(f"apply ({label}): {line}")
            finally:
                server.drop_database(clone)
        print(f"longest writer stall, naive / online: {stalls['naive'] / stalls['online']:.0f}x")


if __name__ == "__main__":
    main()
