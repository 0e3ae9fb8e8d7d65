from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.assessments import (
    all_rules,
    assessment_for_obligation,
    create_assessment,
    get_assessment,
    get_rule,
    list_assessments,
    open_assessments,
    save_rule,
    update_assessment,
)
from storage.classifications import record_obligation
from storage.models import Assessment, PendingObligation

T0 = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)


async def _assessment(session: AsyncSession, **overrides: Any) -> Assessment:
    fields: dict[str, Any] = {
        "title": "Transfer route to the mainland",
        "type": "transfer_route",
        "owner": "manager1",
        "due_at": T0 + 30 * DAY,
        "data_flow": {"destination": "mainland", "file_ids": [1, 2]},
        "source": "admin",
        "created_by": "admin1",
    }
    fields.update(overrides)
    return await create_assessment(session, at=T0, **fields)


async def test_create_and_get(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        created = await _assessment(session, obligation_id="MO-XFER-ROUTE-MAINLAND", source="rules_pack")
    async with session_factory() as session:
        found = await get_assessment(session, created.id)
        assert await get_assessment(session, created.id + 1000) is None
    assert found is not None
    assert (found.version, found.status, found.closed_at) == (1, "open", None)
    assert (found.created_at, found.updated_at) == (T0, T0)
    assert found.data_flow == {"destination": "mainland", "file_ids": [1, 2]}
    assert (found.obligation_id, found.due_at, found.evidence) == ("MO-XFER-ROUTE-MAINLAND", T0 + 30 * DAY, None)


async def test_get_rereads_a_row_this_session_holds_stale(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        created = await _assessment(session)
    async with session_factory() as session:
        stale = await get_assessment(session, created.id)
        await session.commit()
        async with session_factory.begin() as other:
            fresh = await get_assessment(other, created.id)
            assert fresh is not None
            await update_assessment(other, fresh, at=T0 + DAY, status="in_progress")
        locked = await get_assessment(session, created.id, for_update=True)
        await session.commit()
    assert locked is stale and locked is not None
    assert (locked.status, locked.version, locked.updated_at) == ("in_progress", 2, T0 + DAY)


async def test_update_bumps_version_and_tracks_closing(session: AsyncSession) -> None:
    assessment = await _assessment(session)
    await update_assessment(session, assessment, at=T0 + DAY, status="in_progress", evidence="asked the vendor")
    assert (assessment.version, assessment.updated_at, assessment.closed_at) == (2, T0 + DAY, None)
    await update_assessment(session, assessment, at=T0 + 2 * DAY, status="done")
    assert (assessment.version, assessment.closed_at) == (3, T0 + 2 * DAY)
    await update_assessment(session, assessment, at=T0 + 3 * DAY, evidence="contract signed")
    assert (assessment.version, assessment.closed_at) == (4, T0 + 2 * DAY)
    await update_assessment(session, assessment, at=T0 + 4 * DAY, status="open")
    assert (assessment.version, assessment.closed_at, assessment.created_at) == (5, None, T0)
    await update_assessment(session, assessment, at=T0 + 5 * DAY, status="waived", waived_reason="no transfer")
    assert (assessment.status, assessment.closed_at) == ("waived", T0 + 5 * DAY)


async def test_update_refuses_unknown_and_managed_fields(session: AsyncSession) -> None:
    assessment = await _assessment(session)
    with pytest.raises(TypeError, match="no column"):
        await update_assessment(session, assessment, at=T0, colour="red")
    with pytest.raises(TypeError, match="version"):
        await update_assessment(session, assessment, at=T0, version=7)
    assert assessment.version == 1


async def test_list_filters_and_pages(session: AsyncSession) -> None:
    a = await _assessment(session, owner="m1")
    b = await _assessment(session, owner="m2", type="notification", due_at=T0 + 8 * DAY)
    c = await _assessment(session, owner="m1", status="in_progress", type="notification")
    d = await _assessment(session, owner="m1", status="done")

    async def ids(**filters: Any) -> list[int]:
        return [found.id for found in await list_assessments(session, **filters)]

    assert await ids() == [a.id, b.id, c.id, d.id]
    assert await ids(owner="m1") == [a.id, c.id, d.id]
    assert await ids(status="open") == [a.id, b.id]
    assert await ids(status=("open", "in_progress"), owner="m1") == [a.id, c.id]
    assert await ids(type="notification") == [b.id, c.id]
    assert await ids(limit=2) == [a.id, b.id]
    assert await ids(limit=2, after_id=b.id) == [c.id, d.id]


async def test_overdue_is_computed_from_due_at_at_the_given_instant(session: AsyncSession) -> None:
    early = await _assessment(session, due_at=T0 + DAY)
    busy = await _assessment(session, due_at=T0 + 2 * DAY, status="in_progress")
    await _assessment(session, due_at=T0, status="done")
    await _assessment(session, due_at=T0, status="waived", waived_reason="n/a")
    late = await _assessment(session, due_at=T0 + 10 * DAY)

    async def overdue(at: datetime, **filters: Any) -> list[int]:
        return [found.id for found in await list_assessments(session, overdue_at=at, **filters)]

    assert await overdue(T0 + DAY) == []  # due at that instant is not yet overdue
    assert await overdue(T0 + DAY + timedelta(seconds=1)) == [early.id]
    assert await overdue(T0 + 3 * DAY) == [early.id, busy.id]
    assert await overdue(T0 + 3 * DAY, status="in_progress") == [busy.id]
    assert await overdue(T0 + 11 * DAY) == [early.id, busy.id, late.id]


async def test_open_assessments_are_the_active_ones_soonest_first(session: AsyncSession) -> None:
    later = await _assessment(session, due_at=T0 + 9 * DAY)
    sooner = await _assessment(session, due_at=T0 + 3 * DAY, status="in_progress")
    await _assessment(session, due_at=T0, status="done")
    assert [found.id for found in await open_assessments(session)] == [sooner.id, later.id]


async def test_an_obligation_becomes_at_most_one_assessment(session: AsyncSession) -> None:
    assert await record_obligation(
        session, obligation_id="MO-XFER-ROUTE-MAINLAND", scope="flow", classification_id=None,
        dedup_key="flow:1:MO-XFER-ROUTE-MAINLAND", suggested_owner="m1", details={}, at=T0,
    )
    pending = await session.scalar(select(PendingObligation))
    assert pending is not None
    assert await assessment_for_obligation(session, pending.id) is None
    created = await _assessment(session, pending_obligation_id=pending.id, source="rules_pack")
    assert await assessment_for_obligation(session, pending.id) is created
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await _assessment(session, pending_obligation_id=pending.id, source="rules_pack")


@pytest.mark.parametrize(
    "bad", [{"type": "tax_return"}, {"status": "overdue"}, {"source": "somewhere"}], ids=["type", "status", "source"]
)
async def test_check_constraints_refuse_unknown_values(session: AsyncSession, bad: dict[str, str]) -> None:
    with pytest.raises(IntegrityError):
        await _assessment(session, **bad)


async def test_rules_round_trip_and_upsert(session_factory: async_sessionmaker[AsyncSession]) -> None:
    rule: dict[str, Any] = {
        "lead_days": [30, 7, 1],
        "overdue_every_working_days": 2,
        "escalation": [{"after_working_days": 2, "to": "manager"}, {"after_working_days": 5, "to": "admins"}],
        "channel": "card",
        "quiet_start": "20:00",
        "quiet_end": "09:00",
    }
    async with session_factory.begin() as session:
        assert await get_rule(session, "notification") is None
        assert await all_rules(session) == {}
        await save_rule(session, "notification", rule, by="admin1", at=T0)
        await save_rule(session, "transfer_route", {**rule, "channel": "todo"}, by="admin1", at=T0)
    async with session_factory.begin() as session:
        assert await get_rule(session, "notification") == rule
        await save_rule(session, "notification", {**rule, "lead_days": [14]}, by="admin2", at=T0 + DAY)
    async with session_factory() as session:
        assert await all_rules(session) == {
            "notification": {**rule, "lead_days": [14]},
            "transfer_route": {**rule, "channel": "todo"},
        }
