"""The outbound DingTalk OpenAPI client (dingtalk-wire.md 1.1, 3-7).

`DingTalkClient` talks to both hosts on one aiohttp session:

- the new API (`openapi_endpoint`, /v1.0/...), token in the `x-acs-dingtalk-access-token` header, errors as
  HTTP 4xx/5xx with `{code, message, requestid}`;
- the old API (`oapi_endpoint`, /topapi/...), token as `?access_token=`, errors as HTTP 200 with
  `{errcode, errmsg, sub_code}`.

Every call has a timeout, passes a per-route token bucket (`rate_limits`, default 20 calls/s per route),
and is retried on throttling and transient failures with full-jitter exponential backoff (base 0.5 s,
cap 30 s, `Retry-After` honoured) up to `max_attempts` in all. The app token is cached, refreshed five
minutes before expiry by one caller for all, and dropped and refetched once when DingTalk refuses it.
Each exchange logs one debug line on the `bot.dingtalk` logger (method, host, route, status, elapsed ms),
never a token, secret or body. Logs and errors name routes as templates (`/v1.0/todo/users/{unionId}/tasks`).

Errors (all in `bot.dingtalk.errors`)::

    DingTalkError                    base; .host .method .path .status .code .message .request_id .retryable
    ├── DingTalkAuthError            bad app credentials
    │   └── DingTalkTokenError       token refused even after one refresh
    ├── DingTalkThrottledError       QPS limit (429, 403 QpsLimit..., oapi 90018/90019/90002)  retryable
    ├── DingTalkTransientError       5xx, busy, network, timeout, anti-abuse, unreadable body   retryable
    ├── DingTalkRequestError         permanent 4xx / errcode
    │   ├── DingTalkNotFoundError    oapi 60121/60003, ResourceNotFound.*, 404
    │   └── DingTalkFileTooLargeError
    ├── DingTalkQuotaError           monthly quota (oapi 90020, ApiCountLimitForOrg)
    └── DingTalkDeliveryError        HTTP 200 but delivered to no one

A 200 answer of the wrong shape raises `DingTalkTransientError` (code `malformedAnswer`) without an
internal retry, since the call may have taken effect.
"""

from __future__ import annotations

from bot.dingtalk.backoff import Backoff
from bot.dingtalk.cards import CardDelivery, CardSpace, GroupChat, RobotChat, group_space_id, robot_space_id
from bot.dingtalk.client import DingTalkClient
from bot.dingtalk.errors import (
    DingTalkAuthError,
    DingTalkDeliveryError,
    DingTalkError,
    DingTalkFileTooLargeError,
    DingTalkNotFoundError,
    DingTalkQuotaError,
    DingTalkRequestError,
    DingTalkThrottledError,
    DingTalkTokenError,
    DingTalkTransientError,
)
from bot.dingtalk.ids import ROOT_DEPT, DeptId, OpenConversationId, UnionId, UserId
from bot.dingtalk.models import (
    CardDeliverResult,
    Department,
    DepartmentMember,
    DepartmentSummary,
    DeptLeadership,
    DirectoryUser,
    DownloadedFile,
    FileDigest,
    FreeLoginUser,
    OtoSendResult,
    StreamTicket,
    Subscription,
)
from bot.dingtalk.ratelimit import RateLimiter, TokenBucket

__all__ = [
    "ROOT_DEPT",
    "Backoff",
    "CardDeliverResult",
    "CardDelivery",
    "CardSpace",
    "Department",
    "DepartmentMember",
    "DepartmentSummary",
    "DeptId",
    "DeptLeadership",
    "DingTalkAuthError",
    "DingTalkClient",
    "DingTalkDeliveryError",
    "DingTalkError",
    "DingTalkFileTooLargeError",
    "DingTalkNotFoundError",
    "DingTalkQuotaError",
    "DingTalkRequestError",
    "DingTalkThrottledError",
    "DingTalkTokenError",
    "DingTalkTransientError",
    "DirectoryUser",
    "DownloadedFile",
    "FileDigest",
    "FreeLoginUser",
    "GroupChat",
    "OpenConversationId",
    "OtoSendResult",
    "RateLimiter",
    "RobotChat",
    "StreamTicket",
    "Subscription",
    "TokenBucket",
    "UnionId",
    "UserId",
    "group_space_id",
    "robot_space_id",
]
