from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import JSON, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.audit import (
    GENESIS_HASH,
    ChainReport,
    append_audit,
    audit_hash,
    list_audit,
    verify_chain,
)

T0 = datetime(2025, 5, 4, 8, 0, 0, 1, tzinfo=UTC)


async def _append_entries(session_factory: async_sessionmaker[AsyncSession], count: int) -> None:
    async with session_factory.begin() as session:
        for n in range(1, count + 1):
            await append_audit(
                session,
                actor=f"user{n % 2}",
                action="preference.language" if n % 2 else "frame.rejected",
                subject=f"subject-{n}",
                details={"n": n, "note": "語言 língua", "nested": {"b": [1, 2.5, None], "a": True}},
                at=T0 + timedelta(seconds=n),
            )


async def test_append_builds_a_valid_chain(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await _append_entries(session_factory, 5)
    async with session_factory() as session:
        assert await verify_chain(session) == ChainReport(ok=True, checked=5, first_broken_seq=None, reason=None)
        assert await verify_chain(session, batch_size=2) == ChainReport(True, 5, None, None)
        entries = await list_audit(session, limit=10)
    assert [entry.seq for entry in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(later.prev_hash == earlier.hash for earlier, later in zip(entries, entries[1:], strict=False))
    assert entries[2].at == T0 + timedelta(seconds=3)


async def test_hash_is_sha256_of_the_documented_canonical_json(session: AsyncSession) -> None:
    at = datetime(2025, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    event = await append_audit(session, actor="system", action="x.y", subject="s", details={"b": 1, "a": "é"}, at=at)
    body = (
        '{"action":"x.y","actor":"system","at":"2025-01-02T03:04:05.000006+00:00",'
        '"details":{"a":"é","b":1},"prev_hash":"' + GENESIS_HASH + '","seq":1,"subject":"s"}'
    )
    assert event.hash == hashlib.sha256(body.encode("utf-8")).hexdigest()


async def test_details_survive_the_database_round_trip(session_factory: async_sessionmaker[AsyncSession]) -> None:
    awkward: dict[str, Any] = {"big": 1e16, "tiny": 5e-324, "third": 1 / 3, "ints": {1: "a", 10: "b"}, "t": (1, 2)}
    async with session_factory.begin() as session:
        event = await append_audit(session, actor="system", action="a", subject="s", details=awkward, at=T0)
    assert event.details["ints"] == {"1": "a", "10": "b"}
    async with session_factory() as session:
        assert (await verify_chain(session)).ok


async def test_empty_log_verifies(session: AsyncSession) -> None:
    assert await verify_chain(session) == ChainReport(ok=True, checked=0, first_broken_seq=None, reason=None)


def _tamper_details(seq: int) -> Any:
    return text("UPDATE audit_events SET details = :details WHERE seq = :seq").bindparams(
        bindparam("details", {"n": 999}, type_=JSON), seq=seq
    )


TAMPERING = {
    "details": (_tamper_details, "hash does not match"),
    "hash": (lambda seq: text(f"UPDATE audit_events SET hash = '{'f' * 64}' WHERE seq = {seq}"), "hash does not"),
    "prev_hash": (lambda seq: text(f"UPDATE audit_events SET prev_hash = '{'0' * 64}' WHERE seq = {seq}"), "prev_hash"),
    "actor": (lambda seq: text(f"UPDATE audit_events SET actor = 'mallory' WHERE seq = {seq}"), "hash does not"),
    "delete": (lambda seq: text(f"DELETE FROM audit_events WHERE seq = {seq}"), "expected seq 3, found seq 4"),
}


@pytest.mark.parametrize("how", TAMPERING)
async def test_verify_names_first_tampered_entry(session_factory: async_sessionmaker[AsyncSession], how: str) -> None:
    await _append_entries(session_factory, 6)
    statement, reason = TAMPERING[how]
    async with session_factory.begin() as session:
        await session.execute(statement(3))
        await session.execute(statement(5))
    async with session_factory() as session:
        report = await verify_chain(session, batch_size=2)
    assert (report.ok, report.first_broken_seq, report.checked) == (False, 3, 2)
    assert report.reason is not None and reason in report.reason


async def test_rehashed_forgery_breaks_the_next_link(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await _append_entries(session_factory, 4)
    async with session_factory.begin() as session:
        row = (await session.execute(text("SELECT at, prev_hash FROM audit_events WHERE seq = 2"))).one()
        entry = await list_audit(session, limit=1, after_seq=1)
        forged = {"n": 0}
        forged_hash = audit_hash(
            seq=2,
            at=entry[0].at,
            actor=entry[0].actor,
            action=entry[0].action,
            subject=entry[0].subject,
            details=forged,
            prev_hash=row.prev_hash,
        )
        await session.execute(_tamper_details(2).bindparams(details=forged))
        await session.execute(text("UPDATE audit_events SET hash = :h WHERE seq = 2"), {"h": forged_hash})
    async with session_factory() as session:
        report = await verify_chain(session)
    assert (report.ok, report.first_broken_seq, report.checked) == (False, 3, 2)
    assert report.reason is not None and "prev_hash" in report.reason


async def test_concurrent_appends_make_a_gapless_chain(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async def writer(worker: int) -> None:
        for round_ in range(3):
            async with session_factory.begin() as session:
                await append_audit(
                    session,
                    actor=f"user{worker}",
                    action="test.concurrent",
                    subject=str(round_),
                    details={"worker": worker, "round": round_},
                    at=T0 + timedelta(milliseconds=worker),
                )

    await asyncio.gather(*(writer(worker) for worker in range(6)))
    async with session_factory() as session:
        report = await verify_chain(session)
        entries = await list_audit(session, limit=100)
    assert report == ChainReport(ok=True, checked=18, first_broken_seq=None, reason=None)
    assert [entry.seq for entry in entries] == list(range(1, 19))
    assert sorted(json.dumps(entry.details, sort_keys=True) for entry in entries) == sorted(
        json.dumps({"round": r, "worker": w}, sort_keys=True) for w in range(6) for r in range(3)
    )


async def test_list_audit_filters_and_pages(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await _append_entries(session_factory, 6)
    async with session_factory() as session:
        page = await list_audit(session, limit=2, after_seq=2)
        by_action = await list_audit(session, limit=10, action="frame.rejected")
        by_both = await list_audit(session, limit=10, action="preference.language", actor="user1", after_seq=1)
    assert [entry.seq for entry in page] == [3, 4]
    assert [entry.seq for entry in by_action] == [2, 4, 6]
    assert [entry.seq for entry in by_both] == [3, 5]


async def test_append_refuses_naive_time_and_unserialisable_details(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="naive"):
        await append_audit(session, actor="system", action="a", subject="s", details={}, at=datetime(2025, 1, 1))
    with pytest.raises(ValueError):
        await append_audit(session, actor="system", action="a", subject="s", details={"x": float("nan")}, at=T0)
    with pytest.raises(TypeError):
        await append_audit(session, actor="system", action="a", subject="s", details={"x": object()}, at=T0)
