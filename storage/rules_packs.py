"""Queries over the rules packs admins saved: every version is kept, the highest id is the active one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import RulesPackVersion


@dataclass(frozen=True, slots=True)
class VersionRef:
    """Which version is the newest, and the hash of its text: enough to find its parsed pack in a cache."""

    id: int
    sha256: str


@dataclass(frozen=True, slots=True)
class VersionSummary:
    """A stored version without its text, for listings."""

    id: int
    sha256: str
    pack_name: str
    pack_version: str
    created_by: str
    created_at: datetime
    note: str


async def latest_version_ref(session: AsyncSession) -> VersionRef | None:
    """The newest stored version's id and sha256; None while no admin has saved a pack."""
    stmt = select(RulesPackVersion.id, RulesPackVersion.sha256).order_by(RulesPackVersion.id.desc()).limit(1)
    row = (await session.execute(stmt)).first()
    return VersionRef(row.id, row.sha256) if row is not None else None


async def get_version(session: AsyncSession, version_id: int) -> RulesPackVersion | None:
    """One stored version with its text."""
    return await session.get(RulesPackVersion, version_id)


async def versions_named(session: AsyncSession, pack_version: str) -> list[VersionRef]:
    """The stored versions whose pack declares `pack_version`, oldest first."""
    v = RulesPackVersion
    stmt = select(v.id, v.sha256).where(v.pack_version == pack_version).order_by(v.id)
    return [VersionRef(row.id, row.sha256) for row in (await session.execute(stmt)).all()]


async def list_versions(session: AsyncSession) -> list[VersionSummary]:
    """Every stored version, newest first, without the texts."""
    v = RulesPackVersion
    stmt = select(v.id, v.sha256, v.pack_name, v.pack_version, v.created_by, v.created_at, v.note).order_by(v.id.desc())
    return [VersionSummary(*row) for row in (await session.execute(stmt)).all()]


async def add_version(
    session: AsyncSession, *, version_id: int, text: str, sha256: str, pack_name: str, pack_version: str,
    created_by: str, created_at: datetime, note: str,
) -> RulesPackVersion:
    """Store a new version under `version_id` (flushed, not committed).

    The caller passes the previous highest id plus one: a concurrent save of the same id fails at the flush
    with an IntegrityError instead of silently becoming a second "newest" version.
    """
    row = RulesPackVersion(id=version_id, text=text, sha256=sha256, pack_name=pack_name, pack_version=pack_version,
                           created_by=created_by, created_at=created_at, note=note)
    session.add(row)
    await session.flush()
    return row
