"""GET /dashboard: the counts a person's home page shows, scoped like the lists (own, team or everyone's).

Every figure is one aggregate query (COUNT ... FILTER, GROUP BY); no row is loaded to be counted in Python, so
the page costs the same with a million classifications as with ten. The admin pages call `dashboard` too.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, Final, Literal

from pydantic import Field
from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from handlers.api.caller import Caller
from handlers.api.classifications import visible_people
from handlers.api.models import LEVELS, WireModel
from storage.assessments import ACTIVE_STATUSES
from storage.models import Assessment, Classification, ClassificationPrompt, SignoffCampaign, SignoffSigner

WINDOW: Final = timedelta(days=30)
Scope = Literal["own", "team", "all"]
SCOPES: Final[dict[str, Scope]] = {"employee": "own", "manager": "team", "admin": "all"}
# Campaigns an admin follows on the dashboard: not started yet, or collecting decisions.
LIVE_CAMPAIGNS: Final = ("draft", "active")


class UnclassifiedCounts(WireModel):
    open: int = Field(description="questions about shared files still waiting for an answer")
    escalated: int = Field(description="of the open ones, how many were escalated to a manager")
    expired: int = Field(description="questions that expired unanswered (all time)")


class RecentClassifications(WireModel):
    since: datetime = Field(description="the start of the window: 30 days before `asOf`")
    total: int
    by_level: dict[str, int] = Field(description="every level of the rules pack, 0 when none")


class AssessmentCounts(WireModel):
    open: int = Field(description="open or in progress")
    overdue: int = Field(description="open or in progress and due before `asOf`")
    due_within_30_days: int = Field(description="open or in progress and due in the next 30 days, not overdue")


class CampaignProgress(WireModel):
    id: int
    year: int
    title: str
    status: str
    due_at: datetime
    signers: int
    approved: int
    rejected: int
    pending: int = Field(description="sent a card, not decided yet")
    waiting: int = Field(description="not their turn yet (sequential signing), or the campaign is a draft")


class Dashboard(WireModel):
    scope: Scope = Field(description="own for employees, team for managers, all for admins")
    people: int | None = Field(description="how many people the counts cover; null for everyone")
    as_of: datetime
    unclassified: UnclassifiedCounts
    classifications: RecentClassifications = Field(description="answers given in the last 30 days, by level")
    assessments: AssessmentCounts = Field(description="assessments owned by people in scope")
    campaigns: list[CampaignProgress] = Field(
        description="admins: draft and active sign-off campaigns; others: active ones waiting for their decision")


async def dashboard(session: AsyncSession, caller: Caller, now: datetime) -> Dashboard:
    """The dashboard as `caller` may see it at `now`."""
    people = await visible_people(session, caller)
    return Dashboard(
        scope=SCOPES[caller.role], people=None if people is None else len(people), as_of=now,
        unclassified=await unclassified_counts(session, people),
        classifications=await recent_classifications(session, people, now - WINDOW),
        assessments=await assessment_counts(session, people, now),
        campaigns=await campaign_progress(session, None if caller.role == "admin" else caller.user_id),
    )


def _of(column: Any, people: Collection[str] | None) -> ColumnElement[bool]:
    return true() if people is None else column.in_(sorted(people))


async def unclassified_counts(session: AsyncSession, people: Collection[str] | None) -> UnclassifiedCounts:
    """Open (and of those escalated) and expired questions asked of `people` (None: everyone)."""
    prompt = ClassificationPrompt
    is_open = prompt.status == "open"
    stmt = select(
        func.count().filter(is_open),
        func.count().filter(and_(is_open, prompt.escalated_at.is_not(None))),
        func.count().filter(prompt.status == "expired"),
    ).where(prompt.status.in_(("open", "expired")), _of(prompt.asked_user, people))
    open_, escalated, expired = (await session.execute(stmt)).one()
    return UnclassifiedCounts(open=open_, escalated=escalated, expired=expired)


async def recent_classifications(
    session: AsyncSession, people: Collection[str] | None, since: datetime
) -> RecentClassifications:
    """Answers given since `since` by level, for files shared by `people` (None: everyone)."""
    stmt = select(Classification.level, func.count()).where(Classification.classified_at >= since)
    if people is not None:
        # Scoped on the question's person, as the lists are.
        stmt = stmt.join(ClassificationPrompt, ClassificationPrompt.id == Classification.prompt_id).where(
            _of(ClassificationPrompt.asked_user, people))
    counts = {level: 0 for level in LEVELS}
    for level, count in (await session.execute(stmt.group_by(Classification.level))).all():
        counts[level] = count
    return RecentClassifications(since=since, total=sum(counts.values()), by_level=counts)


async def assessment_counts(session: AsyncSession, people: Collection[str] | None, now: datetime) -> AssessmentCounts:
    """Open, overdue and soon-due assessments owned by `people` (None: everyone)."""
    due = Assessment.due_at
    stmt = select(
        func.count(),
        func.count().filter(due < now),
        func.count().filter(and_(due >= now, due < now + WINDOW)),
    ).where(Assessment.status.in_(ACTIVE_STATUSES), _of(Assessment.owner, people))
    open_, overdue, soon = (await session.execute(stmt)).one()
    return AssessmentCounts(open=open_, overdue=overdue, due_within_30_days=soon)


async def campaign_progress(session: AsyncSession, pending_signer: str | None) -> list[CampaignProgress]:
    """Draft and active campaigns with their signers' progress, soonest due first; with `pending_signer`, only
    active campaigns where that person's decision is awaited."""
    signer = SignoffSigner
    campaign = SignoffCampaign
    stmt = (
        select(campaign.id, campaign.year, campaign.title, campaign.status, campaign.due_at, func.count(),
               *(func.count().filter(signer.status == status) for status in ("approved", "rejected", "pending",
                                                                              "waiting")))
        .join(signer, signer.campaign_id == campaign.id)
        .group_by(campaign.id, campaign.year, campaign.title, campaign.status, campaign.due_at)
        .order_by(campaign.due_at, campaign.id)
    )
    if pending_signer is None:
        stmt = stmt.where(campaign.status.in_(LIVE_CAMPAIGNS))
    else:
        mine = aliased(SignoffSigner)
        awaited = select(mine.id).where(mine.campaign_id == campaign.id, mine.user_id == pending_signer,
                                        mine.status == "pending")
        stmt = stmt.where(campaign.status == "active", awaited.exists())
    return [
        CampaignProgress(id=id_, year=year, title=title, status=status, due_at=due_at, signers=total,
                         approved=approved, rejected=rejected, pending=pending, waiting=waiting)
        for id_, year, title, status, due_at, total, approved, rejected, pending, waiting in await session.execute(stmt)
    ]
