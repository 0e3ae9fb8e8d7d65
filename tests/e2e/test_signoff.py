"""The annual sign-off end to end: cards to three signers, a rejection needing a reason, a new round,
a forwarded card refused, everyone approving, and a certificate whose hashes can be recomputed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.app import Bot, linked_policy
from bot.dingtalk import DingTalkClient
from handlers.context import HandlerContext
from handlers.directory import sync_directory
from handlers.signoff.campaign import certificate_url, report_url, restart, start
from handlers.signoff.watch import check_signed_registers
from storage import classifications, signoff
from storage.audit import canonical_json
from storage.db import create_engine, make_session_factory
from storage.models import SignoffCampaign
from tests.e2e.conftest import BATCH_SEND, SandboxControl

CARD_CREATE = "/v1.0/card/instances/createAndDeliver"
SIGNERS = ["chan.taiman", "wong.kachun", "lei.mei"]


class Admin:
    """What an admin does from the command line, run against the bot's own database."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.engine = create_engine(bot.settings.database_url)
        self.sessions = make_session_factory(self.engine)
        self.policy = linked_policy(bot.settings, bot.http_port)

    async def sync(self) -> None:
        s = self.bot.settings
        secret = s.dingtalk_client_secret.get_secret_value()
        async with DingTalkClient(client_id=s.dingtalk_client_id, client_secret=secret,
                                  robot_code=s.dingtalk_robot_code, openapi_endpoint=s.dingtalk_openapi_endpoint,
                                  oapi_endpoint=s.dingtalk_oapi_endpoint) as client:
            await sync_directory(self.sessions, client, datetime.now(UTC))

    async def create_and_start(self, order: str = "parallel") -> int:
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            campaign = await signoff.create_campaign(
                session, year=2026, title="2026 個人資料合規年度報告", note="", signing_order=order,  # type: ignore[arg-type]
                due_at=now + timedelta(days=14), signers=SIGNERS, created_by="admin.wong", at=now)
            await start(self.ctx(session, now), campaign, by="admin.wong")
            campaign_id = campaign.id
        self.kick()
        return campaign_id

    async def restart(self, campaign_id: int) -> int:
        now = datetime.now(UTC)
        async with self.sessions() as session, session.begin():
            campaign = await signoff.get_campaign(session, campaign_id, for_update=True)
            assert campaign is not None
            renewed = await restart(self.ctx(session, now), campaign, by="admin.wong")
            renewed_id = renewed.id
        self.kick()
        return renewed_id

    async def campaign(self, campaign_id: int) -> tuple[SignoffCampaign, list[Any]]:
        async with self.sessions() as session:
            campaign = await signoff.get_campaign(session, campaign_id)
            assert campaign is not None
            return campaign, list(await signoff.signers_of(session, campaign_id))

    def ctx(self, session: Any, now: datetime) -> HandlerContext:
        return HandlerContext(session=session, now=now, origin=f"test-admin:{now.isoformat()}", policy=self.policy)

    def kick(self) -> None:
        assert self.bot.sender is not None
        self.bot.sender.kick()

    async def close(self) -> None:
        await self.engine.dispose()


async def cards_by_user(control: SandboxControl, count: int, since: int = 0) -> dict[str, str]:
    calls = await control.wait_calls(CARD_CREATE, count=count, since=since)
    return {c["body"]["openSpaceId"].removeprefix("dtv1.card//IM_ROBOT."): c["body"]["outTrackId"] for c in calls}


async def click(control: SandboxControl, card_id: str, user: str, **params: str) -> dict[str, Any]:
    result: dict[str, Any] = await control.call(
        "POST", f"cards/{card_id}/click", {"userId": user, "params": {"action": "signoff", **params}})
    assert result["acked"], result
    return result


async def test_three_signers_a_rejection_a_new_round_and_a_certificate(bot: Bot, control: SandboxControl) -> None:
    admin = Admin(bot)
    try:
        await admin.sync()
        first = await admin.create_and_start()
        cards = await cards_by_user(control, 3)
        assert set(cards) == set(SIGNERS)
        markdown = (await control.calls(CARD_CREATE))[0]["body"]["cardData"]["cardParamMap"]["staticMsgContent"]
        campaign, _ = await admin.campaign(first)
        snapshot_sha = (await _snapshot(admin, campaign)).sha256
        assert snapshot_sha in markdown

        # Reject without a reason: the bot asks, and nothing is recorded until the reason comes.
        since = await control.next_call_index()
        await click(control, cards["wong.kachun"], "wong.kachun", decision="reject")
        await control.wait_calls(BATCH_SEND, since=since)
        _, signers = await admin.campaign(first)
        assert {s.user_id: s.status for s in signers}["wong.kachun"] == "pending"
        await control.say("wong.kachun", "The overdue processor contract must be fixed first")
        await control.wait_calls(BATCH_SEND, since=since, count=2)
        campaign, signers = await admin.campaign(first)
        assert campaign.status == "rejected"

        # A new round supersedes the old cards; clicking one is refused.
        since = await control.next_call_index()
        second = await admin.restart(first)
        cards = await cards_by_user(control, 3, since=since)
        old_click = await click(control, (await _old_card(admin, first, "chan.taiman")), "chan.taiman",
                                decision="approve")
        assert old_click["acked"]
        _, old_signers = await admin.campaign(first)
        assert {s.user_id: s.status for s in old_signers}["chan.taiman"] == "pending"

        # A forwarded card clicked by someone who is not its signer is refused and recorded.
        await control.call("POST", f"cards/{cards['lei.mei']}/forward", {"fromUserId": "lei.mei",
                                                                         "toUserId": "cheang.kawai"})
        await click(control, cards["lei.mei"], "cheang.kawai", decision="approve")
        _, signers = await admin.campaign(second)
        assert all(s.status == "pending" for s in signers)

        for user in SIGNERS:
            await click(control, cards[user], user, decision="approve")
        await click(control, cards["lei.mei"], "lei.mei", decision="approve")  # a second click changes nothing
        campaign, signers = await admin.campaign(second)
        assert campaign.status == "completed" and all(s.status == "approved" for s in signers)
        await _check_certificate(admin, campaign, signers)
        await _register_change_is_reported_once(admin)
    finally:
        await admin.close()


