"""Classifying shared files end to end: the real websocket, the sandbox's cards, a real database."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from bot.app import Bot, org_policy
from handlers.classification.followup import run_followups
from storage.db import create_engine, make_session_factory
from storage.models import Classification, ClassificationPrompt, PendingObligation
from tests.e2e.conftest import BATCH_SEND, SandboxControl

CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
CARD_UPDATE = "/v1.0/card/instances"
DOWNLOAD = "/v1.0/robot/messageFiles/download"
HR_GROUP = "cidHRteamSandbox0001Q=="


async def share_file(control: SandboxControl, user: str, name: str, content: bytes = b"staff list") -> str:
    body = {"userId": user, "file": {"fileName": name, "contentBase64": base64.b64encode(content).decode()}}
    sent = await control.call("POST", "messages", body)
    return str(sent["messageId"])


async def card_sent(control: SandboxControl, count: int = 1) -> dict[str, Any]:
    calls = await control.wait_calls(CARD_CREATE, count=count)
    return dict(calls[count - 1]["body"])


async def click(control: SandboxControl, card_id: str, user: str, **params: str) -> dict[str, Any]:
    result: dict[str, Any] = await control.call("POST", f"cards/{card_id}/click",
                                                {"userId": user, "params": {"action": "classify", **params}})
    assert result["acked"], result
    return result


async def rows(bot: Bot, model: type[Any]) -> int:
    engine = create_engine(bot.settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


def card_text(card: dict[str, Any]) -> str:
    params = card["cardData"]["cardParamMap"]
    return str(params.get("staticMsgContent") or params.get("markdown"))


async def test_a_shared_file_gets_a_card_and_one_click_records_it(bot: Bot, control: SandboxControl) -> None:
    await share_file(control, "cheang.kawai", "員工身份證副本.pdf")
    card = await card_sent(control)
    assert card["openSpaceId"] == "dtv1.card//IM_ROBOT.cheang.kawai" and card["callbackType"] == "STREAM"
    assert all(isinstance(v, str) for v in card["cardData"]["cardParamMap"].values())
    assert "員工身份證副本.pdf" in card_text(card)
    card_id = card["outTrackId"]

    result = await click(control, card_id, "cheang.kawai", level="confidential", personal_data="staff",
                         destination="mainland")
    assert result["applied"]
    assert await rows(bot, Classification) == 1
    update = (await control.wait_calls(CARD_UPDATE))[-1]
    assert update["method"] == "PUT" and update["body"]["outTrackId"] == card_id
    advice = (await control.wait_calls(BATCH_SEND))[-1]
    text = json.loads(advice["body"]["msgParam"])["text"]
    assert "Art" in text or "第" in text  # the advice cites the law
    assert await rows(bot, PendingObligation) >= 1

    again = await click(control, card_id, "cheang.kawai", level="public", personal_data="none", destination="macau")
    assert again["acked"] and await rows(bot, Classification) == 1  # an answered card records nothing more


async def test_step_by_step_answers_end_in_one_record(bot: Bot, control: SandboxControl) -> None:
    await share_file(control, "lam.siuyin", "budget.xlsx")
    card_id = (await card_sent(control))["outTrackId"]
    await click(control, card_id, "lam.siuyin", level="internal", version="1")
    await click(control, card_id, "lam.siuyin", personal_data="none", version="2")
    assert await rows(bot, Classification) == 0
    await click(control, card_id, "lam.siuyin", destination="macau", version="3")
    assert await rows(bot, Classification) == 1


async def test_a_click_by_someone_else_is_refused_and_changes_nothing(bot: Bot, control: SandboxControl) -> None:
    await share_file(control, "leong.chifai", "客戶名單.xlsx")
    card_id = (await card_sent(control))["outTrackId"]
    await control.call("POST", f"cards/{card_id}/forward", {"fromUserId": "leong.chifai", "toUserId": "ho.sioklan"})
    await click(control, card_id, "ho.sioklan", level="public", personal_data="none", destination="macau")
    refusal = await control.wait_calls(BATCH_SEND)
    assert refusal[-1]["body"]["userIds"] == ["ho.sioklan"]
    assert await rows(bot, Classification) == 0
    engine = create_engine(bot.settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            prompt = await session.scalar(select(ClassificationPrompt))
            assert prompt is not None and prompt.level is None and prompt.version == 1
    finally:
        await engine.dispose()


async def test_a_redelivered_file_frame_sends_one_card(bot: Bot, control: SandboxControl) -> None:
    message_id = await share_file(control, "sou.kamfai", "notes.docx")
    await control.wait_ack(message_id)
    await card_sent(control)
    await control.call("POST", "redeliver", {"messageId": message_id})
    await control.wait_ack(message_id, count=2)
    assert len(await control.calls(CARD_CREATE)) == 1
    assert await rows(bot, ClassificationPrompt) == 1


async def test_lowering_a_level_waits_for_a_reason(bot: Bot, control: SandboxControl) -> None:
    content = b"the same bytes twice"
    await share_file(control, "lei.mei", "payroll.xlsx", content)
    first = (await card_sent(control))["outTrackId"]
    await control.wait_calls(DOWNLOAD, count=1)
    await click(control, first, "lei.mei", level="confidential", personal_data="staff", destination="macau")

    await share_file(control, "lei.mei", "payroll (copy).xlsx", content)
    second = (await card_sent(control, count=2))["outTrackId"]
    await control.wait_calls(DOWNLOAD, count=2)
    await _wait_digests(bot, 2)
    await click(control, second, "lei.mei", level="public", personal_data="staff", destination="macau")
    assert await rows(bot, Classification) == 1  # the downgrade is not recorded yet
    since = await control.next_call_index()
    await control.say("lei.mei", "salaries were removed before sharing")
    await control.wait_calls(BATCH_SEND, count=1, since=since)
    assert await rows(bot, Classification) == 2


async def _wait_digests(bot: Bot, count: int) -> None:
    """The digests are stored by the outbox sender after the download; wait until it says so."""
    assert bot.sender is not None
    await asyncio.wait_for(bot.sender.wait_sent("file.digest", count), 10)


async def test_a_quoted_file_in_a_group_is_asked_about_privately(bot: Bot, control: SandboxControl) -> None:
    replied = {"msgType": "file", "msgId": "msgQuoted1", "createdAt": 1764493200000,
               "content": {"downloadCode": "dc-quoted-1", "fileName": "HR policy.pdf", "fileId": "f-1"}}
    await control.call("POST", "group-messages", {"conversationId": HR_GROUP, "userId": "cheang.kawai",
                                                  "text": "please classify", "atBot": True, "repliedMsg": replied})
    card = await card_sent(control)
    assert card["openSpaceId"] == "dtv1.card//IM_ROBOT.cheang.kawai"
    note = await control.wait_calls("/v1.0/robot/groupMessages/send")
    assert note[-1]["body"]["openConversationId"] == HR_GROUP


async def test_my_files_lists_pending_and_answered(bot: Bot, control: SandboxControl) -> None:
    await share_file(control, "wong.kachun", "Q3 salary.xlsx")
    await card_sent(control)
    await control.say("wong.kachun", "my files")
    reply = (await control.wait_calls(BATCH_SEND))[-1]
    assert "Q3 salary.xlsx" in json.loads(reply["body"]["msgParam"])["text"]


async def test_an_answer_on_an_expired_card_is_refused(bot: Bot, control: SandboxControl) -> None:
    await share_file(control, "ieong.weng", "visitor log.xlsx")
    card_id = (await card_sent(control))["outTrackId"]
    engine = create_engine(bot.settings.database_url)
    try:
        sessions = make_session_factory(engine)
        policy = org_policy(bot.settings)
        later = datetime.now(UTC) + timedelta(days=60)  # far past the nudge, the escalation and the expiry
        steps = [await run_followups(sessions, policy, later) for _ in range(2)]
    finally:
        await engine.dispose()
    # After a long gap only the latest due step is taken: no stale nudge or escalation on the way.
    assert [(s.nudged, s.escalated, s.expired) for s in steps] == [(0, 0, 1), (0, 0, 0)]
    since = await control.next_call_index()
    await click(control, card_id, "ieong.weng", level="internal", personal_data="none", destination="macau")
    [refusal] = await control.wait_calls(BATCH_SEND, since=since)
    assert refusal["body"]["userIds"] == ["ieong.weng"]
    assert "逾期" in json.loads(refusal["body"]["msgParam"])["text"]
    assert await rows(bot, Classification) == 0
