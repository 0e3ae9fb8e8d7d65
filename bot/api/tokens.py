"""Session tokens: HS256 JWTs signed with API_SIGNING_KEY; API_PREVIOUS_SIGNING_KEYS still verify.

A token says who signed in (`sub`), when (`iat`), until when (`exp`) and which token it is (`jti`). It
carries no role: the role is looked up in the directory on every request, so a demotion or a departure
takes effect at once rather than when the token runs out. The header's `kid` names the key by a
fingerprint, so rotation needs no trial verification: sign with the new key, keep the old one in the
previous list until API_TOKEN_TTL has passed, then drop it.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import jwt

ALGORITHM: Final = "HS256"
ISSUER: Final = "compliance-bot"
AUDIENCE: Final = "compliance-bot-api"
MIN_KEY_BYTES: Final = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
CLOCK_SKEW: Final = timedelta(seconds=30)


class TokenError(Exception):
    """The token is malformed, forged, signed with an unknown key or expired; never says which to the client."""


def key_id(key: str) -> str:
    """A fingerprint that names a key without revealing it."""
    return hashlib.sha256(b"compliance-bot api signing key\0" + key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class TokenClaims:
    user_id: str
    token_id: str
    issued_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: TokenClaims


class TokenSigner:
    """Issues tokens with the current key; verifies those of the current or any previous key."""

    def __init__(self, current: str, previous: tuple[str, ...] = (), *, ttl: timedelta = timedelta(hours=8)) -> None:
        for key in (current, *previous):
            if len(key.encode()) < MIN_KEY_BYTES:
                raise ValueError(f"an API signing key must be at least {MIN_KEY_BYTES} bytes long")
        if ttl <= timedelta(0):
            raise ValueError("the token lifetime must be positive")
        self.ttl = ttl
        self._current = (key_id(current), current)
        self._keys = dict([self._current, *((key_id(key), key) for key in previous)])

    def issue(self, user_id: str, now: datetime) -> IssuedToken:
        issued = now.astimezone(UTC).replace(microsecond=0)
        claims = TokenClaims(user_id=user_id, token_id=uuid.uuid4().hex, issued_at=issued,
                             expires_at=issued + self.ttl)
        payload = {"iss": ISSUER, "aud": AUDIENCE, "sub": user_id, "jti": claims.token_id,
                   "iat": int(issued.timestamp()), "exp": int(claims.expires_at.timestamp())}
        kid, key = self._current
        return IssuedToken(jwt.encode(payload, key, algorithm=ALGORITHM, headers={"kid": kid}), claims)

    def verify(self, token: str, now: datetime) -> TokenClaims:
        """The claims of a valid token; TokenError for anything else. Expiry is checked against `now`."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise TokenError("signed with an unknown key")
            payload: dict[str, Any] = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER,
                # Times are checked below against the app's clock, which tests can move.
                options={"require": ["sub", "jti", "iat", "exp"], "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(type(exc).__name__) from None
        try:
            claims = TokenClaims(user_id=str(payload["sub"]), token_id=str(payload["jti"]),
                                 issued_at=datetime.fromtimestamp(int(payload["iat"]), UTC),
                                 expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC))
        except (TypeError, ValueError, OverflowError):
            raise TokenError("malformed claims") from None
        if claims.expires_at <= now or claims.issued_at > now + CLOCK_SKEW or not claims.user_id:
            raise TokenError("expired or not yet valid")
        return claims
