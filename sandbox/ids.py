"""Identifiers shaped like DingTalk's own."""

from __future__ import annotations

import base64
import hashlib
import itertools
import secrets
import time
import uuid

_frame_counter = itertools.count(1)


def message_id() -> str:
    """A stream frame id like ``212ca9d7_974_1898c159aa6_1783b``."""
    n = next(_frame_counter)
    return f"{secrets.token_hex(4)}_{900 + n % 100}_{int(time.time() * 1000):x}_{secrets.randbelow(0xFFFFF):x}"


def _b64(raw: bytes) -> str:
    # '/' would break the control API's path segments, and DingTalk ids are opaque anyway.
    return base64.b64encode(raw).decode().replace("/", "x")


def msg_id() -> str:
    return "msg" + _b64(secrets.token_bytes(15))


def stable_cid(seed: str) -> str:
    """A ``cid...==`` conversation id that is the same for the same seed."""
    return "cid" + _b64(hashlib.sha256(seed.encode()).digest()[:16])


def encrypted_id(seed: str) -> str:
    """An opaque ``$:LWCP_v1:$...`` id, like senderId and chatbotUserId."""
    return "$:LWCP_v1:$" + _b64(hashlib.sha256(("lwcp:" + seed).encode()).digest()[:24])


def ticket() -> str:
    return str(uuid.uuid4())


def opaque() -> str:
    return str(uuid.uuid4())


def request_id() -> str:
    return str(uuid.uuid4()).upper()


def short_token(nbytes: int = 18) -> str:
    return secrets.token_urlsafe(nbytes)


def process_query_key() -> str:
    return _b64(secrets.token_bytes(24))


def hex_token(nbytes: int = 16) -> str:
    return secrets.token_hex(nbytes)


def secrets_int(digits: int = 11) -> int:
    low = int(10 ** (digits - 1))
    return low + secrets.randbelow(9 * low)
