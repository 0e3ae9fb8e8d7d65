from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.audit import canonical_json
from storage.models import SignoffCampaign, SignoffSigner
from storage.signoff import (
    active_campaigns,
    add_snapshot,
    completed_campaigns,
    create_campaign,
    get_campaign,
    get_snapshot,
    list_campaigns,
    report_of,
    sha256_hex,
    signer_awaiting_reason,
    signer_by_card,
    signers_of,
)

T0 = datetime(2027, 1, 4, 1, 0, tzinfo=UTC)
DAY = timedelta(days=1)

# What a snapshot holds, with the values JSON stores are tempted to rewrite.
SNAPSHOT_DATA: dict[str, Any] = {
    "taken_at": "2027-01-04T01:00:00.000000+00:00",
    "files": {"confidential": 12, "internal": 340, "unclassified": 7, "expired": 0},
    "ratios": [0.1, 0.30000000000000004, 1e16, 1.5e-7, -0.0, 2.0, 123456789012345678901234567890],
    "flows": [
        {"destination": "澳門 → 內地", "kind": "sensitive", "routes": ["標準合同"], "nested": {"b": 1, "a": None}}
    ],
    "owners": {"zé": "José Ção", "empty": {}, "list": []},
    "policy": {"rules_version": "2027.1", "flag": True},
}


async def _campaign(session: AsyncSession, signers: list[str] | None = None, **overrides: Any) -> SignoffCampaign:
    fields: dict[str, Any] = {
        "year": 2026,
        "title": "Annual PDPA compliance 2026",
        "note": "",
        "signing_order": "sequential",
        "due_at": T0 + 14 * DAY,
        "signers": ["ceo", "dpo", "cfo"] if signers is None else signers,
        "created_by": "admin1",
        "at": T0,
    }
    fields.update(overrides)
    return await create_campaign(session, **fields)


def _reports() -> dict[str, tuple[str, str]]:
    pages = {"zh-Hant": "<h1>年度合規</h1>", "en": "<h1>Annual compliance</h1>", "pt": "<h1>Conformidade anual</h1>"}
    return {language: (html, sha256_hex(html)) for language, html in pages.items()}


