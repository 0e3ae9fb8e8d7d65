"""After a sign-off completed, tell the admins once the register no longer matches what was signed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from handlers.context import HandlerContext, OrgPolicy
from handlers.signoff.campaign import tell_admins
from handlers.signoff.snapshot import snapshot_sha256, take_snapshot
from storage import signoff
from storage.models import AuditEvent


def register_fingerprint(data: dict[str, Any]) -> str:
    """A hash of what the signers vouched for: classifications, the register and the open obligations.

    Not the moment of the take, nor the overdue list, which changes by itself as dates pass.
    """
    return snapshot_sha256({k: data.get(k) for k in ("classifications", "register", "obligations")})


async def check_signed_registers(sessions: async_sessionmaker[AsyncSession], policy: OrgPolicy,
                                 now: datetime) -> int:
    """For the newest completed campaign of each year: warn once per change of the register since."""
    warned = 0
    async with sessions() as session, session.begin():
        newest: dict[int, Any] = {}
        for campaign in await signoff.completed_campaigns(session):
            if campaign.year not in newest or campaign.id > newest[campaign.year].id:
                newest[campaign.year] = campaign
        for campaign in newest.values():
            snapshot = await signoff.get_snapshot(session, campaign.snapshot_id) if campaign.snapshot_id else None
            if snapshot is None:
                continue
            frozen = dict(snapshot.data)
            signed = register_fingerprint(frozen)
            current = register_fingerprint(await take_snapshot(session, now=now, campaign=frozen["campaign"]))
            if current == signed or await _already_warned(session, campaign.id, current):
                continue
            ctx = HandlerContext(session=session, now=now, origin=f"register-changed:{campaign.id}:{current[:16]}",
                                 policy=policy)
            await ctx.record("system", "signoff.register_changed", f"campaign:{campaign.id}",
                             {"signed": snapshot.sha256, "fingerprint": current})
            await tell_admins(ctx, campaign, "changed", sha256=snapshot.sha256)
            warned += 1
    return warned


async def _already_warned(session: AsyncSession, campaign_id: int, fingerprint: str) -> bool:
    stmt = select(AuditEvent.details).where(AuditEvent.action == "signoff.register_changed",
                                            AuditEvent.subject == f"campaign:{campaign_id}")
    return any(details.get("fingerprint") == fingerprint for details in await session.scalars(stmt))
