"""DingTalk Drive uploads (storage_dentry_create events) ask the uploader, only when the org turns it on."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dispatcher import Dispatcher
from handlers.context import ClassificationPolicy, OrgPolicy
from storage import directory
from storage.models import ClassificationPrompt, OutboxMessage

NOW = datetime(2027, 3, 1, 2, 0, tzinfo=UTC)


def upload_event(message_id: str, union_id: str, kind: str = "FILE") -> str:
    body = {"spaceId": "214", "dentryId": "1048985", "eventScope": "ORG", "eventScopeId": "ding1", "extension": "xlsx",
            "unionId": union_id, "type": kind}
    return json.dumps({"specVersion": "1.0", "type": "EVENT", "data": json.dumps(body), "headers": {
        "topic": "*", "messageId": message_id, "contentType": "application/json", "time": "1",
        "eventType": "storage_dentry_create", "eventId": message_id, "eventBornTime": "1"}})


async def test_an_upload_asks_the_uploader_when_enabled(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session, session.begin():
        await directory.upsert_user(session, user_id="lei.mei", union_id="union-lei-mei", name="李美", refreshed_at=NOW)
    off = Dispatcher(session_factory, OrgPolicy(), lambda: NOW)
    on = Dispatcher(session_factory, OrgPolicy(classification=ClassificationPolicy(drive_events=True)), lambda: NOW)
    await off.dispatch(upload_event("e1", "union-lei-mei"))
    await on.dispatch(upload_event("e2", "union-lei-mei", kind="FOLDER"))
    await on.dispatch(upload_event("e3", "union-nobody"))
    async with session_factory() as session:
        assert await session.scalar(select(ClassificationPrompt)) is None
    ack = json.loads((await on.dispatch(upload_event("e4", "union-lei-mei"))).ack or "{}")
    assert json.loads(ack["data"]) == {"status": "SUCCESS", "message": "ok"}
    async with session_factory() as session:
        [prompt] = list(await session.scalars(select(ClassificationPrompt)))
        assert prompt.asked_user == "lei.mei"
        kinds = {row.kind for row in await session.scalars(select(OutboxMessage))}
        assert "card.create" in kinds
