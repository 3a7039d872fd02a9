"""The backend's own bearer tokens: HS256 JWTs whose `sub` names the human user.

These are the app's login tokens, not Stream tokens; `POST /api/chat/token`
exchanges one for a Stream user token of the acting profile.
"""

from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import jwt

from . import errors

AUTH_SECRET_ENV = "CHATGATE_AUTH_SECRET"
DEV_AUTH_SECRET = "chatgate-backend-dev-secret-not-for-production-use"
TOKEN_TTL_S = 3600
# Bearers whose signature was verified, kept so a client's repeated calls skip HS256.
VERIFIED_CACHE_SIZE = 4096


def auth_secret_from_env() -> str:
    """`CHATGATE_AUTH_SECRET`, else the development secret."""
    return os.environ.get(AUTH_SECRET_ENV) or DEV_AUTH_SECRET


class BackendAuth:
    """Issues and checks the backend's bearer tokens."""

    def __init__(self, secret: str, *, now: Callable[[], float] = time.time) -> None:
        if not secret:
            raise ValueError("the backend's auth secret must not be empty")
        self._secret = secret
        self._now = now
        # token -> (sub, exp, not-before): only the signature check is cached; the times
        # are checked on every use, against the clock PyJWT itself reads.
        self._verified: OrderedDict[str, tuple[str, float | None, float]] = OrderedDict()
        self._lock = threading.Lock()

    def issue(self, user_id: str) -> str:
        """A bearer token for `user_id`, valid for an hour."""
        now = int(self._now())
        claims = {"sub": user_id, "iat": now, "exp": now + TOKEN_TTL_S}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def user_id(self, authorization: str | None) -> str:
        """The human user an `Authorization: Bearer <jwt>` header names (401 otherwise)."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise errors.bearer_required()
        with self._lock:
            known = self._verified.get(token)
            if known is not None:
                self._verified.move_to_end(token)
        if known is not None:
            sub, expires, not_before = known
            now = time.time()
            if (expires is None or expires > now) and not_before <= now:
                return sub
            # Out of its time window: PyJWT says why, as for a token never seen.
        try:
            claims = jwt.decode(
                token, self._secret, algorithms=["HS256"], options={"require": ["sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise errors.bearer_expired() from None
        except jwt.PyJWTError as error:
            raise errors.bearer_invalid(error) from None
        if not isinstance(claims["sub"], str):
            raise errors.bearer_sub_not_text()
        self._remember(token, claims)
        return claims["sub"]

    def _remember(self, token: str, claims: dict[str, Any]) -> None:
        """Keep a verified token's subject and time window, its times read as PyJWT reads
        them (`int(...)`, which its checks have just shown to work)."""
        expires = int(claims["exp"]) if "exp" in claims else None
        # Usable once both its nbf and its iat have passed.
        starts = [int(claims[name]) for name in ("nbf", "iat") if name in claims]
        window = (claims["sub"], expires, max(starts, default=float("-inf")))
        with self._lock:
            self._verified[token] = window
            while len(self._verified) > VERIFIED_CACHE_SIZE:
                self._verified.popitem(last=False)
