"""Every route of the mini-program API, each declaring the role it needs and its request and answer models."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import web

from bot.api.limits import SignInLimiter, SpentCodes
from bot.api.problems import ApiProblem
from bot.api.registry import ApiCall, ApiRegistry
from bot.dingtalk.errors import DingTalkError, DingTalkNotFoundError, DingTalkRequestError
from bot.dingtalk.models import FreeLoginUser
from handlers.api.audit import check_audit_chain, list_audit_events
from handlers.api.caller import Caller, me, signed_in_caller
from handlers.api.classifications import list_classifications
from handlers.api.models import (
    AuditPage,
    AuditQuery,
    ChainCheck,
    ClassificationPage,
    ClassificationQuery,
    Me,
    NoBody,
    NoPath,
    NoQuery,
    OpenApiDocument,
    SignInRequest,
    SignInResponse,
)

log = logging.getLogger(__name__)

API_PREFIX: Final = "/api/v1"
API = ApiRegistry("compliance-bot mini-program API", "1.0.0", API_PREFIX)
BAD_CODE: Final = "the sign-in code is invalid, expired or already used; ask DingTalk for a new one"


@dataclass
class ApiState:
    """What the API keeps between requests, in this process."""

    limiter: SignInLimiter
    spent_codes: SpentCodes = field(default_factory=SpentCodes)
    openapi: dict[str, Any] = field(default_factory=dict)


API_STATE = web.AppKey("api_state", ApiState)


@API.route("POST", "/auth/dingtalk", access="public", query=NoQuery, body=SignInRequest, response=SignInResponse,
           summary="Exchange a DingTalk free-login code for a session token", tags=("auth",), rate_limited=True,
           statuses=(401, 403, 503))
async def sign_in(call: ApiCall[NoQuery, SignInRequest, NoPath]) -> SignInResponse:
    """Each code works once (DingTalk's rule, and this API's too); a bad, expired or replayed one gets 401."""
    state = call.request.config_dict[API_STATE]
    if not state.spent_codes.claim(call.body.auth_code):
        raise ApiProblem(401, BAD_CODE)
    caller = await _exchange(call, call.body.auth_code)
    if caller is None:
        raise ApiProblem(403, "this account is not an active member of the organisation")
    issued = call.deps.tokens.issue(caller.user_id, call.now)
    log.info("api sign-in: token %s issued (role %s)", issued.claims.token_id, caller.role)
    expires_in = int((issued.claims.expires_at - call.now).total_seconds())
    return SignInResponse(token=issued.token, expires_at=issued.claims.expires_at, expires_in=expires_in,
                          user=me(caller))


async def _exchange(call: ApiCall[NoQuery, SignInRequest, NoPath], code: str) -> Caller | None:
    deps = call.deps
    try:
        who: FreeLoginUser = await deps.dingtalk.user_id_by_auth_code(code)
    except DingTalkRequestError as exc:
        if not isinstance(exc, DingTalkNotFoundError) and exc.code != "40078":
            log.warning("api sign-in: DingTalk refused the code exchange: %s", exc)
        raise ApiProblem(401, BAD_CODE) from None
    except DingTalkError as exc:
        log.warning("api sign-in: DingTalk could not exchange the code: %s", exc)
        raise ApiProblem(503, "DingTalk did not answer; try again shortly", headers={"Retry-After": "5"}) from None
    try:
        return await signed_in_caller(call.session, deps.dingtalk, who.userid, sys_level=who.sys_level, now=call.now,
                                      max_age=deps.directory_max_age, bot_admins=deps.bot_admins)
    except DingTalkError as exc:
        log.warning("api sign-in: the directory could not be read: %s", exc)
        raise ApiProblem(503, "DingTalk did not answer; try again shortly", headers={"Retry-After": "5"}) from None


@API.route("GET", "/me", access="employee", query=NoQuery, body=NoBody, response=Me,
           summary="The signed-in person and their current role", tags=("people",))
async def get_me(call: ApiCall[NoQuery, NoBody, NoPath]) -> Me:
    return me(call.user)


@API.route("GET", "/classifications", access="employee", query=ClassificationQuery, body=NoBody,
           response=ClassificationPage, summary="Classifications of shared files", tags=("classifications",))
async def get_classifications(call: ApiCall[ClassificationQuery, NoBody, NoPath]) -> ClassificationPage:
    """Employees see their own, managers their team's, admins everyone's; `person` narrows within that.
    Newest first by default; follow `nextCursor` for the next page."""
    return await list_classifications(call.session, call.user, call.query)


@API.route("GET", "/audit-events", access="admin", query=AuditQuery, body=NoBody, response=AuditPage,
           summary="The audit log, in chain order", tags=("audit",))
async def get_audit_events(call: ApiCall[AuditQuery, NoBody, NoPath]) -> AuditPage:
    return await list_audit_events(call.session, call.query)


@API.route("GET", "/audit-events/verify", access="admin", query=NoQuery, body=NoBody, response=ChainCheck,
           summary="Check every entry of the hash-chained audit log", tags=("audit",))
async def verify_audit_events(call: ApiCall[NoQuery, NoBody, NoPath]) -> ChainCheck:
    """Names the first broken entry, as `compliance-bot audit verify` does."""
    return await check_audit_chain(call.session)


@API.route("GET", "/openapi.json", access="public", query=NoQuery, body=NoBody, response=OpenApiDocument,
           summary="This document", tags=("meta",))
async def get_openapi(call: ApiCall[NoQuery, NoBody, NoPath]) -> OpenApiDocument:
    return OpenApiDocument(call.request.config_dict[API_STATE].openapi)
