"""GET /assessments, GET /assessments/{id}, its history, and POST /assessments (a manual assessment).

Visibility is the classifications' (`visible_people`): employees see the assessments they own, managers their
team's, admins all; one nobody lets the caller see is answered as if it did not exist, so ids do not leak.
The listing is soonest due first, ties by id, keyed on (due date, id), never on an OFFSET. Changes are in
`handlers.api.assessment_changes`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.assessment_models import (
    AssessmentHistory,
    AssessmentItem,
    AssessmentPage,
    AssessmentQuery,
    HistoryEvent,
    HistoryReminder,
    NewAssessment,
)
from handlers.api.caller import Caller
from handlers.api.classifications import visible_people
from handlers.api.models import Person
from handlers.api.refusals import Message, Refused, bad_input
from handlers.api.team import team_of
from handlers.context import HandlerContext, OrgPolicy
from handlers.inbound import UserId
from handlers.reminders.actions import tell_assigned
from handlers.reminders.schedule import replan
from handlers.signoff.snapshot import linked_classification
from storage import assessments, reminders
from storage import directory as people
from storage.assessments import ACTIVE_STATUSES, CLOSED_STATUSES
from storage.directory import names_of
from storage.models import Assessment, AuditEvent, Classification, ClassificationPrompt

LATER_THAN_NOW = Message("must be later than now", "not_in_future")


async def list_assessments(session: AsyncSession, caller: Caller, query: AssessmentQuery,
                           now: datetime) -> AssessmentPage:
    """One page of the assessments `caller` may see, filtered as `query` asks, soonest due first."""
    owners = await visible_people(session, caller, query.owner)
    if owners is not None and not owners:
        return AssessmentPage(items=[], next_cursor=None)
    rows = await _page_rows(session, query, owners, now)
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    names = await names_of(session, {row.owner for row in rows})
    items = [assessment_item(row, names, now) for row in rows]
    last = rows[-1] if more else None
    return AssessmentPage(items=items, next_cursor=(last.due_at, last.id) if last is not None else None)


async def _page_rows(session: AsyncSession, query: AssessmentQuery, owners: Collection[str] | None,
                     now: datetime) -> list[Assessment]:
    stmt = select(Assessment)
    if owners is not None:
        stmt = stmt.where(Assessment.owner.in_(sorted(owners)))
    if query.status is not None:
        stmt = stmt.where(Assessment.status == query.status)
    if query.type is not None:
        stmt = stmt.where(Assessment.type == query.type)
    if query.due_after is not None:
        stmt = stmt.where(Assessment.due_at >= query.due_after)
    if query.due_before is not None:
        stmt = stmt.where(Assessment.due_at < query.due_before)
    overdue = and_(Assessment.status.in_(ACTIVE_STATUSES), Assessment.due_at < now)
    if query.overdue is not None:
        stmt = stmt.where(overdue if query.overdue else ~overdue)
    if query.cursor is not None:
        due, id = query.cursor
        stmt = stmt.where(or_(Assessment.due_at > due, and_(Assessment.due_at == due, Assessment.id > id)))
    stmt = stmt.order_by(Assessment.due_at, Assessment.id).limit(query.limit + 1)
    return list(await session.scalars(stmt))


async def get_assessment(session: AsyncSession, caller: Caller, id: int, now: datetime) -> AssessmentItem:
    """One assessment `caller` may see; 404 otherwise."""
    assessment = await visible_assessment(session, caller, id)
    return assessment_item(assessment, await names_of(session, {assessment.owner}), now)


async def visible_assessment(session: AsyncSession, caller: Caller, id: int, *,
                             for_update: bool = False) -> Assessment:
    """The assessment with `id` if `caller` may see it; a 404 alike for a missing and an unseen one."""
    assessment = await assessments.get_assessment(session, id, for_update=for_update)
    owners = await visible_people(session, caller)
    if assessment is None or (owners is not None and assessment.owner not in owners):
        raise Refused(404, f"there is no assessment {id} that you can see")
    return assessment


async def assessment_history(session: AsyncSession, caller: Caller, id: int, now: datetime) -> AssessmentHistory:
    """The audit entries about one assessment and its reminders, oldest first."""
    assessment = await visible_assessment(session, caller, id)
    # Every entry about an assessment names it as its subject (assessment.created, .done, .delegated, ...).
    events = list(await session.scalars(
        select(AuditEvent).where(AuditEvent.subject == f"assessment:{id}").order_by(AuditEvent.seq)))
    rows = await reminders.reminders_for_assessment(session, id)
    names = await names_of(session, {assessment.owner, *(e.actor for e in events), *(r.recipient for r in rows)})
    return AssessmentHistory(
        assessment=assessment_item(assessment, names, now),
        events=[HistoryEvent(seq=e.seq, at=e.at, actor=person(e.actor, names), action=e.action, details=e.details)
                for e in events],
        reminders=[HistoryReminder(id=r.id, kind=r.kind, recipient=person(r.recipient, names), send_at=r.send_at,
                                   status=r.status, sent_at=r.sent_at, reason=r.reason) for r in rows],
    )


async def create_assessment(session: AsyncSession, caller: Caller, body: NewAssessment, *, now: datetime,
                            policy: OrgPolicy) -> AssessmentItem:
    """A manual assessment owned by someone in the caller's team (anyone, for an admin), its reminders planned."""
    problems = {"title": Message("must not be blank", "blank")} if not body.title.strip() else {}
    if body.due_at <= now:
        problems["dueAt"] = LATER_THAN_NOW
    if problems:
        raise bad_input(problems)
    await check_assignable(session, caller, body.owner)
    await check_linked_classification(session, caller, body.data_flow)
    data_flow = {**body.data_flow, **({"note": body.note.strip()} if body.note and body.note.strip() else {})}
    created = await assessments.create_assessment(
        session, at=now, title=body.title.strip(), type=body.type, owner=body.owner,
        due_at=body.due_at, data_flow=data_flow, source="admin", created_by=caller.user_id)
    ctx = api_context(session, now, policy, f"api:assessment:{created.id}:created")
    await ctx.record(caller.user_id, "assessment.created", f"assessment:{created.id}",
                     {"owner": created.owner, "due": created.due_at.isoformat(), "type": created.type})
    await replan(session, created, policy, now)
    if created.owner != caller.user_id:
        await tell_assigned(ctx, UserId(caller.user_id), created)
    return assessment_item(created, await names_of(session, {created.owner}), now)


