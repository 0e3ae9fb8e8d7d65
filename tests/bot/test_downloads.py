"""File answers: bytes as they are; a spooled export streamed in chunks after the middlewares ran, then closed."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from tempfile import SpooledTemporaryFile

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.downloads import CHUNK_BYTES, download_response
from handlers.api.models import Download

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def stamp(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers["X-Stamp"] = "after the handler"  # as the security-headers middleware does
    return response


async def test_a_spooled_export_is_streamed_whole_with_its_headers_and_then_closed() -> None:
    data = os.urandom(3 * CHUNK_BYTES + 123)
    spooled: SpooledTemporaryFile[bytes] = SpooledTemporaryFile(max_size=1024, mode="w+b")  # noqa: SIM115 (the response closes it)
    spooled.write(data)
    spooled.seek(0)
    assert spooled._rolled  # type: ignore[attr-defined]  # on disk, as a large export is

    async def export(_request: web.Request) -> web.StreamResponse:
        return download_response(Download(filename="分類-2026-11-29.csv", media_type="text/csv", content=spooled))

    app = web.Application(middlewares=[stamp])
    app.router.add_get("/export", export)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/export")
        assert response.status == 200 and await response.read() == data
        assert response.headers["Content-Length"] == str(len(data)) and response.headers["X-Stamp"]
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert response.headers["Content-Disposition"] == (
            "attachment; filename=\"__-2026-11-29.csv\"; filename*=UTF-8''%E5%88%86%E9%A1%9E-2026-11-29.csv")
    assert spooled.closed


async def test_bytes_are_sent_as_they_are() -> None:
    async def report(_request: web.Request) -> web.StreamResponse:
        return download_response(Download(filename="report.html", media_type="text/html; charset=utf-8",
                                          content=b"<p>ok</p>", inline=True))

    app = web.Application()
    app.router.add_get("/report", report)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/report")
        assert await response.read() == b"<p>ok</p>"
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
