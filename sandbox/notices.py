"""Other reminder channels (wire reference 7.1, 7.2) and media upload, as recorded stubs."""

from __future__ import annotations

import itertools
from typing import Any

from aiohttp import web

from sandbox import errors, ids
from sandbox.bodies import json_body
from sandbox.state import STATE
from sandbox.timeline import user_key

_task_ids = itertools.count(256271667526)


async def work_notice(request: web.Request) -> web.Response:
    """``POST /topapi/message/corpconversation/asyncsend_v2``: shows up in each recipient's chat as a notice."""
    state = request.app[STATE]
    body = await json_body(request)
    if not body.get("agent_id"):
        raise errors.OapiError(40035, "缺少参数 agent_id")
    userid_list = body.get("userid_list", "")
    if not isinstance(userid_list, str):
        raise errors.OapiError(40035, "userid_list must be a comma-separated string")
    msg = body.get("msg")
    if not isinstance(msg, dict) or not isinstance(msg.get(str(msg.get("msgtype"))), dict):
        raise errors.OapiError(40035, "msg must carry msgtype and its object")
    for userid in (u for u in userid_list.split(",") if u in state.org.users):
        state.timeline.add(user_key(userid), {"kind": "notice", "source": "workNotice", "msg": msg,
                                              "display": _notice_display(msg)})
    return web.json_response({"errcode": 0, "errmsg": "ok", "task_id": next(_task_ids),
                              "request_id": ids.hex_token(6)})


def _notice_display(msg: dict[str, Any]) -> dict[str, Any]:
    part = msg[msg["msgtype"]]
    if msg["msgtype"] == "text":
        return {"type": "text", "text": str(part.get("content", ""))}
    return {"type": "markdown", "title": str(part.get("title", "")),
            "text": str(part.get("markdown") or part.get("text") or "")}


async def create_todo(request: web.Request) -> web.Response:
    """``POST /v1.0/todo/users/{unionId}/tasks``."""
    state = request.app[STATE]
    union_id = request.match_info["unionId"]
    body = await json_body(request)
    if not body.get("subject"):
        raise errors.ApiError(400, "invalidParameter.subject", "subject is required")
    now = state.clock.now_ms()
    executors = body.get("executorIds", [])
    for uid in executors if isinstance(executors, list) else []:
        user = state.org.by_union.get(str(uid))
        if user is not None:
            state.timeline.add(user_key(user.userid), {
                "kind": "notice", "source": "todo", "task": body,
                "display": {"type": "markdown", "title": "待辦 To-do", "text": f"**待辦 To-do**: {body['subject']}"},
            })
    return web.json_response({
        "id": "task" + ids.hex_token(8), "subject": body["subject"], "description": body.get("description", ""),
        "startTime": now, "dueTime": body.get("dueTime"), "finishTime": None, "done": False,
        "executorIds": executors, "participantIds": body.get("participantIds", []),
        "detailUrl": body.get("detailUrl", {}), "source": "isv", "sourceId": body.get("sourceId"),
        "createdTime": now, "modifiedTime": now, "creatorId": request.query.get("operatorId", union_id),
        "modifierId": request.query.get("operatorId", union_id), "bizTag": "isv", "requestId": ids.request_id(),
        "isOnlyShowExecutor": body.get("isOnlyShowExecutor", False), "priority": body.get("priority", 20),
    })


async def media_upload(request: web.Request) -> web.Response:
    """``POST /media/upload`` (multipart ``media`` + ``type``)."""
    form = await request.post()
    media, kind = form.get("media"), form.get("type")
    if not isinstance(media, web.FileField) or kind not in ("image", "voice", "video", "file"):
        raise errors.OapiError(40035, "缺少参数 media/type")
    return web.json_response({"errcode": 0, "errmsg": "ok", "media_id": "@lA" + ids.short_token(18),
                              "type": kind, "created_at": request.app[STATE].clock.now_ms()})


def routes() -> list[web.RouteDef]:
    return [
        web.post("/topapi/message/corpconversation/asyncsend_v2", work_notice),
        web.post("/v1.0/todo/users/{unionId}/tasks", create_todo),
        web.post("/media/upload", media_upload),
    ]
