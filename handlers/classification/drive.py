"""DingTalk Drive uploads (`storage_dentry_create` events), when the org turns them on.

DingTalk pushes these only after an admin subscribes the org (`POST /v1.0/storage/events/subscribe`), and
the event names the uploader by unionId and the file by its dentry id and extension, without its name.
"""

from __future__ import annotations

import logging

from handlers.classification.share import ask_about_file
from handlers.context import HandlerContext
from handlers.inbound import SharedFile, StreamEvent, UserId
from storage import directory

log = logging.getLogger(__name__)


async def on_drive_upload(ctx: HandlerContext, event: StreamEvent) -> None:
    if not ctx.policy.classification.drive_events:
        return
    body = event.body
    if str(body.get("type", "")).upper() != "FILE":
        return  # folders are not shared data
    uploader = await directory.user_by_union_id(ctx.session, str(body.get("unionId", "")))
    if uploader is None:
        log.warning("drive upload by an unknown unionId; not asked (is the directory synced?)")
        return
    dentry, extension = str(body.get("dentryId", "")), str(body.get("extension", ""))
    name = f"{dentry}.{extension}" if extension else dentry
    file = SharedFile(file_name=name, download_code="", file_id=dentry, space_id=str(body.get("spaceId", "")))
    await ask_about_file(ctx, sharer=UserId(uploader.user_id), file=file, channel="drive",
                         conversation_id=f"drive:{file.space_id}")

