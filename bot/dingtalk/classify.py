"""Turns one HTTP answer from either host into its JSON object or the matching `DingTalkError`."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from bot.dingtalk.errors import (
    DingTalkAuthError,
    DingTalkError,
    DingTalkNotFoundError,
    DingTalkQuotaError,
    DingTalkRequestError,
    DingTalkThrottledError,
    DingTalkTokenError,
    DingTalkTransientError,
)

# oapi errcodes (dingtalk-wire.md 5.4, 5.5); 88 is "no permission" unless its sub_code names a token problem.
OAPI_TOKEN_CODES = frozenset({"40000", "40001", "40014", "41001", "42001"})
OAPI_CREDENTIAL_CODES = frozenset({"40089", "40096"})
OAPI_THROTTLE_CODES = frozenset({"90002", "90018", "90019"})
OAPI_QUOTA_CODES = frozenset({"90020"})
OAPI_NOT_FOUND_CODES = frozenset({"60121", "60003"})
OAPI_BUSY_CODES = frozenset({"-1"})

API_TOKEN_CODES = frozenset({"InvalidAuthentication"})
API_CREDENTIAL_CODES = frozenset({"invalidClientIdOrSecret"})
API_QUOTA_CODES = frozenset({"Forbidden.AccessDenied.ApiCountLimitForOrg"})
ANTI_ABUSE_STATUS = 1111
SNIPPET_CHARS = 120

ErrorClass = type[DingTalkError]


@dataclass(frozen=True)
class Exchange:
    """One HTTP answer, as the classifier sees it; `path` is the route template."""

    host: Literal["api", "oapi"]
    method: str
    path: str
    status: int
    body: bytes
    content_type: str
    retry_after: float | None


def interpret(exchange: Exchange, redact: Callable[[str], str]) -> dict[str, Any]:
    """Return the answer's JSON object, or raise the error it describes."""
    try:
        payload: object = json.loads(exchange.body)
    except (ValueError, UnicodeDecodeError):
        snippet = redact(exchange.body[:SNIPPET_CHARS].decode("utf-8", "replace"))
        raise _error(exchange, DingTalkTransientError, f"unreadable {exchange.content_type} body: {snippet}") from None
    if not isinstance(payload, dict):
        raise _error(exchange, DingTalkTransientError, f"expected a JSON object, got {type(payload).__name__}")
    if payload.get("status") == ANTI_ABUSE_STATUS:
        raise _anti_abuse(exchange, payload)
    if exchange.host == "api":
        if exchange.status >= 400:
            raise _api_error(exchange, payload, redact)
    elif exchange.status >= 400 or _errcode(payload) not in ("0", ""):
        raise _oapi_error(exchange, payload, redact)
    return payload


def _api_error(exchange: Exchange, payload: Mapping[str, Any], redact: Callable[[str], str]) -> DingTalkError:
    code = str(payload.get("code") or "")
    status = exchange.status
    cls: ErrorClass
    if code in API_TOKEN_CODES or (status == 401 and code not in API_CREDENTIAL_CODES):
        cls = DingTalkTokenError
    elif code in API_CREDENTIAL_CODES or code.startswith("AuthenticationFailed"):
        cls = DingTalkAuthError
    elif status == 429 or "QpsLimit" in code or code.startswith("Throttling"):
        cls = DingTalkThrottledError
    elif code in API_QUOTA_CODES:
        cls = DingTalkQuotaError
    elif status >= 500 or code.lower() == "system.busy":
        cls = DingTalkTransientError
    elif status == 404 or code.startswith("ResourceNotFound"):
        cls = DingTalkNotFoundError
    else:
        cls = DingTalkRequestError
    request_id = payload.get("requestid") or payload.get("requestId")
    message = redact(str(payload.get("message") or ""))
    return _error(exchange, cls, message, code=code, request_id=_opt_str(request_id))


def _oapi_error(exchange: Exchange, payload: Mapping[str, Any], redact: Callable[[str], str]) -> DingTalkError:
    code = _errcode(payload)
    sub_code = _opt_str(payload.get("sub_code"))
    cls: ErrorClass
    if exchange.status >= 500 or code in OAPI_BUSY_CODES:
        cls = DingTalkTransientError
    elif code in OAPI_TOKEN_CODES or (code == "88" and sub_code in OAPI_TOKEN_CODES):
        cls = DingTalkTokenError
    elif code in OAPI_CREDENTIAL_CODES:
        cls = DingTalkAuthError
    elif code in OAPI_THROTTLE_CODES or exchange.status == 429:
        cls = DingTalkThrottledError
    elif code in OAPI_QUOTA_CODES:
        cls = DingTalkQuotaError
    elif code in OAPI_NOT_FOUND_CODES or exchange.status == 404:
        cls = DingTalkNotFoundError
    else:
        cls = DingTalkRequestError
    message = redact(str(payload.get("sub_msg") or payload.get("errmsg") or ""))
    request_id = _opt_str(payload.get("request_id"))
    return _error(exchange, cls, message, code=code or str(exchange.status), request_id=request_id,
                  sub_code=sub_code)


def _anti_abuse(exchange: Exchange, payload: Mapping[str, Any]) -> DingTalkError:
    # The IP ban lasts `wait` minutes (dingtalk-wire.md 5.5); retrying sooner only extends it.
    wait = payload.get("wait")
    minutes = float(wait) if isinstance(wait, int | float) else 5.0
    return _error(exchange, DingTalkTransientError, "egress IP temporarily banned by DingTalk's anti-abuse limit",
                  code=str(ANTI_ABUSE_STATUS), retry_after=minutes * 60)


def _error(exchange: Exchange, cls: ErrorClass, message: str, *, code: str = "", request_id: str | None = None,
           sub_code: str | None = None, retry_after: float | None = None) -> DingTalkError:
    return cls(message, host=exchange.host, method=exchange.method, path=exchange.path, status=exchange.status,
               code=code, request_id=request_id, sub_code=sub_code,
               retry_after=retry_after if retry_after is not None else exchange.retry_after)


def _errcode(payload: Mapping[str, Any]) -> str:
    value = payload.get("errcode")
    return "" if value is None else str(value)


def _opt_str(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
