"""The demo page: static HTML, CSS and JS shipped in the package."""

from __future__ import annotations

from importlib import resources

from aiohttp import web

_TYPES = {".html": "text/html", ".css": "text/css", ".js": "text/javascript"}
_FILES = ("index.html", "app.js", "cards.js", "markdown.js", "style.css", "ui.js")


def _asset(name: str) -> web.Response:
    text = resources.files("sandbox").joinpath("static", name).read_text(encoding="utf-8")
    suffix = name[name.rindex("."):]
    return web.Response(text=text, content_type=_TYPES[suffix], headers={"Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.Response:
    return _asset("index.html")


async def static(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in _FILES:
        raise web.HTTPNotFound()
    return _asset(name)


def routes() -> list[web.RouteDef]:
    return [web.get("/", index), web.get("/static/{name}", static)]