async def check_assignable(session: AsyncSession, caller: Caller, owner: str, *, field: str = "owner") -> None:
    """`owner` must be active in the directory and, unless `caller` is an admin, in the caller's team."""
    user = await people.get_user(session, owner)
    if user is None or not user.active:
        raise bad_input({field: not_in_directory(owner)})
    if caller.role != "admin" and owner not in await team_of(session, caller.user_id):
        raise Refused(403, Message(f"{owner} is not in your team; only an admin may give them an assessment",
                                   "owner_outside_team", {"owner": owner}))


def not_in_directory(owner: str) -> Message:
    return Message(f"{owner} is not an active member of the organisation's directory", "owner_unknown",
                   {"owner": owner})


async def check_linked_classification(session: AsyncSession, caller: Caller, data_flow: dict[str, Any]) -> None:
    """A `classification` in `data_flow` makes the assessment cover that flow in the register and the sign-off
    snapshot (`flow_classification`), so it must name one the caller can see."""
    linked = linked_classification(data_flow)
    if linked is None:
        return  # not read as a link
    prompt = ClassificationPrompt
    asked = await session.scalar(select(prompt.asked_user).join(Classification, Classification.prompt_id == prompt.id)
                                 .where(Classification.id == linked))
    people = await visible_people(session, caller)
    if asked is None or (people is not None and asked not in people):
        raise bad_input({"dataFlow.classification": f"there is no classification {linked} that you can see"})


def api_context(session: AsyncSession, now: datetime, policy: OrgPolicy, origin: str) -> HandlerContext:
    """A handler context for an API request: `origin` must be unique to the change, since it keys the messages
    the change queues."""
    return HandlerContext(session=session, now=now, origin=origin, policy=policy)


def assessment_item(row: Assessment, names: dict[str, str], now: datetime) -> AssessmentItem:
    return AssessmentItem(
        id=row.id, title=row.title, type=row.type, owner=person(row.owner, names), due_at=row.due_at,
        status=row.status, overdue=row.status not in CLOSED_STATUSES and row.due_at < now, data_flow=row.data_flow,
        evidence=row.evidence, waived_reason=row.waived_reason, source=row.source, obligation_id=row.obligation_id,
        snoozed_until=row.snoozed_until, created_at=row.created_at, updated_at=row.updated_at,
        closed_at=row.closed_at, version=row.version)


def person(user_id: str, names: dict[str, str]) -> Person:
    return Person(user_id=user_id, name=names.get(user_id, user_id))


