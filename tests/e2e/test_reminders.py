"""Assessment reminders end to end: rows planned, one digest card delivered, acted on from the card and chat."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.app import Bot, org_policy
from bot.dingtalk import DingTalkClient
from handlers.directory import sync_directory
from handlers.reminders.rules import default_rules
from handlers.reminders.schedule import replan_all
from storage import assessments
from storage.db import create_engine, make_session_factory
from storage.models import Assessment, Reminder
from tests.e2e.conftest import BATCH_SEND, SandboxControl, TestClock

CARD_CREATE = "/v1.0/card/instances/createAndDeliver"


async def setup_assessments(bot: Bot, clock: TestClock, owner: str, count: int) -> list[int]:
    """Sync the directory, open `count` assessments due in 7 days and plan their reminders."""
    settings = bot.settings
    engine = create_engine(settings.database_url)
    sessions = make_session_factory(engine)
    try:
        async with DingTalkClient(client_id=settings.dingtalk_client_id,
                                  client_secret=settings.dingtalk_client_secret.get_secret_value(),
                                  robot_code=settings.dingtalk_robot_code,
                                  openapi_endpoint=settings.dingtalk_openapi_endpoint,
                                  oapi_endpoint=settings.dingtalk_oapi_endpoint) as client:
            await sync_directory(sessions, client, clock())
        due = clock() + timedelta(days=7, hours=1)
        async with sessions() as session, session.begin():
            ids = [(await assessments.create_assessment(
                session, at=clock(), title=f"Transfer route #{n}: payroll to Hangzhou", type="transfer_route",
                owner=owner, due_at=due, data_flow={"destination": "mainland"}, source="admin",
                created_by="admin.wong")).id for n in range(count)]
        await replan_all(sessions, org_policy(settings), clock())
        return ids
    finally:
        await engine.dispose()


async def first_send_at(bot: Bot) -> datetime:
    engine = create_engine(bot.settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            rows = list(await session.scalars(select(Reminder).order_by(Reminder.send_at)))
            return rows[0].send_at
    finally:
        await engine.dispose()


async def assessment(bot: Bot, assessment_id: int) -> Assessment:
    engine = create_engine(bot.settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            found = await assessments.get_assessment(session, assessment_id)
            assert found is not None
            return found
    finally:
        await engine.dispose()


def text_of(call: dict[str, Any]) -> str:
    return str(json.loads(call["body"]["msgParam"])["text"])


async def deliver_first(bot: Bot, clock: TestClock) -> None:
    clock.advance(await first_send_at(bot) - datetime.now(UTC) - clock.offset)
    assert bot.reminders is not None
    report = await bot.reminders.dispatch_due()
    assert report.sent >= 1


async def test_one_digest_card_for_several_assessments_and_done_with_evidence(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    ids = await setup_assessments(bot, clock, "lei.mei", 2)
    await deliver_first(bot, clock)
    [card] = await control.wait_calls(CARD_CREATE)
    assert card["body"]["openSpaceId"] == "dtv1.card//IM_ROBOT.lei.mei"
    markdown = card["body"]["cardData"]["cardParamMap"]["staticMsgContent"]
    assert all(f"#{i}" in markdown for i in ids) and "19, 20" in markdown  # both items, with the legal basis

    since = await control.next_call_index()
    await control.call("POST", f"cards/{card['body']['outTrackId']}/click",
                       {"userId": "lei.mei", "params": {"action": "reminder", "do": "done", "assessment": str(ids[0])}})
    [ask] = await control.wait_calls(BATCH_SEND, since=since)
    assert f"done {ids[0]}" in text_of(ask)  # done needs a one-line evidence note first
    assert (await assessment(bot, ids[0])).status == "open"

    await control.say("lei.mei", f"done {ids[0]} signed the transfer notification, ref 2027-01")
    await control.wait_calls(BATCH_SEND, since=since, count=2)
    done = await assessment(bot, ids[0])
    assert done.status == "done" and "ref 2027-01" in (done.evidence or "")


async def test_a_non_owner_is_refused_and_delegation_tells_the_new_owner(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    [assessment_id] = await setup_assessments(bot, clock, "wong.kachun", 1)
    since = await control.next_call_index()
    await control.say("lam.siuyin", f"done {assessment_id} not mine to close")
    [refusal] = await control.wait_calls(BATCH_SEND, since=since)
    assert refusal["body"]["userIds"] == ["lam.siuyin"] and (await assessment(bot, assessment_id)).status == "open"

    since = await control.next_call_index()
    await control.say("wong.kachun", f"delegate {assessment_id} lam.siuyin")
    told = await control.wait_calls(BATCH_SEND, since=since, count=2)
    assert {c["body"]["userIds"][0] for c in told} == {"wong.kachun", "lam.siuyin"}
    assert (await assessment(bot, assessment_id)).owner == "lam.siuyin"


async def test_snooze_from_the_card_is_bounded_by_the_due_date(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    [assessment_id] = await setup_assessments(bot, clock, "ho.sioklan", 1)
    await deliver_first(bot, clock)
    [card] = await control.wait_calls(CARD_CREATE)
    await control.call("POST", f"cards/{card['body']['outTrackId']}/click",
                       {"userId": "ho.sioklan",
                        "params": {"action": "reminder", "do": "snooze", "days": "3",
                                   "assessment": str(assessment_id)}})
    snoozed = await assessment(bot, assessment_id)
    assert snoozed.snoozed_until is not None and snoozed.snoozed_until <= snoozed.due_at


async def test_a_done_assessment_gets_no_more_reminders(bot: Bot, control: SandboxControl, clock: TestClock) -> None:
    [assessment_id] = await setup_assessments(bot, clock, "sou.kamfai", 1)
    await control.say("sou.kamfai", f"done {assessment_id} contract signed")
    await control.wait_calls(BATCH_SEND)
    clock.advance(timedelta(days=30))  # far past every lead, overdue and escalation instant
    assert bot.reminders is not None
    report = await bot.reminders.dispatch_due()
    assert report.sent == 0
    assert await control.calls(CARD_CREATE) == []


async def test_dingtalk_failures_delay_reminders_but_lose_none(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    await setup_assessments(bot, clock, "leong.chifai", 1)
    await control.call("POST", "faults", {"path": CARD_CREATE, "kind": "server_error", "count": 4})
    await control.call("POST", "faults", {"path": CARD_CREATE, "kind": "throttle", "count": 2})
    await control.call("POST", "tokens/revoke")
    clock.advance(await first_send_at(bot) - datetime.now(UTC) - clock.offset)
    assert bot.reminders is not None
    first = await bot.reminders.dispatch_due()
    assert (first.sent, first.retried) == (0, 1)  # the client's own retries ran out; the row waits
    clock.advance(timedelta(hours=1))
    second = await bot.reminders.dispatch_due()
    assert second.sent == 1
    calls = await control.calls(CARD_CREATE)
    assert [c["status"] for c in calls][-1] == 200 and len([c for c in calls if c["status"] == 200]) == 1


async def test_a_forwarded_reminder_card_clicked_by_someone_else_is_refused(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    [assessment_id] = await setup_assessments(bot, clock, "lei.mei", 1)
    await deliver_first(bot, clock)
    [card] = await control.wait_calls(CARD_CREATE)
    card_id = card["body"]["outTrackId"]
    await control.call("POST", f"cards/{card_id}/forward", {"fromUserId": "lei.mei", "toUserId": "cheang.kawai"})
    since = await control.next_call_index()
    await control.call("POST", f"cards/{card_id}/click",
                       {"userId": "cheang.kawai",
                        "params": {"action": "reminder", "do": "done", "assessment": str(assessment_id),
                                   "note": "closing someone else's work"}})
    [refusal] = await control.wait_calls(BATCH_SEND, since=since)
    assert refusal["body"]["userIds"] == ["cheang.kawai"]
    assert (await assessment(bot, assessment_id)).status == "open"

    await control.call("POST", f"cards/{card_id}/click",
                       {"userId": "lei.mei", "params": {"action": "reminder", "do": "delegate",
                                                        "assessment": str(assessment_id), "to": "cheang.kawai"}})
    assert (await assessment(bot, assessment_id)).owner == "cheang.kawai"


async def test_a_rule_can_send_reminders_as_dingtalk_todos(bot: Bot, control: SandboxControl, clock: TestClock) -> None:
    engine = create_engine(bot.settings.database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            rule = default_rules()["transfer_route"].model_copy(update={"channel": "todo"})
            await assessments.save_rule(session, "transfer_route", rule.model_dump(mode="json"), by="admin.wong",
                                        at=clock())
    finally:
        await engine.dispose()
    await setup_assessments(bot, clock, "wong.kachun", 1)
    await deliver_first(bot, clock)
    [todo] = await control.wait_calls("/v1.0/todo/users/union-wong-kachun/tasks")
    assert todo["status"] == 200 and "payroll" in todo["body"]["subject"]
    assert await control.calls(CARD_CREATE) == []


async def test_a_digest_too_long_for_one_card_shows_every_assessment_across_cards(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    ids = await setup_assessments(bot, clock, "ho.sioklan", 12)
    await deliver_first(bot, clock)
    cards = [c for c in await control.calls(CARD_CREATE) if c["status"] == 200]
    assert len(cards) > 1  # twelve items do not fit in DingTalk's 1 KB
    shown = ""
    for card in cards:
        params = card["body"]["cardData"]["cardParamMap"]
        assert all(len(value.encode()) <= 1024 for value in params.values())
        shown += params["staticMsgContent"]
    assert all(f"#{i}" in shown for i in ids)  # none is marked sent without being shown


async def test_a_database_error_on_one_persons_card_does_not_hold_up_the_others(
    bot: Bot, control: SandboxControl, clock: TestClock
) -> None:
    """A real database error (a trigger refusing to record lei.mei's reminders as sent) costs only her card's
    bookkeeping: ho.sioklan's card is recorded in the same pass, and hers is recorded once the claim lapses,
    without a second card (same card id: DingTalk answers cardAlreadyExist)."""
    await setup_assessments(bot, clock, "lei.mei", 1)
    await setup_assessments(bot, clock, "ho.sioklan", 1)
    engine = create_engine(bot.settings.database_url)
    refuse = _refusing_trigger(engine.dialect.name)
    try:
        async with engine.begin() as connection:
            for statement in refuse.create:
                await connection.exec_driver_sql(statement)
        clock.advance(await first_send_at(bot) - datetime.now(UTC) - clock.offset)
        assert bot.reminders is not None
        first = await bot.reminders.dispatch_due()
        assert (first.sent, first.retried) == (1, 1)
        async with engine.begin() as connection:
            for statement in refuse.drop:
                await connection.exec_driver_sql(statement)
        clock.advance(timedelta(seconds=bot.settings.reminder_lease_seconds + 1))
        second = await bot.reminders.dispatch_due()
        assert second.sent == 1
    finally:
        await engine.dispose()
    delivered = [c for c in await control.calls(CARD_CREATE) if c["status"] == 200]
    assert sorted(c["body"]["openSpaceId"] for c in delivered) == ["dtv1.card//IM_ROBOT.ho.sioklan",
                                                                  "dtv1.card//IM_ROBOT.lei.mei"]


@dataclass(frozen=True)
class _Trigger:
    create: tuple[str, ...]
    drop: tuple[str, ...]


def _refusing_trigger(dialect: str) -> _Trigger:
    """A trigger that fails any update marking lei.mei's reminders sent, in the database's own dialect."""
    if dialect == "sqlite":
        return _Trigger(
            create=("CREATE TRIGGER refuse_sent BEFORE UPDATE OF status ON reminders "
                    "WHEN NEW.recipient = 'lei.mei' AND NEW.status = 'sent' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END",),
            drop=("DROP TRIGGER refuse_sent",))
    return _Trigger(
        create=("CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.recipient = 'lei.mei' AND NEW.status = 'sent' THEN RAISE EXCEPTION 'refused by the test'; "
                "END IF; RETURN NEW; END $$",
                "CREATE TRIGGER refuse_sent BEFORE UPDATE ON reminders FOR EACH ROW EXECUTE FUNCTION refuse_sent()"),
        drop=("DROP TRIGGER refuse_sent ON reminders", "DROP FUNCTION refuse_sent()"))
