"""Server-side and user authentication exactly as the SDKs perform it.

Every request carries `api_key` in the query, `stream-auth-type: jwt` and the
raw JWT in `Authorization` (no `Bearer `). A server token is HS256 over
`{"server": true}`; a user token carries `user_id` (contract §2.1-2.3).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import jwt
from jwt.algorithms import HMACAlgorithm

from . import texts
from .clock import parse_stream_time
from .errors import ErrorCode, StreamError
from .models import AppState


@dataclass(frozen=True)
class Principal:
    """Who is calling: the server (API secret) or one user (user token)."""

    server: bool
    user_id: str | None = None
    # The token's `iat` (seconds), if it has one: only such tokens can be revoked.
    issued_at: float | None = None

    @property
    def label(self) -> str:
        return "server" if self.server else f"user:{self.user_id}"


SERVER = Principal(server=True)


class _AnyLengthHS256(HMACAlgorithm):
    """HS256 without PyJWT's warning for a secret under 32 bytes: Stream takes any
    secret, and the warning would come once per request."""

    def check_key_length(self, key: Any) -> str | None:  # noqa: ARG002
        return None


def _decoder() -> jwt.PyJWT:
    decoder = jwt.PyJWT()
    # Recent PyJWT keeps its signature layer per instance; without one, it has no warning.
    jws = getattr(decoder, "_jws", None)
    if jws is not None:
        jws.unregister_algorithm("HS256")
        jws.register_algorithm("HS256", _AnyLengthHS256(HMACAlgorithm.SHA256))
    return decoder


_DECODER = _decoder()

# Verified tokens the cache keeps; a client signs a token once and reuses it.
DEFAULT_TOKEN_CACHE_SIZE = 4096


class TokenCache:
    """The claims of the most recently verified tokens, keyed by (secret, token).

    Only the signature check is cached: the times and the caller are checked
    against the claims on every request, so a cached token still expires.
    """

    def __init__(self, capacity: int = DEFAULT_TOKEN_CACHE_SIZE) -> None:
        self.capacity = capacity
        self._claims: OrderedDict[tuple[str, str], Mapping[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._claims)

    def claims(self, token: str, secret: str) -> Mapping[str, Any]:
        """The verified claims of `token`, or Stream's 401 if it is not signed with `secret`."""
        key = (secret, token)
        with self._lock:
            found = self._claims.get(key)
            if found is not None:
                self._claims.move_to_end(key)
                return found
        claims = _signed_claims(token, secret)
        with self._lock:
            self._claims[key] = claims
            while len(self._claims) > self.capacity:
                self._claims.popitem(last=False)
        return claims


def authenticate(
    query: Mapping[str, str],
    headers: Mapping[str, str],
    lookup_app: Callable[[str], AppState | None],
    now: datetime,
    tokens: TokenCache,
) -> tuple[AppState, Principal]:
    """Resolve the app and the caller, or raise Stream's 401 error."""
    api_key = query.get("api_key")
    if not api_key:
        raise StreamError(ErrorCode.ACCESS_KEY, texts.API_KEY_MISSING)
    app = lookup_app(api_key)
    if app is None:
        raise StreamError(ErrorCode.ACCESS_KEY, texts.API_KEY_INVALID)
    if headers.get("stream-auth-type", "").lower() != "jwt":
        raise StreamError(ErrorCode.AUTHENTICATION, texts.AUTH_TYPE_INVALID)
    token = headers.get("authorization", "").strip()
    if token.count(".") != 2:
        raise StreamError(ErrorCode.AUTHENTICATION, texts.MALFORMED_TOKEN)
    return app, _principal(tokens.claims(token, app.api_secret), now)


def _signed_claims(token: str, secret: str) -> Mapping[str, Any]:
    try:
        return _DECODER.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"verify_exp": False, "verify_nbf": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise StreamError(ErrorCode.AUTHENTICATION, texts.SIGNATURE_INVALID) from exc
    except jwt.PyJWTError as exc:
        # An alg other than HS256, bad base64 or bad JSON: Stream cannot verify it.
        raise StreamError(ErrorCode.AUTHENTICATION, texts.SIGNATURE_INVALID) from exc


def _principal(claims: Mapping[str, Any], now: datetime) -> Principal:
    _check_times(claims, now.timestamp())
    if claims.get("server") is True:
        return SERVER
    user_id = claims.get("user_id")
    if isinstance(user_id, str) and user_id:
        iat = claims.get("iat")
        issued_at = float(iat) if isinstance(iat, (int, float)) else None
        return Principal(server=False, user_id=user_id, issued_at=issued_at)
    raise StreamError(ErrorCode.AUTHENTICATION, texts.TOKEN_WITHOUT_USER)


def _check_times(claims: Mapping[str, object], now: float) -> None:
    # Checked against the fake's clock so tests can expire tokens without waiting.
    exp, nbf, iat = claims.get("exp"), claims.get("nbf"), claims.get("iat")
    if isinstance(exp, (int, float)) and now >= exp:
        raise StreamError(ErrorCode.TOKEN_EXPIRED, texts.TOKEN_EXPIRED)
    if isinstance(nbf, (int, float)) and now < nbf:
        raise StreamError(ErrorCode.TOKEN_NOT_VALID_YET, texts.TOKEN_NOT_VALID_YET)
    if isinstance(iat, (int, float)) and now < iat:
        raise StreamError(ErrorCode.TOKEN_USED_BEFORE_IAT, texts.TOKEN_USED_BEFORE_IAT)


# The app setting `revoke_tokens` sets, and the user field `revoke_user_token` sets.
REVOKED_BEFORE = "revoke_tokens_issued_before"


def refuse_revoked(app: AppState, principal: Principal) -> None:
    """Stream's 401 if a user token was issued before the app's or its user's
    `revoke_tokens_issued_before`; a token without `iat` cannot be revoked (contract
    §2.2), and a server token never is."""
    if principal.server or principal.issued_at is None:
        return
    user = app.users.get(principal.user_id or "")
    for cutoff in (app.settings.get(REVOKED_BEFORE), user and user.custom.get(REVOKED_BEFORE)):
        if not isinstance(cutoff, str) or not cutoff:
            continue  # never revoked, or the revocation lifted (null)
        try:
            revoked_before = parse_stream_time(cutoff).timestamp()
        except ValueError:
            continue  # UpdateApp checks the app's; a user field may hold anything
        if principal.issued_at < revoked_before:
            raise StreamError(ErrorCode.AUTHENTICATION, texts.TOKEN_REVOKED)
