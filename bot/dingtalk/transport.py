"""One HTTP exchange with DingTalk: URL, auth, timeout, logging, redaction; no retries (see `core`)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from bot.dingtalk.backoff import parse_retry_after
from bot.dingtalk.classify import Exchange, interpret
from bot.dingtalk.errors import (
    DingTalkError,
    DingTalkFileTooLargeError,
    DingTalkNotFoundError,
    DingTalkRequestError,
    DingTalkThrottledError,
    DingTalkTransientError,
    Host,
)
from bot.dingtalk.models import FileDigest

log = logging.getLogger("bot.dingtalk")

TOKEN_HEADER = "x-acs-dingtalk-access-token"
DOWNLOAD_PATH = "<download url>"  # signed download URLs are credentials: never logged or put in errors
CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class ApiRequest:
    """A call to either host; `route` is the path template used for logs, errors and rate limits."""

    host: Literal["api", "oapi"]
    method: str
    route: str
    body: Mapping[str, Any] | None = None
    query: Mapping[str, str] = field(default_factory=dict)
    path: str | None = None  # the concrete path, when the route has placeholders
    auth: bool = True


class Transport:
    """Owns (or borrows) the aiohttp session and performs single exchanges."""

    def __init__(self, *, endpoints: Mapping[str, str], timeout: float, download_timeout: float,
                 session: aiohttp.ClientSession | None, secrets: Sequence[str]) -> None:
        self._endpoints = {host: url.rstrip("/") for host, url in endpoints.items()}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._download_timeout = aiohttp.ClientTimeout(total=download_timeout, sock_read=timeout)
        self._session = session
        self._owns_session = session is None
        self._secrets = tuple(s for s in secrets if s)
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def session(self) -> aiohttp.ClientSession:
        """The shared session, created on first use so it is born inside the running loop."""
        if self._closed:
            raise RuntimeError("the DingTalk client is closed")
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        """Close the session if we created it."""
        self._closed = True
        if self._owns_session and self._session is not None:
            await self._session.close()

    def redactor(self, token: str | None) -> Callable[[str], str]:
        """A function that blanks the app secret and `token` out of a text."""
        secrets = (*self._secrets, token) if token else self._secrets

        def redact(text: str) -> str:
            for secret in secrets:
                text = text.replace(secret, "***")
            return text

        return redact

    async def send(self, req: ApiRequest, token: str | None) -> dict[str, Any]:
        """Perform `req` once and return its JSON object, or raise the matching `DingTalkError`."""
        url = self._endpoints[req.host] + (req.path or req.route)
        headers = {"Accept": "application/json"}
        params = dict(req.query)
        if token is not None and req.host == "api":
            headers[TOKEN_HEADER] = token
        elif token is not None:
            params["access_token"] = token
        redact = self.redactor(token)
        started = time.perf_counter()
        outcome = "error"
        try:
            async with self.session().request(req.method, url, json=req.body, params=params or None,
                                              headers=headers, timeout=self._timeout) as resp:
                outcome = str(resp.status)
                exchange = Exchange(host=req.host, method=req.method, path=req.route, status=resp.status,
                                    body=await resp.read(), content_type=resp.content_type,
                                    retry_after=parse_retry_after(resp.headers.get("Retry-After")))
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
            # `from None`: aiohttp's own message may hold the URL, and with it an oapi token.
            raise DingTalkTransientError(_describe(exc, redact), host=req.host, method=req.method,
                                         path=req.route, code=type(exc).__name__) from None
        finally:
            _log_call(req.method, req.host, req.route, outcome, started)
        return interpret(exchange, redact)

    async def download(self, url: str, *, max_bytes: int, keep: bool) -> tuple[FileDigest, bytes | None]:
        """Stream a GET of `url` (no token), hashing as it goes; keep the bytes only if asked."""
        started = time.perf_counter()
        outcome = "error"
        try:
            async with self.session().get(url, timeout=self._download_timeout) as resp:
                outcome = str(resp.status)
                _check_download(resp, max_bytes)
                return await _consume(resp, max_bytes=max_bytes, keep=keep)
        except asyncio.CancelledError:
            outcome = "cancelled"
            raise
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
            raise DingTalkTransientError(f"download failed: {type(exc).__name__}", host="file", method="GET",
                                         path=DOWNLOAD_PATH, code=type(exc).__name__) from None
        finally:
            _log_call("GET", "file", DOWNLOAD_PATH, outcome, started)


def _check_download(resp: aiohttp.ClientResponse, max_bytes: int) -> None:
    status = resp.status
    if status == 200:
        if resp.content_length is not None and resp.content_length > max_bytes:
            raise DingTalkFileTooLargeError(max_bytes, host="file", method="GET", path=DOWNLOAD_PATH, status=status)
        return
    cls: type[DingTalkError]
    if status == 429:
        cls = DingTalkThrottledError
    elif status >= 500:
        cls = DingTalkTransientError
    elif status in (404, 410):
        cls = DingTalkNotFoundError
    else:
        cls = DingTalkRequestError  # typically 403: the signed link expired
    raise cls(f"download answered HTTP {status}", host="file", method="GET", path=DOWNLOAD_PATH, status=status,
              retry_after=parse_retry_after(resp.headers.get("Retry-After")))


async def _consume(resp: aiohttp.ClientResponse, *, max_bytes: int, keep: bool) -> tuple[FileDigest, bytes | None]:
    digest = hashlib.sha256()
    kept = bytearray() if keep else None
    size = 0
    async for chunk in resp.content.iter_chunked(CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise DingTalkFileTooLargeError(max_bytes, host="file", method="GET", path=DOWNLOAD_PATH,
                                            status=resp.status)
        digest.update(chunk)
        if kept is not None:
            kept.extend(chunk)
    content_type = resp.headers.get("Content-Type")
    result = FileDigest(sha256=digest.hexdigest(), size=size, content_type=content_type)
    return result, None if kept is None else bytes(kept)


def _describe(exc: BaseException, redact: Callable[[str], str]) -> str:
    detail = redact(str(exc))
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _log_call(method: str, host: Host, route: str, outcome: str, started: float) -> None:
    elapsed_ms = (time.perf_counter() - started) * 1000
    log.debug("dingtalk %s %s %s -> %s in %.0f ms", method, host, route, outcome, elapsed_ms)
