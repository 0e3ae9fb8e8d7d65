"""File answers (exports, sign-off reports, certificates) for both the API and the admin pages.

A file held in a spooled temporary file (a large export) is streamed in chunks, read in a worker thread, once
the middlewares have added their headers, and closed afterwards, so an export of a million rows never sits
in memory whole.
"""

from __future__ import annotations

import asyncio
from tempfile import SpooledTemporaryFile
from typing import Final
from urllib.parse import quote

from aiohttp import web
from aiohttp.abc import AbstractStreamWriter

from handlers.api.models import Download

CHUNK_BYTES: Final = 256 * 1024
# A stored report or certificate is shown as it was frozen: its own inline styles, never any script.
FILE_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def download_response(file: Download) -> web.StreamResponse:
    """The file, saved (an export) or shown (a report); its name per RFC 6266, Chinese names included."""
    disposition = "inline" if file.inline else "attachment"
    fallback = file.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    name = f"filename=\"{fallback}\"; filename*=UTF-8''{quote(file.filename)}"
    headers = {"Content-Disposition": f"{disposition}; {name}", "Content-Security-Policy": FILE_CSP}
    content_type = file.media_type.split(";")[0]
    charset = "utf-8" if file.media_type.startswith("text/") else None
    if isinstance(file.content, bytes):
        return web.Response(body=file.content, content_type=content_type, charset=charset, headers=headers)
    response = SpooledFileResponse(file.content, headers=headers)
    response.content_type = content_type
    if charset is not None:
        response.charset = charset
    return response


class SpooledFileResponse(web.StreamResponse):
    """Streams a spooled temporary file when aiohttp prepares the response, then closes it."""

    def __init__(self, file: SpooledTemporaryFile[bytes], *, headers: dict[str, str]) -> None:
        super().__init__(headers=headers)
        self._file = file
        self.content_length = file.seek(0, 2)
        file.seek(0)

    async def prepare(self, request: web.BaseRequest) -> AbstractStreamWriter | None:
        if self.prepared:
            return await super().prepare(request)
        try:
            writer = await super().prepare(request)
            if request.method != "HEAD":
                while chunk := await asyncio.to_thread(self._file.read, CHUNK_BYTES):
                    await self.write(chunk)
            return writer
        finally:
            self._file.close()
