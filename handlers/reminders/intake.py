"""Obligations that classifications raised become assessments with an owner and a due date."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cards.render import DEFAULT_LANGUAGE
from handlers.context import OrgPolicy
from handlers.directory import org_admins
from handlers.rules.active import current_pack
from handlers.rules.models import AfterStart, FilingAfterContract, Obligation
from storage import assessments, audit, classifications
from storage.models import PendingObligation

# The rules pack's kinds of work, as the assessments the product tracks; the rest (privacy notice,
# security review...) are general duties the register lists but nobody is reminded of per file.
ASSESSMENT_OF = {
    "transfer_route": "transfer_route", "transfer_notification": "transfer_route",
    "transfer_authorisation": "transfer_route", "standard_contract": "transfer_route",
    "notification": "notification", "prior_authorisation": "prior_authorisation",
    "processor_contract": "processor_contract", "impact_assessment": "impact_assessment",
}
# "Before the transfer" and the like: the data is already in DingTalk, so the work is due soon.
DEFAULT_WINDOW = timedelta(days=30)


def due_date(obligation: Obligation, policy: OrgPolicy, now: datetime) -> datetime:
    deadline = obligation.deadline
    if isinstance(deadline, AfterStart):
        if deadline.counting == "working":
            return policy.calendar.add_working_days(now, deadline.days)
        return now + timedelta(days=deadline.days)
    if isinstance(deadline, FilingAfterContract):
        return policy.calendar.add_working_days(now + DEFAULT_WINDOW, deadline.working_days)
    return now + DEFAULT_WINDOW


async def _owner(session: AsyncSession, pending: PendingObligation, policy: OrgPolicy) -> str | None:
    if pending.suggested_owner:
        return pending.suggested_owner
    admins = [*policy.admins, *await org_admins(session)]
    return admins[0] if admins else None


async def take_up_obligations(sessions: async_sessionmaker[AsyncSession], policy: OrgPolicy, now: datetime) -> int:
    """Open an assessment for every pending obligation that calls for one; return how many were opened."""
    opened = 0
    async with sessions() as session, session.begin():
        pack = await current_pack(session)
        for pending in await classifications.pending_obligations(session, limit=500):
            obligation = pack.obligations.get(pending.obligation_id)
            kind = ASSESSMENT_OF.get(obligation.assessment_type) if obligation is not None else None
            owner = await _owner(session, pending, policy)
            if obligation is None or kind is None or owner is None:
                pending.status = "noted"  # listed in the register; no one to remind, or nothing to assess
                continue
            subject = pending.details.get("file") or pending.details.get("firstFile") or ""
            title = obligation.title.get(DEFAULT_LANGUAGE) + (f"：{subject}" if subject else "")
            assessment = await assessments.create_assessment(
                session, at=now, title=title, type=kind, owner=owner, due_at=due_date(obligation, policy, now),
                data_flow=dict(pending.details), source="rules_pack", obligation_id=pending.obligation_id,
                pending_obligation_id=pending.id, created_by="system")
            pending.status = "assessed"
            await audit.append_audit(session, actor="system", action="assessment.created",
                                     subject=f"assessment:{assessment.id}",
                                     details={"obligation": pending.obligation_id, "owner": owner,
                                              "due": assessment.due_at.isoformat(), "type": kind}, at=now)
            opened += 1
    return opened
