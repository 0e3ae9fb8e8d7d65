"""Session tokens and the sign-in guards, without a server."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from bot.api.limits import RateLimit, SignInLimiter, SpentCodes
from bot.api.tokens import TokenError, TokenSigner, key_id

KEY, OLD, OTHER = "k" * 32, "o" * 40, "x" * 32
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_a_token_names_the_person_and_expires_after_its_ttl() -> None:
    signer = TokenSigner(KEY, ttl=timedelta(hours=8))
    issued = signer.issue("lei.mei", NOW)
    claims = signer.verify(issued.token, NOW + timedelta(hours=7, minutes=59))
    assert claims.user_id == "lei.mei" and claims.expires_at == NOW + timedelta(hours=8)
    assert claims.token_id == issued.claims.token_id and len(claims.token_id) == 32
    with pytest.raises(TokenError):
        signer.verify(issued.token, NOW + timedelta(hours=8))
    header = jwt.get_unverified_header(issued.token)
    assert header == {"alg": "HS256", "kid": key_id(KEY), "typ": "JWT"}
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    assert set(payload) == {"iss", "aud", "sub", "jti", "iat", "exp"}  # no role: it is looked up each time


def test_rotation_accepts_the_previous_key_until_it_is_dropped() -> None:
    old_token = TokenSigner(OLD).issue("lei.mei", NOW).token
    rotated = TokenSigner(KEY, (OLD,))
    assert rotated.verify(old_token, NOW).user_id == "lei.mei"
    new_token = rotated.issue("lei.mei", NOW).token
    assert jwt.get_unverified_header(new_token)["kid"] == key_id(KEY)  # new tokens use the current key
    with pytest.raises(TokenError):
        TokenSigner(KEY).verify(old_token, NOW)


@pytest.mark.parametrize("forge", ["other_key", "tampered", "alg_none", "kid_swap", "garbage", "future"])
def test_forged_tokens_are_refused(forge: str) -> None:
    signer = TokenSigner(KEY)
    token = signer.issue("lei.mei", NOW).token
    head, body, signature = token.split(".")
    if forge == "other_key":
        token = TokenSigner(OTHER).issue("lei.mei", NOW).token
    elif forge == "tampered":
        claims = json.loads(base64.urlsafe_b64decode(body + "=="))
        claims["sub"] = "admin.wong"
        token = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("="),
                          signature])
    elif forge == "alg_none":
        token = jwt.encode({"sub": "admin.wong"}, key=None, algorithm="none", headers={"kid": key_id(KEY)})
    elif forge == "kid_swap":
        token = jwt.encode(jwt.decode(token, options={"verify_signature": False}), OTHER, algorithm="HS256",
                           headers={"kid": key_id(KEY)})
    elif forge == "garbage":
        token = "not.a.token"
    elif forge == "future":
        token = signer.issue("lei.mei", NOW + timedelta(hours=1)).token
    with pytest.raises(TokenError):
        signer.verify(token, NOW)


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenSigner("short")
    with pytest.raises(ValueError, match="at least 32 bytes"):
        TokenSigner(KEY, ("old-and-short",))


def test_the_limiter_allows_a_burst_then_the_rate() -> None:
    now = [0.0]
    limiter = SignInLimiter(RateLimit(burst=3, per_minute=6), clock=lambda: now[0])
    assert [limiter.take("10.0.0.1") for _ in range(3)] == [0, 0, 0]
    assert limiter.take("10.0.0.1") == pytest.approx(10)
    assert limiter.take("10.0.0.2") == 0  # per address
    now[0] = 10
    assert limiter.take("10.0.0.1") == 0 and limiter.take("10.0.0.1") > 0


def test_spent_codes_are_remembered_for_a_while() -> None:
    now = [0.0]
    spent = SpentCodes(keep_for=600, clock=lambda: now[0])
    assert spent.claim("abc") and not spent.claim("abc") and spent.claim("abd")
    now[0] = 599
    assert not spent.claim("abc")
    now[0] = 601
    assert spent.claim("abc")  # forgotten long after DingTalk's 5 minutes
