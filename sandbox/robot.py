"""Robot messaging (wire reference 3.1-3.5): 1:1 batch send, group send, file download, sessionWebhook."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from sandbox import errors, ids
from sandbox.bodies import json_body
from sandbox.state import STATE, SandboxState
from sandbox.timeline import MSG_KEYS, display_of_msg, display_of_webhook, group_key, user_key

MAX_BATCH_USERS = 20
WEBHOOK_TYPES = ("text", "markdown", "actionCard", "link", "feedCard", "empty")
_REQUIRED_PARAMS = {"sampleText": ("content",), "sampleMarkdown": ("title", "text")}


def _check_robot(state: SandboxState, body: dict[str, Any]) -> None:
    if body.get("robotCode") != state.config.client_id:
        raise errors.ApiError(400, "invalidParameter.robotCode.auth", "robotCode不属于当前应用")


def _message(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The msgKey and the decoded msgParam, which must arrive as a JSON string."""
    msg_key = body.get("msgKey")
    if msg_key not in MSG_KEYS:
        raise errors.ApiError(400, "invalidParameter.msgKey.invalid", f"msgKey {msg_key!r} is not supported")
    raw = body.get("msgParam")
    try:
        param = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        param = None
    if not isinstance(param, dict):
        raise errors.ApiError(400, "invalidParameter.msgParam.invalid", "msgParam must be a JSON object string")
    missing = [k for k in _REQUIRED_PARAMS.get(str(msg_key), ()) if not param.get(k)]
    if missing:
        raise errors.ApiError(400, "invalidParameter.msgParam.invalid", f"msgParam lacks {', '.join(missing)}")
    return str(msg_key), param


async def batch_send(request: web.Request) -> web.Response:
    """``POST /v1.0/robot/oToMessages/batchSend``."""
    state = request.app[STATE]
    body = await json_body(request)
    _check_robot(state, body)
    user_ids = body.get("userIds")
    if not isinstance(user_ids, list) or not user_ids or not all(isinstance(u, str) for u in user_ids):
        raise errors.ApiError(400, "invalidParameter.userIds.empty", "userIds must be a non-empty list")
    if len(user_ids) > MAX_BATCH_USERS:
        raise errors.ApiError(400, "invalidParameter.userIds.exceed", f"at most {MAX_BATCH_USERS} userIds")
    msg_key, param = _message(body)
    key = ids.process_query_key()
    invalid = [u for u in user_ids if u not in state.org.users]
    for user_id in dict.fromkeys(u for u in user_ids if u in state.org.users):
        state.timeline.add(user_key(user_id), {
            "kind": "bot", "source": "batchSend", "msgKey": msg_key, "msgParam": param,
            "display": display_of_msg(msg_key, param), "processQueryKey": key,
        })
    return web.json_response({"processQueryKey": key, "invalidStaffIdList": invalid,
                              "flowControlledStaffIdList": [], "filteredStaffIdList": []})


async def group_send(request: web.Request) -> web.Response:
    """``POST /v1.0/robot/groupMessages/send``."""
    state = request.app[STATE]
    body = await json_body(request)
    _check_robot(state, body)
    cid = body.get("openConversationId")
    if cid not in state.org.groups:
        raise errors.ApiError(400, "invalid.openConversationId", "openConversationId不合法")
    msg_key, param = _message(body)
    key = ids.process_query_key()
    state.timeline.add(group_key(str(cid)), {
        "kind": "bot", "source": "groupSend", "msgKey": msg_key, "msgParam": param,
        "display": display_of_msg(msg_key, param), "processQueryKey": key,
    })
    return web.json_response({"processQueryKey": key})


async def file_download(request: web.Request) -> web.Response:
    """``POST /v1.0/robot/messageFiles/download``: a URL to fetch without the token header."""
    state = request.app[STATE]
    body = await json_body(request)
    _check_robot(state, body)
    token = state.files.link(str(body.get("downloadCode", "")))
    if token is None:
        raise errors.ApiError(400, "invalidParameter.downloadCode.invalid", "downloadCode不存在或已过期")
    return web.json_response({"downloadUrl": f"{state.base_url}/_files/{token}"})


async def serve_file(request: web.Request) -> web.Response:
    stored = request.app[STATE].files.by_link(request.match_info["token"])
    if stored is None:
        raise web.HTTPNotFound(text="no such file")
    return web.Response(body=stored.content, content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{stored.download_code}.file"'})


async def send_by_session(request: web.Request) -> web.Response:
    """``POST <sessionWebhook>``: reply into the conversation the message came from."""
    state = request.app[STATE]
    session = state.sessions.live(request.query.get("session", ""))
    if session is None:
        raise errors.OapiError(300001, "session不存在或已过期")
    body = await json_body(request)
    msgtype = body.get("msgtype")
    if msgtype not in WEBHOOK_TYPES:
        raise errors.OapiError(40035, f"不合法的参数: msgtype {msgtype!r} (interactive cards cannot be sent here)")
    if msgtype != "empty":
        if not isinstance(body.get(msgtype), dict):
            raise errors.OapiError(40035, f"不合法的参数: missing {msgtype} object")
        key = user_key(session.key) if session.kind == "user" else group_key(session.key)
        state.timeline.add(key, {"kind": "bot", "source": "sessionWebhook", "msgtype": msgtype, "body": body,
                                 "display": display_of_webhook(body)})
    return web.json_response({"errcode": 0, "errmsg": "ok"})


def routes() -> list[web.RouteDef]:
    return [
        web.post("/v1.0/robot/oToMessages/batchSend", batch_send),
        web.post("/v1.0/robot/groupMessages/send", group_send),
        web.post("/v1.0/robot/messageFiles/download", file_download),
        web.get("/_files/{token}", serve_file),
        web.post("/robot/sendBySession", send_by_session),
    ]
