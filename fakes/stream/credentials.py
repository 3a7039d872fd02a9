"""Credentials of the fake's default app: the environment's, else development values."""

from __future__ import annotations

import os
from dataclasses import dataclass

# Documented development values; never valid against real Stream.
DEV_API_KEY = "chatgate-dev-key"
DEV_API_SECRET = "chatgate-dev-secret-not-for-production-use"


@dataclass(frozen=True)
class Credentials:
    api_key: str
    api_secret: str


def default_credentials() -> Credentials:
    """`STREAM_API_KEY`/`STREAM_API_SECRET` when set, else the development values."""
    return Credentials(
        api_key=os.environ.get("STREAM_API_KEY") or DEV_API_KEY,
        api_secret=os.environ.get("STREAM_API_SECRET") or DEV_API_SECRET,
    )
