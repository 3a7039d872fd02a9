"""Create the reference backend's tables (idempotent)."""

from __future__ import annotations

from importlib import resources
from typing import Any

import psycopg


def schema_sql() -> str:
    return resources.files(__package__).joinpath("schema.sql").read_text()


def apply_schema(conn: psycopg.Connection[Any]) -> None:
    """Create every table the reference sync needs, if missing."""
    conn.execute(schema_sql())
