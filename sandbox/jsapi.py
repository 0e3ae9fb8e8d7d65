"""A stand-in for DingTalk's JSAPI script (dingtalk.open.js) at GET /_sandbox/dd.js, for H5 pages' free-login.

`dd.requestAuthCode` (and the legacy `dd.runtime.permission.requestAuthCode`) show a small picker of the
seeded org's people; picking one mints a real free-login code through the control API (POST
/_sandbox/api/auth-codes) and hands it to `success`, as DingTalk would for whoever opened the page. So a page
runs the same code here as inside DingTalk. The page is on another origin (the bot's port), hence CORS on the
two control routes the picker uses.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.control import PREFIX
from sandbox.state import STATE

# Only what the picker needs is open to other origins; the rest of the control API stays same-origin.
CORS_PATHS: Final = frozenset({PREFIX + "org", PREFIX + "auth-codes"})


async def dd_script(request: web.Request) -> web.Response:
    text = resources.files("sandbox").joinpath("static", "dd.js").read_text(encoding="utf-8")
    corp_id = json.dumps(request.app[STATE].config.corp_id)
    return web.Response(text=text.replace("__CORP_ID__", corp_id), content_type="text/javascript",
                        headers={"Cache-Control": "no-cache", "Access-Control-Allow-Origin": "*"})


@web.middleware
async def picker_cors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Lets a page on any origin (the bot's admin pages) list the org and mint a code, as the picker does."""
    if request.path not in CORS_PATHS:
        return await handler(request)
    headers = {"Access-Control-Allow-Origin": request.headers.get("Origin", "*"), "Vary": "Origin"}
    if request.method == "OPTIONS":
        return web.Response(status=204, headers={**headers, "Access-Control-Allow-Methods": "GET, POST",
                                                 "Access-Control-Allow-Headers": "Content-Type",
                                                 "Access-Control-Max-Age": "600"})
    response = await handler(request)
    response.headers.update(headers)
    return response


def routes() -> list[web.RouteDef]:
    return [web.get("/_sandbox/dd.js", dd_script)]
