"""The migration's ledger: which steps are done, and how far a batched step got.
A batch and its ledger update commit together, so a run killed at any moment
resumes from the last committed batch."""

from __future__ import annotations

from typing import Any

import psycopg

from .ddl import SCHEMA

Connection = psycopg.Connection[Any]


def has_ledger(conn: Connection) -> bool:
    return bool(
        conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.ledger",)).fetchone()[0]
    )


def done(conn: Connection, step: str) -> bool:
    if not has_ledger(conn):
        return False
    row = conn.execute(f"SELECT state FROM {SCHEMA}.ledger WHERE step = %s", (step,)).fetchone()
    return row is not None and row[0] == "done"


def position(conn: Connection, step: str) -> tuple[int, int]:
    """(last id reached, rows changed so far) of a batched step; (0, 0) if not begun."""
    row = conn.execute(
        f"SELECT last_id, rows FROM {SCHEMA}.ledger WHERE step = %s", (step,)
    ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def advance(conn: Connection, step: str, last_id: int, rows: int) -> None:
    """Record a committed batch (call inside the batch's transaction)."""
    conn.execute(
        f"INSERT INTO {SCHEMA}.ledger (step, state, last_id, rows) VALUES (%s, 'running', %s, %s) "
        "ON CONFLICT (step) DO UPDATE SET last_id = excluded.last_id, "
        f"rows = {SCHEMA}.ledger.rows + excluded.rows",
        (step, last_id, rows),
    )


def finish(conn: Connection, step: str) -> None:
    conn.execute(
        f"INSERT INTO {SCHEMA}.ledger (step, state, finished_at) VALUES (%s, 'done', now()) "
        "ON CONFLICT (step) DO UPDATE SET state = 'done', finished_at = now()",
        (step,),
    )


def steps(conn: Connection) -> dict[str, str]:
    """Every step on record with its state."""
    if not has_ledger(conn):
        return {}
    return dict(conn.execute(f"SELECT step, state FROM {SCHEMA}.ledger").fetchall())