async def _register_change_is_reported_once(admin: Admin) -> None:
    now = datetime.now(UTC)
    assert await check_signed_registers(admin.sessions, admin.policy, now) == 0  # nothing changed yet
    async with admin.sessions() as session, session.begin():
        shared = await classifications.add_shared_file(
            session, file_name="new customer list.xlsx", shared_by="lam.siuyin", conversation_id="cid",
            conversation_title="", channel="direct", shared_at=now)
        prompt = await classifications.add_prompt(session, card_id="classify-late", file_id=shared.id,
                                                  asked_user="lam.siuyin", language="en", asked_at=now)
        await classifications.add_classification(
            session, prompt_id=prompt.id, file_id=shared.id, level="confidential", personal_data="customer",
            destination="hong_kong", classified_by="lam.siuyin", classified_at=now, rules_version="2026.1",
            obligation_ids=[])
    assert await check_signed_registers(admin.sessions, admin.policy, now) == 1
    assert await check_signed_registers(admin.sessions, admin.policy, now) == 0  # once per change


def _ctx(admin: Admin) -> HandlerContext:
    return HandlerContext(session=None, now=datetime.now(UTC), origin="links", policy=admin.policy)  # type: ignore[arg-type]


async def _snapshot(admin: Admin, campaign: SignoffCampaign) -> Any:
    async with admin.sessions() as session:
        assert campaign.snapshot_id is not None
        return await signoff.get_snapshot(session, campaign.snapshot_id)


async def _old_card(admin: Admin, campaign_id: int, user: str) -> str:
    _, signers = await admin.campaign(campaign_id)
    card = next(s.card_id for s in signers if s.user_id == user)
    assert card is not None
    return card


async def _check_certificate(admin: Admin, campaign: SignoffCampaign, signers: list[Any]) -> None:
    snapshot = await _snapshot(admin, campaign)
    assert hashlib.sha256(canonical_json(snapshot.data).encode()).hexdigest() == snapshot.sha256
    html = campaign.certificate_html or ""
    assert snapshot.sha256 in html and all(s.user_id in html for s in signers)
    async with aiohttp.ClientSession(admin.policy.public_url) as http:
        async with http.get(certificate_url(_ctx(admin), campaign).removeprefix(admin.policy.public_url)) as page:
            assert page.status == 200 and hashlib.sha256((await page.text()).encode()).hexdigest() == \
                campaign.certificate_sha256
        async with http.get(f"/signoff/reports/{snapshot.id}/en/bad-token") as forged:
            assert forged.status == 404
        async with http.get(report_url(_ctx(admin), snapshot.id, "en").removeprefix(admin.policy.public_url)) as report:
            served = await report.text()
            assert report.status == 200 and snapshot.sha256 in served
        async with admin.sessions() as session:
            stored = await signoff.report_of(session, snapshot.id, "en")
            assert stored is not None and hashlib.sha256(served.encode()).hexdigest() == stored.sha256


async def test_sequential_order_asks_the_next_signer_only_after_an_approval(
    bot: Bot, control: SandboxControl
) -> None:
    admin = Admin(bot)
    try:
        await admin.sync()
        campaign_id = await admin.create_and_start(order="sequential")
        cards = await cards_by_user(control, 1)
        assert list(cards) == [SIGNERS[0]]
        _, signers = await admin.campaign(campaign_id)
        assert [s.status for s in signers] == ["pending", "waiting", "waiting"]
        since = await control.next_call_index()
        await click(control, cards[SIGNERS[0]], SIGNERS[0], decision="approve")
        assert list(await cards_by_user(control, 1, since=since)) == [SIGNERS[1]]
        admin_told = await control.wait_calls(BATCH_SEND, since=since)
        assert any("已簽署 1／3" in json.loads(c["body"]["msgParam"])["text"] for c in admin_told)
    finally:
        await admin.close()
