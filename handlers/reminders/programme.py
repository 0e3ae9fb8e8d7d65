"""Assessments that create themselves: yearly reviews when one is done, and the five-step self-assessment."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from storage import assessments, audit
from storage.models import Assessment

# What comes round again once done (practice.md; DSPDP registrations last 3 years).
RECURS = {"processor_contract": timedelta(days=365), "simplified_notification_renewal": timedelta(days=3 * 365)}

# The five steps of practice.md, spread over about 30 days; titles in the org's default language.
FIVE_STEPS = (
    ("自我評估 1/5：盤點資料流向（哪些員工及客戶資料經釘釘離開澳門、去往何處）", 6),
    ("自我評估 2/5：跨境轉移評估（每個流向的法律途徑：第 19、20 條通知或許可，大灣區標準合同）", 12),
    ("自我評估 3/5：與平台營運者的資料處理合約（用途、保存期限、存取、保安）", 18),
    ("自我評估 4/5：決定是否需要本地代表（回應個人資料保護局）", 24),
    ("自我評估 5/5：合規路線圖（內部審計或檢查會要求的文件）", 30),
)


async def open_next_round(session: AsyncSession, done: Assessment, *, at: datetime) -> Assessment | None:
    """For a recurring type, the next assessment after `done`, due one period after this one was due."""
    period = RECURS.get(done.type)
    if period is None:
        return None
    following = await assessments.create_assessment(
        session, at=at, title=done.title, type=done.type, owner=done.owner, due_at=done.due_at + period,
        data_flow=dict(done.data_flow), source="recurring", obligation_id=done.obligation_id, created_by="system")
    await audit.append_audit(session, actor="system", action="assessment.created",
                             subject=f"assessment:{following.id}",
                             details={"recurs": done.id, "due": following.due_at.isoformat()}, at=at)
    return following


async def start_self_assessment(session: AsyncSession, *, owner: str, by: str, at: datetime) -> list[Assessment]:
    """The five-step programme as five assessments owned by `owner`, due over the next 30 days."""
    programme = f"self-assessment-{uuid.uuid4().hex[:12]}"
    created = []
    for step, (title, days) in enumerate(FIVE_STEPS, start=1):
        created.append(await assessments.create_assessment(
            session, at=at, title=title, type="self_assessment", owner=owner, due_at=at + timedelta(days=days),
            data_flow={}, source="programme", programme_id=programme, step=step, created_by=by))
    await audit.append_audit(session, actor=by, action="programme.started", subject=programme,
                             details={"owner": owner, "assessments": [a.id for a in created]}, at=at)
    return created
