"""What the admin pages need from the rest of the bot: the API's collaborators plus the DingTalk JSAPI settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from bot.api.deps import ApiDeps

# DingTalk's published JSAPI bundle for H5 micro-apps (dd.requestAuthCode and friends).
DEFAULT_JSAPI_URL: Final = "https://g.alicdn.com/dingding/dingtalk-jsapi/3.0.25/dingtalk.open.js"


@dataclass(frozen=True)
class AdminConfig:
    """Where the DingTalk JSAPI script comes from and which org and app the free-login code is asked for."""

    jsapi_url: str = DEFAULT_JSAPI_URL
    corp_id: str = ""
    client_id: str = ""

    @property
    def jsapi_origin(self) -> str:
        """The script's origin, for the Content-Security-Policy; '' when the URL names none."""
        parts = urlsplit(self.jsapi_url)
        return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


@dataclass(frozen=True)
class AdminDeps:
    """The API's deps (sessions, token signer, roles, clock, policy), the link key and the JSAPI settings."""

    api: ApiDeps
    link_key: bytes
    config: AdminConfig