async def test_create_campaign_with_signers_in_order(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory.begin() as session:
        created = await _campaign(session, signers=["dpo", "ceo", "cfo"])
    async with session_factory() as session:
        found = await get_campaign(session, created.id, for_update=True)
        signers = await signers_of(session, created.id)
        assert await get_campaign(session, created.id + 1000) is None
    assert found is not None
    assert (found.status, found.round, found.previous_id, found.snapshot_id) == ("draft", 1, None, None)
    assert (found.signing_order, found.due_at, found.created_at, found.note) == ("sequential", T0 + 14 * DAY, T0, "")
    assert (found.started_at, found.closed_at, found.certificate_html) == (None, None, None)
    assert [(s.user_id, s.position, s.status, s.awaiting_reason) for s in signers] == [
        ("dpo", 0, "waiting", False),
        ("ceo", 1, "waiting", False),
        ("cfo", 2, "waiting", False),
    ]


async def test_next_round_and_listing(session: AsyncSession) -> None:
    first = await _campaign(session)
    first.status = "superseded"
    second = await _campaign(session, round=2, previous_id=first.id)
    second.status = "active"
    done = await _campaign(session, year=2025)
    done.status, done.closed_at = "completed", T0
    await session.flush()
    assert (second.round, second.previous_id) == (2, first.id)
    assert [c.id for c in await list_campaigns(session)] == [done.id, second.id, first.id]
    assert [c.id for c in await list_campaigns(session, status="superseded")] == [first.id]
    assert [c.id for c in await list_campaigns(session, status=("active", "completed"), limit=1)] == [done.id]
    assert [c.id for c in await active_campaigns(session)] == [second.id]
    assert [c.id for c in await completed_campaigns(session)] == [done.id]
    # One round follows another at most once.
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await _campaign(session, round=2, previous_id=first.id)


async def test_signer_is_unique_per_campaign(session: AsyncSession) -> None:
    with pytest.raises(ValueError, match="more than once"):
        await _campaign(session, signers=["ceo", "dpo", "ceo"])
    with pytest.raises(ValueError, match="at least one"):
        await _campaign(session, signers=[])
    campaign = await _campaign(session)
    other = await _campaign(session)
    session.add(SignoffSigner(campaign_id=other.id, user_id="someone", position=9, status="waiting"))
    await session.flush()  # the same user in another campaign, or another position, is fine
    for duplicate in ({"user_id": "ceo", "position": 7}, {"user_id": "new", "position": 0}):
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                session.add(SignoffSigner(campaign_id=campaign.id, status="waiting", **duplicate))


async def test_snapshot_data_round_trips_exactly(session_factory: async_sessionmaker[AsyncSession]) -> None:
    digest = hashlib.sha256(canonical_json(SNAPSHOT_DATA).encode("utf-8")).hexdigest()
    async with session_factory.begin() as session:
        snapshot = await add_snapshot(session, data=SNAPSHOT_DATA, sha256=digest, reports=_reports(), at=T0)
        campaign = await _campaign(session)
        campaign.snapshot_id = snapshot.id
    async with session_factory() as session:
        found = await get_snapshot(session, snapshot.id)
        zh = await report_of(session, snapshot.id, "zh-Hant")
        assert await report_of(session, snapshot.id, "de") is None
        raw = await session.scalar(text("SELECT data FROM signoff_snapshots"))
    assert found is not None and zh is not None
    assert found.data == SNAPSHOT_DATA
    assert canonical_json(found.data) == canonical_json(SNAPSHOT_DATA)
    assert hashlib.sha256(canonical_json(found.data).encode("utf-8")).hexdigest() == found.sha256 == digest
    assert (found.taken_at, found.reports["en"]) == (T0, {"sha256": sha256_hex("<h1>Annual compliance</h1>")})
    assert set(found.reports) == {"zh-Hant", "en", "pt"}
    assert (zh.html, zh.sha256) == ("<h1>年度合規</h1>", sha256_hex("<h1>年度合規</h1>"))
    # PostgreSQL keeps the text as written (json, not jsonb): 1e16 has not become an integer.
    assert "1e+16" in (raw if isinstance(raw, str) else canonical_json(raw))


async def test_snapshot_hashes_are_checked(session: AsyncSession) -> None:
    good = sha256_hex(canonical_json(SNAPSHOT_DATA))
    with pytest.raises(ValueError, match="canonical JSON"):
        await add_snapshot(session, data=SNAPSHOT_DATA, sha256="0" * 64, reports={}, at=T0)
    with pytest.raises(ValueError, match="'en'"):
        await add_snapshot(session, data=SNAPSHOT_DATA, sha256=good, reports={"en": ("<p/>", "0" * 64)}, at=T0)


async def test_signer_by_card_and_awaiting_reason(session: AsyncSession) -> None:
    old = await _campaign(session, signers=["ceo"])
    new = await _campaign(session, signers=["ceo", "dpo"])
    draft = await _campaign(session, signers=["ceo"])
    old.status = new.status = "active"
    rows = [signer for campaign in (old, new, draft) for signer in await signers_of(session, campaign.id)]
    for index, signer in enumerate(rows):
        signer.status, signer.card_id, signer.sent_at = "pending", f"card-{index}", T0
        signer.awaiting_reason = signer.user_id == "ceo"
    await session.flush()

    found = await signer_by_card(session, "card-2")
    assert found is not None and (found.campaign_id, found.user_id) == (new.id, "dpo")
    assert await signer_by_card(session, "card-404", for_update=False) is None
    # The newest active campaign wins; the draft one, though newer, is not active.
    awaiting = await signer_awaiting_reason(session, "ceo")
    assert awaiting is not None and awaiting.campaign_id == new.id
    assert await signer_awaiting_reason(session, "dpo") is None
    awaiting.status, awaiting.reason, awaiting.awaiting_reason = "rejected", "figures wrong", False
    await session.flush()
    again = await signer_awaiting_reason(session, "ceo")
    assert again is not None and again.campaign_id == old.id
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(
                SignoffSigner(campaign_id=draft.id, user_id="x", position=5, status="waiting", card_id="card-0")
            )


@pytest.mark.parametrize(
    "bad",
    [{"signing_order": "random"}, {"status": "overdue"}],
    ids=["signing_order", "status"],
)
async def test_campaign_checks(session: AsyncSession, bad: dict[str, Any]) -> None:
    campaign = await _campaign(session)
    for name, value in bad.items():
        setattr(campaign, name, value)
    with pytest.raises(IntegrityError):
        await session.flush()


async def test_signer_and_report_checks(session: AsyncSession) -> None:
    campaign = await _campaign(session)
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            session.add(SignoffSigner(campaign_id=campaign.id, user_id="x", position=5, status="maybe"))
    with pytest.raises(IntegrityError):
        async with session.begin_nested():
            await add_snapshot(
                session,
                data={},
                sha256=sha256_hex("{}"),
                reports={"de": ("<p/>", sha256_hex("<p/>"))},
                at=T0,
            )
