"""Conversation creation latency: the reference against the seed's algorithm
(upsert, fixed 1 s wait, create, one retry), in-process and over HTTP, on the
same fake Stream and real PostgreSQL.

Run: `.venv/bin/python -m bench.bench_create [--conversations 200]`. Prints figures.

Waits are recorded, never slept: a request's latency is its measured time plus
the waits it asked for (the seed's fixed 1 s, the reference's backoff, if any).
Each conversation is a company messaging a user Stream has never seen.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from bench.stats import percentile
from chatgate.fakes.stream.server import FakeStreamServer
from chatgate.fixtures.targets import Driver, TargetSpec
from chatgate.fixtures.targets.build import http_driver, in_process_driver
from chatgate.fixtures.targets.mutants import MUTANTS
from chatgate.postgres import PostgresServer, get_postgres
from chatgate.reference.http.auth import DEV_AUTH_SECRET
from chatgate.reference.http.server import reference_database, serving_reference
from chatgate.reference.sync.identities import Kind
from chatgate.reference.sync.retry import RetryPolicy
from chatgate.reference.sync.service import ConversationService

SEED = "seed-fixed-wait"
Waits = Callable[[], list[float]]  # every wait the backend recorded so far


@contextmanager
def over_http(postgres: PostgresServer, spec: TargetSpec) -> Iterator[tuple[Driver, Waits]]:
    """The backend behind real HTTP, its Stream the standalone fake."""
    service = MUTANTS[spec.name].service if spec.kind == "mutant" else ConversationService
    waits: list[float] = []
    with (
        reference_database(postgres) as database_url,
        FakeStreamServer() as fake,
        serving_reference(
            database_url,
            fake.client(),
            auth_secret=DEV_AUTH_SECRET,
            test_mode=True,
            service_class=service,
            retry=RetryPolicy(sleep=waits.append),
        ) as server,
        http_driver(
            TargetSpec("http", url=server.base_url),
            fake.base_url,
            fake.credentials,
            company_role=server.api.service.roles.roles[Kind.COMPANY],
        ) as driver,
    ):
        yield driver, lambda: list(waits)


@contextmanager
def in_process(postgres: PostgresServer, spec: TargetSpec) -> Iterator[tuple[Driver, Waits]]:
    with in_process_driver(spec, postgres) as driver:
        yield driver, driver.waits


def measure(driver: Driver, waits: Waits, conversations: int) -> list[float]:
    """Latency of each company-to-new-user creation, waits included."""
    driver.begin()
    owner = driver.user("the owner")
    driver.member(driver.company("a company"), owner, "owner")
    company = driver.company("a company")
    recipients = [driver.user(f"a recipient {i}") for i in range(conversations)]
    latencies = []
    for recipient in recipients:
        waited = len(waits())
        started = time.perf_counter()
        answer = driver.create_conversation(
            owner, "user_company", [recipient.id], company_id=company.id
        )
        elapsed = time.perf_counter() - started
        if not answer.ok:
            raise RuntimeError(f"creation failed ({answer.status}): {answer.body}")
        latencies.append(elapsed + sum(waits()[waited:]))
    return latencies


def line(label: str, latencies: list[float]) -> str:
    p50, p99 = (percentile([x * 1000 for x in latencies], p) for p in (50, 99))
    return f"{label:<34} n={len(latencies):>4}  p50={p50:8.2f} ms  p99={p99:8.2f} ms"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=200)
    args = parser.parse_args(argv)
    reference, seed = TargetSpec("reference"), TargetSpec("mutant", name=SEED)
    print("conversation creation, company -> never-synced user (waits counted, not slept)")
    with get_postgres() as postgres:
        for transport, build in (("in-process", in_process), ("over HTTP", over_http)):
            p50 = {}
            for label, spec in (("reference", reference), ("seed algorithm", seed)):
                with build(postgres, spec) as (driver, waits):
                    latencies = measure(driver, waits, args.conversations)
                print(line(f"{label}, {transport}", latencies))
                p50[label] = percentile(latencies, 50)
            ratio = p50["seed algorithm"] / p50["reference"]
            print(f"  seed / reference p50 ({transport}): {ratio:.0f}x")


if __name__ == "__main__":
    main()
