"""Control API, part 2: things users do (messages, group messages, raw frames, redelivery)."""

from __future__ import annotations

import base64
import binascii
import random
from typing import Any

from aiohttp import web

from sandbox import inbound
from sandbox.bodies import control_body, fail, reply
from sandbox.control import PREFIX
from sandbox.org import User
from sandbox.state import STATE, SandboxState


def _user(state: SandboxState, user_id: Any) -> User:
    user = state.org.users.get(str(user_id))
    if user is None:
        fail(404, f"unknown user {user_id!r}")
    return user


async def message(request: web.Request) -> web.Response:
    """A user writes to the bot in their 1:1 chat: JSON text or file, or a multipart upload from the page."""
    state = request.app[STATE]
    if request.content_type.startswith("multipart/"):
        return await _multipart_file(request, state)
    body = await control_body(request)
    user = _user(state, body.get("userId"))
    if isinstance(body.get("file"), dict):
        name, content = _file_of(body["file"])
        return reply(inbound.direct_file(state, user, state.files.put(name, content)).public())
    text = body.get("text")
    if not isinstance(text, str) or not text:
        fail(400, "text (or file) is required")
    return reply(inbound.direct_text(state, user, text).public())


def _file_of(raw: dict[str, Any]) -> tuple[str, bytes]:
    name = raw.get("fileName")
    if not isinstance(name, str) or not name:
        fail(400, "file.fileName is required")
    try:
        content = base64.b64decode(str(raw.get("contentBase64", "")), validate=True)
    except (binascii.Error, ValueError):
        fail(400, "file.contentBase64 is not base64")
    return name, content


async def _multipart_file(request: web.Request, state: SandboxState) -> web.Response:
    form = await request.post()
    user = _user(state, form.get("userId"))
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        fail(400, "a file field is required")
    content = upload.file.read()
    return reply(inbound.direct_file(state, user, state.files.put(upload.filename, content)).public())


async def group_message(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await control_body(request)
    group = state.org.groups.get(str(body.get("conversationId")))
    if group is None:
        fail(404, f"unknown group {body.get('conversationId')!r}")
    user = _user(state, body.get("userId"))
    if user.userid not in group.members:
        fail(403, f"{user.userid} is not a member of {group.conversation_id}")
    text = body.get("text")
    replied = body.get("repliedMsg")
    if not isinstance(text, str) or not text or (replied is not None and not isinstance(replied, dict)):
        fail(400, "text is required; repliedMsg, if given, is an object")
    injected = inbound.group_text(state, group, user, text, bool(body.get("atBot", True)), replied)
    return reply(injected.public())


async def push_frame(request: web.Request) -> web.Response:
    """Send any frame, or any text, to one connection (by id, else a random live one)."""
    state = request.app[STATE]
    body = await control_body(request)
    live = state.hub.live()
    conn = state.hub.connections.get(str(body.get("connectionId"))) or (random.choice(live) if live else None)
    if conn is None:
        fail(409, "no connection to send to")
    if isinstance(body.get("raw"), str):
        delivery = state.hub.send_text(conn, body["raw"])
    elif isinstance(body.get("frame"), dict):
        delivery = state.hub.send_to(conn, body["frame"], redeliver=bool(body.get("redeliver", False)))
    else:
        fail(400, "give frame (an object) or raw (a string)")
    return reply({"messageId": delivery.message_id if delivery else None, "connectionId": conn.id})


async def redeliver(request: web.Request) -> web.Response:
    state = request.app[STATE]
    body = await control_body(request)
    delivery = state.hub.redeliver_now(str(body.get("messageId")))
    if delivery is None:
        fail(404, f"unknown messageId {body.get('messageId')!r}")
    return reply({"messageId": delivery.message_id, "state": delivery.state, "sends": delivery.sends})


def routes() -> list[web.RouteDef]:
    return [
        web.post(PREFIX + "messages", message),
        web.post(PREFIX + "group-messages", group_message),
        web.post(PREFIX + "frames", push_frame),
        web.post(PREFIX + "redeliver", redeliver),
    ]
