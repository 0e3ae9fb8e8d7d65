"""Queries over the annual sign-off: campaigns, their signers, and the snapshots they sign."""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.audit import canonical_json
from storage.models import SigningOrder, SignoffCampaign, SignoffReport, SignoffSigner, SignoffSnapshot


def sha256_hex(text: str) -> str:
    """SHA-256 hex of `text` as UTF-8: what a snapshot's and a report's sha256 are."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


async def create_campaign(
    session: AsyncSession,
    *,
    year: int,
    title: str,
    note: str,
    signing_order: SigningOrder,
    due_at: datetime,
    signers: Sequence[str],
    created_by: str,
    at: datetime,
    round: int = 1,
    previous_id: int | None = None,
) -> SignoffCampaign:
    """Add a draft campaign and one waiting signer per user id, at positions 0, 1, 2 ... in the given order."""
    if not signers:
        raise ValueError("a sign-off campaign needs at least one signer")
    if len(set(signers)) != len(signers):
        raise ValueError(f"signers named more than once: {sorted({s for s in signers if signers.count(s) > 1})}")
    campaign = SignoffCampaign(
        year=year,
        title=title,
        note=note,
        signing_order=signing_order,
        due_at=due_at,
        status="draft",
        round=round,
        previous_id=previous_id,
        created_by=created_by,
        created_at=at,
    )
    session.add(campaign)
    await session.flush()
    session.add_all(
        SignoffSigner(campaign_id=campaign.id, user_id=user_id, position=position, status="waiting")
        for position, user_id in enumerate(signers)
    )
    await session.flush()
    return campaign


async def get_campaign(session: AsyncSession, id: int, *, for_update: bool = False) -> SignoffCampaign | None:
    """The campaign with `id`, read afresh; locked until commit when `for_update` (a decision, a restart)."""
    stmt = select(SignoffCampaign).where(SignoffCampaign.id == id).execution_options(populate_existing=True)
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def list_campaigns(
    session: AsyncSession, *, status: str | Collection[str] | None = None, limit: int = 50
) -> list[SignoffCampaign]:
    """Campaigns, newest first, optionally only those in `status` (one or several)."""
    stmt = select(SignoffCampaign)
    if isinstance(status, str):
        stmt = stmt.where(SignoffCampaign.status == status)
    elif status is not None:
        stmt = stmt.where(SignoffCampaign.status.in_(tuple(status)))
    stmt = stmt.order_by(SignoffCampaign.id.desc()).limit(limit)
    return list(await session.scalars(stmt))


async def active_campaigns(session: AsyncSession) -> list[SignoffCampaign]:
    """Every started campaign still collecting decisions, soonest due first: what reminders work on."""
    stmt = (
        select(SignoffCampaign)
        .where(SignoffCampaign.status == "active")
        .order_by(SignoffCampaign.due_at, SignoffCampaign.id)
    )
    return list(await session.scalars(stmt))


async def completed_campaigns(session: AsyncSession) -> list[SignoffCampaign]:
    """Every campaign all its signers approved, most recently closed first."""
    stmt = (
        select(SignoffCampaign)
        .where(SignoffCampaign.status == "completed")
        .order_by(SignoffCampaign.closed_at.desc(), SignoffCampaign.id.desc())
    )
    return list(await session.scalars(stmt))


async def signers_of(session: AsyncSession, campaign_id: int) -> list[SignoffSigner]:
    """The campaign's signers in signing order, read afresh."""
    stmt = (
        select(SignoffSigner)
        .where(SignoffSigner.campaign_id == campaign_id)
        .order_by(SignoffSigner.position)
        .execution_options(populate_existing=True)
    )
    return list(await session.scalars(stmt))


async def signer_by_card(session: AsyncSession, card_id: str, *, for_update: bool = True) -> SignoffSigner | None:
    """The signer a card was sent to (its outTrackId), locked until commit by default: a click decides."""
    stmt = (
        select(SignoffSigner)
        .where(SignoffSigner.card_id == card_id)
        .execution_options(populate_existing=True)
    )
    if for_update:
        stmt = stmt.with_for_update()
    return await session.scalar(stmt)


async def signer_awaiting_reason(session: AsyncSession, user_id: str) -> SignoffSigner | None:
    """The user's newest pending signer row, in an active campaign, whose Reject click still needs a reason.

    Locked until commit: the chat message that supplies the reason decides it.
    """
    stmt = (
        select(SignoffSigner)
        .join(SignoffCampaign, SignoffCampaign.id == SignoffSigner.campaign_id)
        .where(
            SignoffSigner.user_id == user_id,
            SignoffSigner.status == "pending",
            SignoffSigner.awaiting_reason.is_(True),
            SignoffCampaign.status == "active",
        )
        .order_by(SignoffSigner.id.desc())
        .limit(1)
        .with_for_update(of=SignoffSigner)
        .execution_options(populate_existing=True)
    )
    return await session.scalar(stmt)


async def add_snapshot(
    session: AsyncSession,
    *,
    data: dict[str, Any],
    sha256: str,
    reports: Mapping[str, tuple[str, str]],
    at: datetime,
) -> SignoffSnapshot:
    """Store a snapshot and its rendered reports (language -> (html, sha256)).

    Both hashes are checked here (sha256 of canonical_json(data), and of each html, as UTF-8), since signers
    are shown them and anyone must be able to recompute them from what is stored.
    """
    if sha256_hex(canonical_json(data)) != sha256:
        raise ValueError("snapshot sha256 is not the SHA-256 of the canonical JSON of its data")
    for language, (html, html_sha256) in reports.items():
        if sha256_hex(html) != html_sha256:
            raise ValueError(f"report {language!r}: sha256 is not the SHA-256 of its html")
    snapshot = SignoffSnapshot(
        taken_at=at,
        data=data,
        sha256=sha256,
        reports={language: {"sha256": html_sha256} for language, (_, html_sha256) in reports.items()},
    )
    session.add(snapshot)
    await session.flush()
    session.add_all(
        SignoffReport(snapshot_id=snapshot.id, language=language, html=html, sha256=html_sha256)
        for language, (html, html_sha256) in reports.items()
    )
    await session.flush()
    return snapshot


async def get_snapshot(session: AsyncSession, id: int) -> SignoffSnapshot | None:
    """The snapshot with `id`."""
    return await session.get(SignoffSnapshot, id)


async def report_of(session: AsyncSession, snapshot_id: int, language: str) -> SignoffReport | None:
    """The snapshot's report rendered in `language`, if one was stored."""
    stmt = select(SignoffReport).where(SignoffReport.snapshot_id == snapshot_id, SignoffReport.language == language)
    return await session.scalar(stmt)
