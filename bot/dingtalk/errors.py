"""The one exception tree of the DingTalk client.

Every failed call raises a `DingTalkError`; nothing returns `None` for a failure::

    DingTalkError                    any failure; `.retryable` says whether the same call may work later
    ├── DingTalkAuthError            bad app credentials (invalidClientIdOrSecret, oapi 40096/40089)
    │   └── DingTalkTokenError       the access token was refused (InvalidAuthentication, HTTP 401,
    │                                oapi 40014/42001/88+sub_code 40014); the client drops the token,
    │                                refreshes it and retries once by itself before raising this
    ├── DingTalkThrottledError       QPS limits: HTTP 429, 403 Forbidden.AccessDenied.QpsLimitForAppkeyAndApi,
    │                                oapi 90018/90019/90002                              (retryable)
    ├── DingTalkTransientError       HTTP 5xx, system.busy, oapi -1, network errors, timeouts, the anti-abuse
    │                                page {"status": 1111}, non-JSON or malformed bodies (retryable)
    ├── DingTalkRequestError         permanent: bad parameters, missing permission, unknown API
    │   ├── DingTalkNotFoundError    no such user/department/resource (oapi 60121/60003, ResourceNotFound.*, 404)
    │   └── DingTalkFileTooLargeError  a download went past its `max_bytes`
    ├── DingTalkQuotaError           the org's monthly API quota is used up (oapi 90020,
    │                                Forbidden.AccessDenied.ApiCountLimitForOrg)
    └── DingTalkDeliveryError        HTTP 200, yet nothing was delivered (every card deliverResult failed,
                                     every batchSend recipient invalid, a card update not applied)

The client retries retryable errors itself (full-jitter backoff, `Retry-After` honoured) up to its
`max_attempts`; what reaches the caller has already been retried. Messages never carry secrets, tokens or
request bodies, and the server's text is trimmed.
"""

from __future__ import annotations

from typing import ClassVar, Literal

Host = Literal["api", "oapi", "file"]
"""`api`: api.dingtalk.com (/v1.0); `oapi`: oapi.dingtalk.com (/topapi); `file`: a download URL."""

MAX_MESSAGE_CHARS = 300


def trim(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """Cut a server-supplied text to a loggable length."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DingTalkError(Exception):
    """A DingTalk call failed; `path` is the route template, without ids, query or token."""

    retryable: ClassVar[bool] = False

    def __init__(
        self,
        message: str,
        *,
        host: Host,
        method: str,
        path: str,
        status: int | None = None,
        code: str = "",
        request_id: str | None = None,
        sub_code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.message = trim(message)
        self.host: Host = host
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.request_id = request_id
        self.sub_code = sub_code
        self.retry_after = retry_after
        super().__init__(self._render())

    def _render(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        code = f" {self.code}" if self.code else ""
        sub = f"/{self.sub_code}" if self.sub_code else ""
        request = f" [request {self.request_id}]" if self.request_id else ""
        return f"DingTalk {self.host} {self.method} {self.path}: {status}{code}{sub}: {self.message}{request}"


class DingTalkAuthError(DingTalkError):
    """The app's credentials were refused; fix the configuration."""


class DingTalkTokenError(DingTalkAuthError):
    """The access token was refused even after one refresh."""


class DingTalkThrottledError(DingTalkError):
    """DingTalk asked us to slow down."""

    retryable: ClassVar[bool] = True


class DingTalkTransientError(DingTalkError):
    """A failure that may pass: server error, network, timeout, or an answer we could not read."""

    retryable: ClassVar[bool] = True


class DingTalkRequestError(DingTalkError):
    """DingTalk refused the request itself; repeating it will not help."""


class DingTalkNotFoundError(DingTalkRequestError, LookupError):
    """The user, department or resource does not exist (or is not visible to the app)."""


class DingTalkFileTooLargeError(DingTalkRequestError):
    """A download was stopped at its size limit."""

    def __init__(self, limit: int, *, host: Host, method: str, path: str, status: int | None) -> None:
        self.limit = limit
        super().__init__(
            f"file exceeds {limit} bytes", host=host, method=method, path=path, status=status, code="tooLarge"
        )


class DingTalkQuotaError(DingTalkError):
    """The org's monthly API call quota is used up; calls fail until it resets or the plan grows."""


class DingTalkDeliveryError(DingTalkError):
    """DingTalk accepted the call but delivered to no one; `failures` names the spaces or users."""

    def __init__(
        self,
        message: str,
        *,
        host: Host,
        method: str,
        path: str,
        failures: tuple[str, ...] = (),
        request_id: str | None = None,
    ) -> None:
        self.failures = failures
        super().__init__(
            message, host=host, method=method, path=path, status=200, code="notDelivered", request_id=request_id
        )
