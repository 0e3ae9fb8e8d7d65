"""The two hosts' error shapes: the new API answers 4xx/5xx ``{code,message,requestid}``; oapi answers
HTTP 200 ``{errcode,errmsg,...}``."""

from __future__ import annotations

import enum
from typing import Any

from aiohttp import web

from sandbox import ids


class Host(enum.Enum):
    API = "api"  # api.dingtalk.com, paths /v1.0/...
    OAPI = "oapi"  # oapi.dingtalk.com, /topapi/..., /gettoken, /robot/sendBySession


def host_of(path: str) -> Host:
    return Host.API if path.startswith("/v1.0/") else Host.OAPI


class SandboxHttpError(Exception):
    """Raised by a handler; the gate middleware turns it into the host's error response."""

    def to_response(self) -> web.Response:
        raise NotImplementedError


class ApiError(SandboxHttpError):
    """A new-API error: HTTP status plus ``{code, message, requestid}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message

    def to_response(self) -> web.Response:
        body = {"code": self.code, "message": self.message, "requestid": ids.request_id()}
        return web.json_response(body, status=self.status)


class OapiError(SandboxHttpError):
    """An oapi error: HTTP 200 with a non-zero ``errcode``."""

    def __init__(self, errcode: int, errmsg: str, **extra: Any) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg
        self.extra = extra

    def to_response(self) -> web.Response:
        body = {"errcode": self.errcode, "errmsg": self.errmsg, **self.extra, "request_id": ids.hex_token(6)}
        return web.json_response(body)


def bad_parameter(path: str, message: str, code: str = "invalidParameter") -> SandboxHttpError:
    """A malformed request, in the shape of the host that ``path`` belongs to."""
    if host_of(path) is Host.API:
        return ApiError(400, code, message)
    return OapiError(40035, f"不合法的参数: {message}")


def bad_token(path: str) -> SandboxHttpError:
    if host_of(path) is Host.API:
        return ApiError(400, "InvalidAuthentication", "不合法的access_token")
    return OapiError(
        88,
        "ding talk error[subcode=40014,submsg=不合法的access_token]",
        sub_code="40014",
        sub_msg="不合法的access_token",
    )


def missing_token(path: str) -> SandboxHttpError:
    if host_of(path) is Host.API:
        return ApiError(400, "AuthenticationFailed.MissingParameter", "缺少参数：x-acs-dingtalk-access-token")
    return OapiError(
        88, "ding talk error[subcode=40000,submsg=access_token is blank]",
        sub_code="40000", sub_msg="access_token is blank",
    )


def throttled(path: str) -> SandboxHttpError:
    if host_of(path) is Host.API:
        return ApiError(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi", "调用该接口触发了应用级别的限流")
    return OapiError(90018, "当前应用调用该接口的并发量已经被限制，请稍后重试")


def server_busy(path: str) -> SandboxHttpError:
    if host_of(path) is Host.API:
        return ApiError(500, "system.busy", "系统繁忙")
    return OapiError(-1, "系统繁忙")


def not_found(path: str) -> SandboxHttpError:
    if host_of(path) is Host.API:
        return ApiError(404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
    api_name = "dingtalk.oapi" + path.replace("/topapi", "").replace("/", ".")
    return OapiError(22, f"Invalid method[{api_name}]", sub_msg=f"不合法ApiName, ApiName = {api_name}")


class RawResponse(SandboxHttpError):
    """An injected fault with a literal status and body."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"raw {status}")
        self.status = status
        self.body = body

    def to_response(self) -> web.Response:
        if isinstance(self.body, str):
            return web.Response(status=self.status, text=self.body)
        return web.json_response(self.body, status=self.status)


def ok(result: Any = None, **extra: Any) -> web.Response:
    """An oapi success body."""
    body: dict[str, Any] = {"errcode": 0, "errmsg": "ok", **extra, "request_id": ids.hex_token(6)}
    if result is not None:
        body["result"] = result
    return web.json_response(body)
