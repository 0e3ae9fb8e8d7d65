"""What every DingTalk call shares: the session, the token, per-route rate limits and retries."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from pydantic import Field, ValidationError

from bot.dingtalk.backoff import Backoff
from bot.dingtalk.errors import DingTalkError, DingTalkTokenError, DingTalkTransientError
from bot.dingtalk.models import WireModel
from bot.dingtalk.ratelimit import Clock, RateLimiter, Sleep
from bot.dingtalk.tokens import AccessToken, AccessTokenCache
from bot.dingtalk.transport import ApiRequest, Transport

log = logging.getLogger("bot.dingtalk")

T = TypeVar("T")
M = TypeVar("M", bound=WireModel)

OPENAPI_ENDPOINT = "https://api.dingtalk.com"
OAPI_ENDPOINT = "https://oapi.dingtalk.com"
TOKEN_ROUTE = "/v1.0/oauth2/accessToken"
# Internal apps were historically held to 20 calls/s per API (90018); stay under it unless told otherwise.
DEFAULT_RATE_LIMIT = 20.0


class _TokenAnswer(WireModel):
    access_token: str = Field(alias="accessToken", min_length=1)
    expire_in: float = Field(alias="expireIn", gt=0)


class ClientCore:
    """The plumbing under `DingTalkClient`; the API groups are mixins over it."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        robot_code: str,
        openapi_endpoint: str = OPENAPI_ENDPOINT,
        oapi_endpoint: str = OAPI_ENDPOINT,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
        download_timeout: float = 120.0,
        max_attempts: int = 4,
        rate_limits: Mapping[str, float] | None = None,
        default_rate_limit: float | None = DEFAULT_RATE_LIMIT,
        backoff: Backoff | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.client_id = client_id
        self.robot_code = robot_code
        self._client_secret = client_secret
        self._transport = Transport(
            endpoints={"api": openapi_endpoint, "oapi": oapi_endpoint}, timeout=timeout,
            download_timeout=download_timeout, session=session, secrets=[client_secret],
        )
        self._tokens = AccessTokenCache(self._fetch_token, clock=clock)
        self._limiter = RateLimiter(rate_limits, default_rate=default_rate_limit, clock=clock, sleep=sleep)
        self._backoff = backoff if backoff is not None else Backoff()
        self._sleep = sleep
        self._max_attempts = max_attempts

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, robot_code={self.robot_code!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the HTTP session (only if the client created it)."""
        await self._transport.close()

    async def access_token(self) -> str:
        """The app access token, from the cache or freshly fetched (with retries)."""
        return await self._retrying(self._tokens.get, "token")

    async def _call(self, req: ApiRequest) -> dict[str, Any]:
        """Perform `req` with rate limiting, the token, one refresh on a refused token, and retries."""
        return await self._retrying(lambda: self._attempt(req), req.route)

    async def _attempt(self, req: ApiRequest) -> dict[str, Any]:
        if not req.auth:
            await self._limiter.acquire(req.route)
            return await self._transport.send(req, None)
        token = await self._tokens.get()
        await self._limiter.acquire(req.route)
        try:
            return await self._transport.send(req, token)
        except DingTalkTokenError:
            # Revoked or expired early; InvalidAuthentication comes as HTTP 400, so status alone won't tell.
            self._tokens.invalidate(token)
            log.debug("dingtalk token refused on %s; refreshing it once", req.route)
        token = await self._tokens.get()
        await self._limiter.acquire(req.route)
        return await self._transport.send(req, token)

    async def _retrying(self, op: Callable[[], Awaitable[T]], what: str) -> T:
        """Run `op`, retrying retryable `DingTalkError`s with backoff up to `max_attempts` in all."""
        if self._transport.closed:
            raise RuntimeError("the DingTalk client is closed")
        attempt = 1
        while True:
            try:
                return await op()
            except DingTalkError as exc:
                delay = self._retry_delay(exc, attempt)
                if delay is None:
                    raise
                log.debug("dingtalk %s: attempt %d failed (%s %s); retrying in %.2f s",
                          what, attempt, type(exc).__name__, exc.code, delay)
            await self._sleep(delay)
            attempt += 1

    def _retry_delay(self, exc: DingTalkError, attempt: int) -> float | None:
        if not exc.retryable or attempt >= self._max_attempts:
            return None
        return self._backoff.delay(attempt, exc.retry_after)

    async def _fetch_token(self) -> AccessToken:
        req = ApiRequest(host="api", method="POST", route=TOKEN_ROUTE, auth=False,
                         body={"appKey": self.client_id, "appSecret": self._client_secret})
        await self._limiter.acquire(req.route)
        answer = self._parse(_TokenAnswer, await self._transport.send(req, None), req)
        return AccessToken(answer.access_token, answer.expire_in)

    def _parse(self, model: type[M], payload: object, req: ApiRequest) -> M:
        """Validate an answer; a wrong shape is reported by field location only, never by value."""
        try:
            return model.model_validate(payload)
        except ValidationError as exc:
            where = sorted({".".join(str(part) for part in err["loc"]) or "<root>" for err in exc.errors()})
            raise self._malformed(req, f"unexpected answer shape at {', '.join(where)}") from None

    def _malformed(self, req: ApiRequest, detail: str) -> DingTalkTransientError:
        # A 200 we cannot read: retryable in principle, but not retried here, as the call may have taken effect.
        return DingTalkTransientError(detail, host=req.host, method=req.method, path=req.route, status=200,
                                      code="malformedAnswer")
