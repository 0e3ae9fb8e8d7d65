"""Reading request bodies and answering the control API."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from aiohttp import web

from sandbox import errors


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object, or the host's "bad parameter" error."""
    raw = await request.read()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise errors.bad_parameter(request.path, "request body must be a JSON object")
    return body


async def recordable_body(request: web.Request) -> Any:
    """What the call log shows as the request body."""
    if request.method in ("GET", "HEAD") or not request.body_exists:
        return None
    if request.content_type.startswith("multipart/"):
        return {"multipart": True}
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:4000]


def recordable_response(response: web.StreamResponse) -> Any:
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return None
    if response.content_type == "application/json":
        try:
            return json.loads(response.body)
        except ValueError:
            return None
    return None


_STATUS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    408: web.HTTPRequestTimeout,
    409: web.HTTPConflict,
    503: web.HTTPServiceUnavailable,
}


def fail(status: int, message: str, **extra: Any) -> NoReturn:
    """Abort a control-API request with a JSON error."""
    body = json.dumps({"error": message, **extra}, ensure_ascii=False)
    raise _STATUS[status](text=body, content_type="application/json")


async def control_body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.body_exists else {}
    except ValueError:
        fail(400, "body must be JSON")
    if not isinstance(body, dict):
        fail(400, "body must be a JSON object")
    return body


def reply(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
