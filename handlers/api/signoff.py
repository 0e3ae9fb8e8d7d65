"""Sign-off campaigns for the API and the admin pages: list, create, start, cancel, read, report, certificate.

Each change goes through the same domain functions as `compliance-bot signoff` (handlers.signoff.campaign), in
the caller's transaction, audited under the admin's userId. Admins see every campaign; a signer may read the
campaign they sign, its report and certificate; to anyone else it does not exist (not found, so ids don't leak).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from cards.render import coerce_language
from handlers.api.caller import Caller
from handlers.api.models import Download
from handlers.api.refusals import Message, Refused, bad_input
from handlers.api.signoff_models import (
    CampaignCreate,
    CampaignLinks,
    CampaignOut,
    CampaignPage,
    CampaignQuery,
    CampaignSummary,
    ReportLanguage,
    SignerCounts,
    SignerOut,
)
from handlers.context import HandlerContext, OrgPolicy
from handlers.signoff.campaign import CampaignError, cancel, restart, start
from storage import directory, preferences, signoff
from storage.directory import names_of
from storage.models import SignoffCampaign, SignoffSigner

DUE_HOUR = time(18)  # a due date alone means 18:00 that day in the bot's timezone, as the CLI reads --due


def signoff_context(session: AsyncSession, now: datetime, policy: OrgPolicy, what: str) -> HandlerContext:
    """The context a sign-off change runs in; `what` (action and id) keeps its queued sends apart from others'."""
    return HandlerContext(session=session, now=now, origin=f"api:signoff:{what}:{now.isoformat()}", policy=policy)


async def campaign_for(session: AsyncSession, caller: Caller, campaign_id: int, *,
                       for_update: bool = False) -> SignoffCampaign:
    """The campaign if `caller` is an admin or one of its signers; Refused (404) otherwise."""
    campaign = await signoff.get_campaign(session, campaign_id, for_update=for_update)
    if campaign is None:
        raise Refused(404, f"no sign-off campaign {campaign_id}")
    if caller.role != "admin":
        signs = await session.scalar(select(SignoffSigner.id).where(
            SignoffSigner.campaign_id == campaign.id, SignoffSigner.user_id == caller.user_id))
        if signs is None:
            raise Refused(404, f"no sign-off campaign {campaign_id}")
    return campaign


