"""File answers of the pages (exports, sign-off reports and certificates), from the handlers' `Download`."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from aiohttp import web

from handlers.api.models import Download

# A stored report or certificate is shown as it was frozen: its own inline styles, never any script.
FILE_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


def file_response(file: Download) -> web.Response:
    """The file, saved (an export) or shown (a report); the name per RFC 6266, Chinese names included."""
    disposition = "inline" if file.inline else "attachment"
    fallback = file.filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    name = f"filename=\"{fallback}\"; filename*=UTF-8''{quote(file.filename)}"
    headers = {"Content-Disposition": f"{disposition}; {name}", "Content-Security-Policy": FILE_CSP}
    return web.Response(body=file.content, content_type=file.media_type.split(";")[0], headers=headers,
                        charset="utf-8" if file.media_type.startswith("text/") else None)
