"""The pack in force: the shipped one until an admin saves one, then the newest saved version, parsed once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dispatcher import TOPIC_BOT_MESSAGE, TOPIC_CARD_CALLBACK, Dispatcher
from handlers.api.caller import Caller
from handlers.api.rules_pack import RulesPackUpdate, save
from handlers.context import OrgPolicy
from handlers.reminders.intake import take_up_obligations
from handlers.rules.active import active_pack, current_pack, pack_for_rules_version, text_sha256
from handlers.rules.pack import default_pack
from handlers.signoff.report import render_report
from handlers.signoff.snapshot import take_snapshot
from storage import directory, preferences
from storage.models import Assessment, Classification, ClassificationPrompt, OutboxMessage
from tests.handlers.rules.packtext import default_text

NOW = datetime(2027, 3, 1, 10, 0, tzinfo=ZoneInfo("Asia/Macau"))
POLICY = OrgPolicy(admins=("admin.wong",))
ADMIN = Caller(user_id="admin.wong", name="王", title="", role="admin")
NOTIFY_DAYS = "deadline: {kind: after_start, days: 8, counting: calendar}"
NOTIFY_ADVICE = "must be notified in writing to DSPDP within 8 days after it starts"
NOTIFY_TITLE = "en: Notify DSPDP of the processing,"


def revised(version: str, *edits: tuple[str, str]) -> str:
    """The shipped pack under another version string, with `edits` applied (each must match once)."""
    text = default_text().replace('version: "2026.1"', f'version: "{version}"')
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


async def store(sessions: async_sessionmaker[AsyncSession], text: str, based_on: int) -> int:
    async with sessions() as session, session.begin():
        saved = await save(session, ADMIN, RulesPackUpdate(text=text, based_on=based_on), NOW)
    return saved.version


def frame(topic: str, message_id: str, data: dict[str, object]) -> str:
    return json.dumps({"specVersion": "1.0", "type": "CALLBACK", "data": json.dumps(data),
                       "headers": {"topic": topic, "messageId": message_id, "contentType": "application/json",
                                   "time": "1"}})


async def share_and_classify(sessions: async_sessionmaker[AsyncSession]) -> None:
    """cheang.kawai shares a customer list kept in Macau and answers the card."""
    dispatcher = Dispatcher(sessions, POLICY, lambda: NOW)
    share = {"conversationId": "cid-1", "conversationType": "1", "msgId": "m1", "msgtype": "file",
             "senderStaffId": "cheang.kawai", "createAt": 1, "content": {
                 "fileName": "customers.xlsx", "downloadCode": "dc1", "fileId": "f1", "spaceId": "s1"}}
    await dispatcher.dispatch(frame(TOPIC_BOT_MESSAGE, "share-1", share))
    async with sessions() as session:
        prompt = await session.scalar(select(ClassificationPrompt))
        assert prompt is not None
    params = {"action": "classify", "level": "internal", "personal_data": "customer", "destination": "macau"}
    click = {"outTrackId": prompt.card_id, "userId": "cheang.kawai", "spaceType": "IM_ROBOT",
             "content": json.dumps({"cardPrivateData": {"actionIds": [], "params": params}})}
    await dispatcher.dispatch(frame(TOPIC_CARD_CALLBACK, "click-1", click))


async def test_the_shipped_pack_is_in_force_while_none_is_saved(session: AsyncSession) -> None:
    active = await active_pack(session)
    assert (active.version, active.is_default, active.sha256) == (0, True, text_sha256(default_text()))
    assert await current_pack(session) is default_pack()
    assert await pack_for_rules_version(session, "2026.1") is default_pack()
    assert await pack_for_rules_version(session, "1999.9") is None


async def test_the_newest_saved_version_is_in_force_and_parsed_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    assert await store(session_factory, revised("2026.2"), based_on=0) == 1
    async with session_factory() as session:
        first = await current_pack(session)
        assert first.version == "2026.2"
        assert await current_pack(session) is first  # cached: the YAML is not parsed again
        assert await pack_for_rules_version(session, "2026.2") is first
    assert await store(session_factory, revised("2026.3"), based_on=1) == 2
    async with session_factory() as session:
        second = await active_pack(session)
        assert (second.version, second.pack.version, second.is_default) == (2, "2026.3", False)
        assert await pack_for_rules_version(session, "2026.2") is first  # old versions stay readable


async def test_a_classification_after_a_save_is_evaluated_under_the_new_pack(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await directory.upsert_user(session, user_id="cheang.kawai", union_id="u1", name="鄭家慧",
                                    manager_user_id="lei.mei", refreshed_at=NOW)
        await directory.upsert_user(session, user_id="lei.mei", union_id="u2", name="李美", refreshed_at=NOW)
        await preferences.set_language(session, "cheang.kawai", "en", NOW)
    text = revised("2026.2", (NOTIFY_DAYS, NOTIFY_DAYS.replace("days: 8", "days: 5")),
                   (NOTIFY_ADVICE, NOTIFY_ADVICE.replace("8 days", "5 days")),
                   (NOTIFY_TITLE, "en: Notify DSPDP of this processing,"))
    await store(session_factory, text, based_on=0)

    await share_and_classify(session_factory)
    await take_up_obligations(session_factory, POLICY, NOW)
    async with session_factory() as session:
        record = await session.scalar(select(Classification))
        assert record is not None and record.rules_version == "2026.2"
        messages = [json.dumps(row.payload, ensure_ascii=False) for row in await session.scalars(select(OutboxMessage))]
        assert any("within 5 days after it starts" in message for message in messages)
        assert not any("within 8 days" in message for message in messages)
        notify = await session.scalar(select(Assessment).where(Assessment.obligation_id == "MO-NOTIFY-21"))
        assert notify is not None and notify.due_at == NOW + timedelta(days=5)

        # The sign-off report names the pack its snapshot was taken under, and renders with that pack.
        data = await take_snapshot(session, now=NOW, campaign={"year": 2027, "title": "2027"})
        assert data["rules_pack"] == {"name": "macau-pdpa", "version": "2026.2"}
        pack = await pack_for_rules_version(session, data["rules_pack"]["version"])
        assert "Notify DSPDP of this processing" in render_report(data, "en", pack=pack)