async def list_campaigns(session: AsyncSession, query: CampaignQuery) -> CampaignPage:
    """One page of campaigns, newest first, with how many signers stand where."""
    stmt = select(SignoffCampaign)
    if query.status is not None:
        stmt = stmt.where(SignoffCampaign.status == query.status)
    if query.cursor is not None:
        stmt = stmt.where(SignoffCampaign.id < query.cursor)
    rows = list(await session.scalars(stmt.order_by(SignoffCampaign.id.desc()).limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    counts = await _signer_counts(session, [c.id for c in rows])
    items = [CampaignSummary(id=c.id, year=c.year, title=c.title, round=c.round, status=c.status,
                             signing_order=c.signing_order, due_at=c.due_at, created_at=c.created_at,
                             signers=counts.get(c.id, _counts({}))) for c in rows]
    return CampaignPage(items=items, next_cursor=rows[-1].id if more else None)


async def create_campaign(ctx: HandlerContext, caller: Caller, body: CampaignCreate,
                          api_root: str = "") -> CampaignOut:
    """A draft campaign, as `compliance-bot signoff create` makes it; a 400 Refused names what to fix."""
    due = _due_at(body, ctx)
    problems = await _signer_problems(ctx.session, body.signers)
    if due <= ctx.now:
        problems.append(("dueAt", Message("must be in the future", "not_in_future")))
    if problems:
        raise bad_input(dict(problems))
    campaign = await signoff.create_campaign(
        ctx.session, year=body.year, title=body.title, note=body.note, signing_order=body.order, due_at=due,
        signers=body.signers, created_by=caller.user_id, at=ctx.now)
    await ctx.record(caller.user_id, "signoff.created", f"campaign:{campaign.id}", {"year": body.year})
    return await campaign_detail(ctx.session, campaign, api_root)


async def start_campaign(ctx: HandlerContext, caller: Caller, campaign_id: int, api_root: str = "") -> CampaignOut:
    """Freeze the snapshot and queue the signers' cards; Refused (409) unless it is a draft."""
    campaign = await campaign_for(ctx.session, caller, campaign_id, for_update=True)
    with _conflicts():
        await start(ctx, campaign, by=caller.user_id)
    return await campaign_detail(ctx.session, campaign, api_root)


async def cancel_campaign(ctx: HandlerContext, caller: Caller, campaign_id: int, api_root: str = "") -> CampaignOut:
    """Stop a draft or active campaign; Refused (409) otherwise."""
    campaign = await campaign_for(ctx.session, caller, campaign_id, for_update=True)
    with _conflicts():
        await cancel(ctx, campaign, by=caller.user_id)
    return await campaign_detail(ctx.session, campaign, api_root)


async def restart_campaign(ctx: HandlerContext, caller: Caller, campaign_id: int, api_root: str = "") -> CampaignOut:
    """A new round of an active or rejected campaign: a new snapshot, the same signers, new cards; the old
    round's cards say they were superseded. Answers the new round; Refused (409) otherwise."""
    campaign = await campaign_for(ctx.session, caller, campaign_id, for_update=True)
    with _conflicts():
        renewed = await restart(ctx, campaign, by=caller.user_id)
    return await campaign_detail(ctx.session, renewed, api_root)


async def campaign_detail(session: AsyncSession, campaign: SignoffCampaign, api_root: str = "") -> CampaignOut:
    """The campaign with its signers in order, its hashes and where its report and certificate are."""
    signers = await signoff.signers_of(session, campaign.id)
    names = await names_of(session, [s.user_id for s in signers])
    snapshot = await signoff.get_snapshot(session, campaign.snapshot_id) if campaign.snapshot_id else None
    base = f"{api_root}/signoff-campaigns/{campaign.id}"
    return CampaignOut(
        id=campaign.id, year=campaign.year, title=campaign.title, note=campaign.note, round=campaign.round,
        previous_id=campaign.previous_id, status=campaign.status, signing_order=campaign.signing_order,
        due_at=campaign.due_at, created_by=campaign.created_by, created_at=campaign.created_at,
        started_at=campaign.started_at, closed_at=campaign.closed_at,
        signers=[SignerOut(user_id=s.user_id, name=names.get(s.user_id, s.user_id), position=s.position,
                           status=s.status, decided_at=s.decided_at, reason=s.reason) for s in signers],
        snapshot_sha256=snapshot.sha256 if snapshot else None,
        report_sha256={lang: str(entry["sha256"]) for lang, entry in snapshot.reports.items()} if snapshot else {},
        certificate_sha256=campaign.certificate_sha256,
        links=CampaignLinks(report=f"{base}/report" if snapshot else None,
                            certificate=f"{base}/certificate" if campaign.certificate_html else None))


async def campaign_report(session: AsyncSession, caller: Caller, campaign_id: int,
                          language: ReportLanguage | None) -> Download:
    """The frozen report of the campaign's snapshot as HTML, exactly as stored (its sha256 is of these bytes)."""
    campaign = await campaign_for(session, caller, campaign_id)
    if campaign.snapshot_id is None:
        raise Refused(404, f"campaign {campaign.id} has no report yet: it is frozen when the campaign starts")
    chosen = language or coerce_language(await preferences.get_language(session, caller.user_id))
    report = await signoff.report_of(session, campaign.snapshot_id, chosen)
    if report is None:
        raise Refused(404, f"campaign {campaign.id} has no report in {chosen}")
    return Download(filename=f"signoff-{campaign.id}-report-{chosen}.html", media_type="text/html; charset=utf-8",
                    content=report.html.encode("utf-8"), inline=True)


async def campaign_certificate(session: AsyncSession, caller: Caller, campaign_id: int) -> Download:
    """The signed certificate as HTML, exactly as stored; only once every signer approved."""
    campaign = await campaign_for(session, caller, campaign_id)
    if not campaign.certificate_html:
        raise Refused(404, f"campaign {campaign.id} has no certificate: it is {campaign.status}, and the "
                           "certificate is issued when every signer has approved")
    return Download(filename=f"signoff-{campaign.id}-certificate.html", media_type="text/html; charset=utf-8",
                    content=campaign.certificate_html.encode("utf-8"), inline=True)


@contextmanager
def _conflicts() -> Iterator[None]:
    """The domain's CampaignError (the campaign's state does not allow the change) as a 409 refusal."""
    try:
        yield
    except CampaignError as exc:
        raise Refused(409, str(exc)) from None


def _due_at(body: CampaignCreate, ctx: HandlerContext) -> datetime:
    if isinstance(body.due_at, datetime):
        return body.due_at
    assert isinstance(body.due_at, date)
    return datetime.combine(body.due_at, DUE_HOUR, ctx.policy.calendar.timezone)


async def _signer_problems(session: AsyncSession, signers: list[str]) -> list[tuple[str, Message]]:
    problems: list[tuple[str, Message]] = []
    for n, user_id in enumerate(signers):
        person = await directory.get_user(session, user_id)
        first = signers.index(user_id)
        if first < n:
            problems.append((f"signers.{n}", Message(f"is named more than once (first as signers.{first})",
                                                     "signer_repeated", {"first": first, "place": first + 1})))
        elif person is None or not person.active:
            problems.append((f"signers.{n}", Message("is not an active member of the organisation's directory",
                                                     "signer_unknown")))
    return problems


async def _signer_counts(session: AsyncSession, campaign_ids: list[int]) -> dict[int, SignerCounts]:
    if not campaign_ids:
        return {}
    rows = await session.execute(
        select(SignoffSigner.campaign_id, SignoffSigner.status, func.count())
        .where(SignoffSigner.campaign_id.in_(campaign_ids))
        .group_by(SignoffSigner.campaign_id, SignoffSigner.status))
    by_campaign: dict[int, dict[str, int]] = {}
    for campaign_id, status, count in rows:
        by_campaign.setdefault(campaign_id, {})[status] = count
    return {campaign_id: _counts(counts) for campaign_id, counts in by_campaign.items()}


def _counts(counts: dict[str, int]) -> SignerCounts:
    return SignerCounts(waiting=counts.get("waiting", 0), pending=counts.get("pending", 0),
                        approved=counts.get("approved", 0), rejected=counts.get("rejected", 0),
                        total=sum(counts.values()))


