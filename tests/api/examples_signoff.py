"""Requests the signoff routes need in tests/api/test_access.py beyond an empty query (see Example there), and
the campaigns they act on: a draft, a started one and a completed one, each made through the domain functions
(the card click for approvals) with the employee and the manager as its signers, so both may read it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.context import HandlerContext
from handlers.inbound import CardAction, CardId, UserId
from handlers.signoff.campaign import start
from handlers.signoff.decide import on_signoff
from storage import signoff
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient
from tests.api.examples import Examples

SIGNERS = (EMPLOYEE, MANAGER)


def context(api: ApiClient, session: Any, origin: str) -> HandlerContext:
    now = datetime.now(UTC)
    return HandlerContext(session=session, now=now, origin=f"test:{origin}:{now.isoformat()}",
                          policy=api.deps.policy())


async def draft(api: ApiClient, signers: Sequence[str] = SIGNERS, order: str = "parallel") -> int:
    """A new draft campaign; returns its id."""
    now = datetime.now(UTC)
    async with api.sessions() as session, session.begin():
        campaign = await signoff.create_campaign(
            session, year=2026, title="2026 個人資料合規年度報告", note="", signing_order=order,  # type: ignore[arg-type]
            due_at=now + timedelta(days=30), signers=list(signers), created_by=ADMIN, at=now)
        return campaign.id


async def started(api: ApiClient, signers: Sequence[str] = SIGNERS) -> int:
    """A new campaign, started (snapshot frozen, cards queued); returns its id."""
    campaign_id = await draft(api, signers)
    async with api.sessions() as session, session.begin():
        campaign = await signoff.get_campaign(session, campaign_id, for_update=True)
        assert campaign is not None
        await start(context(api, session, "start"), campaign, by=ADMIN)
    return campaign_id


async def approve(api: ApiClient, campaign_id: int, user_id: str) -> None:
    """`user_id` clicks Approve on their card, as the card callback handles it."""
    await decide(api, campaign_id, user_id, {"decision": "approve"})


async def reject(api: ApiClient, campaign_id: int, user_id: str, reason: str) -> None:
    """`user_id` rejects on their card, with a reason."""
    await decide(api, campaign_id, user_id, {"decision": "reject", "reason": reason})


async def decide(api: ApiClient, campaign_id: int, user_id: str, decision: dict[str, str]) -> None:
    async with api.sessions() as session, session.begin():
        signer = next(s for s in await signoff.signers_of(session, campaign_id) if s.user_id == user_id)
        assert signer.card_id is not None, f"{user_id} has no card yet"
        click = CardAction(card_id=CardId(signer.card_id), user=UserId(user_id),
                           params={"action": "signoff", "campaign": str(campaign_id), **decision},
                           action_ids=(), space_type="IM_ROBOT", space_id=user_id)
        await on_signoff(context(api, session, f"click:{signer.card_id}"), click)


async def completed(api: ApiClient, signers: Sequence[str] = SIGNERS) -> int:
    """A new campaign every signer approved, so it has a certificate; returns its id."""
    campaign_id = await started(api, signers)
    for user_id in signers:
        await approve(api, campaign_id, user_id)
    return campaign_id


async def _create(api: ApiClient) -> dict[str, Any]:
    due = (datetime.now(UTC) + timedelta(days=30)).date().isoformat()
    return {"json": {"year": 2026, "title": "Annual sign-off", "signers": list(SIGNERS), "dueAt": due}}


async def _draft(api: ApiClient, action: str = "") -> dict[str, Any]:
    return {"path": f"/signoff-campaigns/{await draft(api)}{action}"}


async def _start(api: ApiClient) -> dict[str, Any]:
    return await _draft(api, "/start")


async def _cancel(api: ApiClient) -> dict[str, Any]:
    return await _draft(api, "/cancel")


async def _restart(api: ApiClient) -> dict[str, Any]:
    campaign_id = await started(api)
    await reject(api, campaign_id, MANAGER, "the register misses the payroll flow")
    return {"path": f"/signoff-campaigns/{campaign_id}/restart"}


async def _report(api: ApiClient) -> dict[str, Any]:
    return {"path": f"/signoff-campaigns/{await started(api)}/report"}


async def _certificate(api: ApiClient) -> dict[str, Any]:
    return {"path": f"/signoff-campaigns/{await completed(api)}/certificate"}


EXAMPLES: Examples = {
    ("POST", "/signoff-campaigns"): _create,
    ("GET", "/signoff-campaigns/{id}"): _draft,
    ("POST", "/signoff-campaigns/{id}/start"): _start,
    ("POST", "/signoff-campaigns/{id}/cancel"): _cancel,
    ("POST", "/signoff-campaigns/{id}/restart"): _restart,
    ("GET", "/signoff-campaigns/{id}/report"): _report,
    ("GET", "/signoff-campaigns/{id}/certificate"): _certificate,
}
