"""How fast the PostgreSQL provider is: server start, template build, per-test database.

Run: `.venv/bin/python -m bench.bench_postgres [--clones 50]`. Prints figures; asserts nothing.
Each clone is measured the way the `postgres_database` fixture uses it: create from the
template, connect once, drop.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from typing import Any

import psycopg

from bench.stats import percentile
from chatgate.postgres import ProviderFailed, get_postgres, probe_docker

SCHEMA = """
CREATE TABLE users (id bigint PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());
CREATE TABLE channels (id text PRIMARY KEY, kind text NOT NULL, created_by bigint REFERENCES users);
CREATE TABLE members (channel text REFERENCES channels, member bigint REFERENCES users,
                      PRIMARY KEY (channel, member));
CREATE INDEX members_by_user ON members (member);
INSERT INTO users SELECT g, 'user ' || g FROM generate_series(1, 1000) g;
"""


def build_schema(conn: psycopg.Connection[Any]) -> None:
    """A small chat-shaped schema with some seed rows."""
    conn.execute(SCHEMA)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main(argv: Sequence[str] | None = None) -> None:
    """Start a server through the normal provider order and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clones", type=int, default=50, help="per-test databases to time")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    try:
        probe_docker()
        probe = "engine answers"
    except ProviderFailed:
        probe = "no engine"
    probe_s = time.perf_counter() - started

    started = time.perf_counter()
    server = get_postgres()
    start_s = time.perf_counter() - started
    with server:
        print(server.describe())
        print(f"docker probe                {ms(probe_s)}  ({probe})")
        print(f"first server start          {ms(start_s)}  (provider selection included)")

        started = time.perf_counter()
        template = server.template(build_schema)
        print(f"template creation (schema)  {ms(time.perf_counter() - started)}")

        create: list[float] = []
        ready: list[float] = []
        drop: list[float] = []
        for _ in range(args.clones):
            t0 = time.perf_counter()
            name = server.create_database(template=template)
            t1 = time.perf_counter()
            with psycopg.connect(server.url_for(name)) as conn:
                conn.execute("SELECT count(*) FROM users").fetchone()
            t2 = time.perf_counter()
            server.drop_database(name)
            t3 = time.perf_counter()
            create.append(t1 - t0)
            ready.append(t2 - t0)
            drop.append(t3 - t2)

        print(f"per-test database, {args.clones} clones:")
        for label, samples in (
            ("clone (CREATE DATABASE)", create),
            ("clone + first query", ready),
            ("drop", drop),
        ):
            p50, p99 = statistics.median(samples), percentile(samples, 99)
            print(f"  {label:24}  p50 {ms(p50)}   p99 {ms(p99)}")

        started = time.perf_counter()
    print(f"server stop                 {ms(time.perf_counter() - started)}")


if __name__ == "__main__":
    main()
