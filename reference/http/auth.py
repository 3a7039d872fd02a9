"""The backend's own bearer tokens: HS256 JWTs whose `sub` names the human user.

These are the app's login tokens, not Stream tokens; `POST /api/chat/token`
exchanges one for a Stream user token of the acting profile.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import jwt

from . import errors

AUTH_SECRET_ENV = "CHATGATE_AUTH_SECRET"
DEV_AUTH_SECRET = "chatgate-backend-dev-secret-not-for-production-use"
TOKEN_TTL_S = 3600


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

    def issue(self, user_id: str) -> str:
        """A bearer token for `user_id`, valid for an hour."""
        now = int(self._now())
        claims = {"sub": user_id, "iat": now, "exp": now + TOKEN_TTL_S}
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def user_id(self, authorization: str | None) -> str:
        """The human user an `Authorization: Bearer <jwt>` header names (401 otherwise)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise errors.bearer_required()
        try:
            claims = jwt.decode(
                token.strip(), self._secret, algorithms=["HS256"], options={"require": ["sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise errors.bearer_expired() from None
        except jwt.PyJWTError as error:
            raise errors.bearer_invalid(error) from None
        if not isinstance(claims["sub"], str):
            raise errors.bearer_sub_not_text()
        return claims["sub"]
