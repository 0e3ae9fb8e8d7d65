"""Links to the bot's pages that only the people given them can open: an HMAC of what they show."""

from __future__ import annotations

import hashlib
import hmac


def link_token(key: bytes, purpose: str) -> str:
    """A token for `purpose` (e.g. `report:12`); unguessable without the key, the same after a restart."""
    return hmac.new(key, purpose.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def link_key(secret: str) -> bytes:
    """The key links are signed with, derived from the app's secret so no extra setting is needed."""
    return hashlib.sha256(b"compliance-bot links\x00" + secret.encode("utf-8")).digest()


def valid(key: bytes, purpose: str, token: str) -> bool:
    return bool(key) and hmac.compare_digest(link_token(key, purpose), token)
