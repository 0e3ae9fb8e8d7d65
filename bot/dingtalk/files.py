"""Files people send the robot (dingtalk-wire.md 3.5): hashed while streaming, never stored."""

from __future__ import annotations

from pydantic import Field

from bot.dingtalk.core import ClientCore
from bot.dingtalk.models import DownloadedFile, FileDigest, WireModel
from bot.dingtalk.transport import ApiRequest

DOWNLOAD_ROUTE = "/v1.0/robot/messageFiles/download"


class _DownloadAnswer(WireModel):
    download_url: str = Field(alias="downloadUrl", min_length=1, repr=False)


class FilesApi(ClientCore):
    """Received-file downloads."""

    async def file_download_url(self, download_code: str) -> str:
        """A short-lived URL for a message's `downloadCode`; treat it as a secret."""
        req = ApiRequest(host="api", method="POST", route=DOWNLOAD_ROUTE,
                         body={"downloadCode": download_code, "robotCode": self.robot_code})
        return self._parse(_DownloadAnswer, await self._call(req), req).download_url

    async def hash_file(self, download_code: str, *, max_bytes: int) -> FileDigest:
        """SHA-256 and size of a received file, streamed without keeping its content."""
        digest, _ = await self._download(download_code, max_bytes=max_bytes, keep=False)
        return digest

    async def download_file(self, download_code: str, *, max_bytes: int) -> DownloadedFile:
        """A received file in memory, with its SHA-256; `DingTalkFileTooLargeError` past `max_bytes`."""
        digest, data = await self._download(download_code, max_bytes=max_bytes, keep=True)
        return DownloadedFile(data=data or b"", sha256=digest.sha256, size=digest.size,
                              content_type=digest.content_type)

    async def _download(self, download_code: str, *, max_bytes: int, keep: bool) -> tuple[FileDigest, bytes | None]:
        if max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        url = await self.file_download_url(download_code)
        return await self._retrying(lambda: self._transport.download(url, max_bytes=max_bytes, keep=keep),
                                    "file download")
