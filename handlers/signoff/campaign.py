"""Sign-off campaigns: start (freeze the snapshot, send the cards), restart as a new round, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from cards.card import CardButton, CardContent
from cards.render import Language, Trusted, coerce_language, render_card, render_message
from handlers.context import HandlerContext
from handlers.directory import display_name, org_admins
from handlers.inbound import UserId
from handlers.links import link_token
from handlers.rules.active import pack_for_rules_version
from handlers.signoff.report import headline_figures, html_sha256, render_report
from handlers.signoff.snapshot import snapshot_sha256, take_snapshot
from storage import directory, preferences, signoff
from storage.models import SignoffCampaign, SignoffSigner

ACTION = "signoff"
LANGUAGES: tuple[Language, ...] = ("zh-Hant", "en", "pt")
BUTTONS: dict[str, dict[Language, str]] = {
    "approve": {"en": "Approve", "zh-Hant": "批准", "pt": "Aprovar"},
    "reject": {"en": "Reject", "zh-Hant": "拒絕", "pt": "Rejeitar"},
}


class CampaignError(ValueError):
    """A campaign cannot do what was asked in its current state; the message says why."""


def progress(signers: list[SignoffSigner], language: Language) -> str:
    done, total = sum(s.status == "approved" for s in signers), len(signers)
    return {"en": f"{done} of {total} signed.", "zh-Hant": f"已簽署 {done}／{total}。",
            "pt": f"{done} de {total} assinaram."}[language]


def report_url(ctx: HandlerContext, snapshot_id: int, language: Language) -> str:
    token = link_token(ctx.policy.link_key, f"report:{snapshot_id}")
    return f"{ctx.policy.public_url}/signoff/reports/{snapshot_id}/{language}/{token}"


def certificate_url(ctx: HandlerContext, campaign: SignoffCampaign) -> str:
    token = link_token(ctx.policy.link_key, f"certificate:{campaign.id}:{campaign.certificate_sha256}")
    return f"{ctx.policy.public_url}/signoff/certificates/{campaign.id}/{token}"


async def snapshot_of(ctx: HandlerContext, campaign: SignoffCampaign) -> tuple[dict[str, Any], str]:
    snapshot = await signoff.get_snapshot(ctx.session, campaign.snapshot_id) if campaign.snapshot_id else None
    if snapshot is None:
        raise CampaignError(f"campaign {campaign.id} has no snapshot; start it first")
    return dict(snapshot.data), snapshot.sha256


async def signer_card(ctx: HandlerContext, campaign: SignoffCampaign, signer: SignoffSigner,
                      signers: list[SignoffSigner], *, status: str | None = None) -> CardContent:
    """The card as `signer` sees it now: figures, the snapshot's hash, the report link, progress."""
    language = coerce_language(await preferences.get_language(ctx.session, signer.user_id))
    data, sha = await snapshot_of(ctx, campaign)
    figures = headline_figures(data)
    shown = status or _status_of(campaign, signer)
    buttons: tuple[CardButton, ...] = ()
    if shown == "pending":
        params = {"action": ACTION, "campaign": str(campaign.id)}
        buttons = (CardButton(BUTTONS["approve"][language], {**params, "decision": "approve"}, "primary"),
                   CardButton(BUTTONS["reject"][language], {**params, "decision": "reject"}, "danger"))
    local = ctx.policy.calendar.timezone
    return render_card(
        "signoff_card", language, status=shown, buttons=buttons, year=str(campaign.year),
        campaign_title=campaign.title, note=campaign.note, classified=figures["classified"],
        unclassified=figures["unclassified"], flows_out=figures["flows_leaving"], overdue=figures["overdue"],
        obligations=figures["open_obligations"], sha256=Trusted(sha),
        report_url=Trusted(report_url(ctx, campaign.snapshot_id or 0, language)),
        due=campaign.due_at.astimezone(local).strftime("%Y-%m-%d"), progress=progress(signers, language),
        decided_at=signer.decided_at.astimezone(local).strftime("%Y-%m-%d %H:%M") if signer.decided_at else "",
        reason=signer.reason or "", closed=Trusted(campaign.status))


def _status_of(campaign: SignoffCampaign, signer: SignoffSigner) -> str:
    if campaign.status == "superseded":
        return "superseded"
    if signer.status in ("approved", "rejected"):
        return signer.status
    if campaign.status != "active":
        return "closed"
    if signer.awaiting_reason:
        return "awaiting_reason"
    return "pending" if signer.status == "pending" else "waiting"


async def start(ctx: HandlerContext, campaign: SignoffCampaign, *, by: str) -> str:
    """Freeze the snapshot, render the reports, and ask the first signer(s); returns the snapshot hash."""
    if campaign.status != "draft":
        raise CampaignError(f"campaign {campaign.id} is {campaign.status}; only a draft can be started")
    data = await take_snapshot(ctx.session, now=ctx.now, campaign={
        "id": campaign.id, "year": campaign.year, "title": campaign.title, "round": campaign.round})
    sha = snapshot_sha256(data)
    pack = await pack_for_rules_version(ctx.session, data["rules_pack"]["version"])
    reports: dict[str, tuple[str, str]] = {}
    for language in LANGUAGES:
        html = render_report(data, language, timezone=ctx.policy.calendar.timezone.key, pack=pack)
        reports[language] = (html, html_sha256(html))
    snapshot = await signoff.add_snapshot(ctx.session, data=data, sha256=sha, reports=reports, at=ctx.now)
    campaign.snapshot_id, campaign.status, campaign.started_at = snapshot.id, "active", ctx.now
    await ctx.record(by, "signoff.started", f"campaign:{campaign.id}",
                     {"sha256": sha, "reports": {k: v[1] for k, v in reports.items()}, "round": campaign.round})
    signers = await signoff.signers_of(ctx.session, campaign.id)
    first = signers if campaign.signing_order == "parallel" else signers[:1]
    for signer in first:
        await ask(ctx, campaign, signer, signers)
    return sha


async def ask(ctx: HandlerContext, campaign: SignoffCampaign, signer: SignoffSigner,
              signers: list[SignoffSigner]) -> None:
    """Send `signer` their card."""
    signer.status, signer.sent_at = "pending", ctx.now
    person = await directory.get_user(ctx.session, signer.user_id)
    signer.union_id = person.union_id if person is not None else None  # shown on the certificate
    signer.card_id = f"signoff-{campaign.id}-{signer.id}-{uuid.uuid4().hex[:8]}"
    await ctx.send_card(UserId(signer.user_id), signer.card_id, await signer_card(ctx, campaign, signer, signers))
    await ctx.record("system", "signoff.sent", f"campaign:{campaign.id}",
                     {"signer": signer.user_id, "card": signer.card_id})


async def refresh_cards(ctx: HandlerContext, campaign: SignoffCampaign, signers: list[SignoffSigner]) -> None:
    """Show every signer who has a card the campaign's new state (DingTalk's PUT reaches all holders)."""
    for signer in signers:
        if signer.card_id:
            await ctx.update_card(signer.card_id, await signer_card(ctx, campaign, signer, signers))


async def restart(ctx: HandlerContext, campaign: SignoffCampaign, *, by: str) -> SignoffCampaign:
    """A new round with a new snapshot; the old round's cards say they were superseded."""
    if campaign.status not in ("active", "rejected"):
        raise CampaignError(f"campaign {campaign.id} is {campaign.status}; only an active or rejected one restarts")
    old_signers = await signoff.signers_of(ctx.session, campaign.id)
    campaign.status, campaign.closed_at = "superseded", ctx.now
    await refresh_cards(ctx, campaign, old_signers)
    renewed = await signoff.create_campaign(
        ctx.session, year=campaign.year, title=campaign.title, note=campaign.note,
        signing_order=campaign.signing_order, due_at=campaign.due_at, signers=[s.user_id for s in old_signers],
        created_by=by, at=ctx.now, round=campaign.round + 1, previous_id=campaign.id)
    await ctx.record(by, "signoff.superseded", f"campaign:{campaign.id}", {"by": renewed.id})
    await start(ctx, renewed, by=by)
    return renewed


async def cancel(ctx: HandlerContext, campaign: SignoffCampaign, *, by: str) -> None:
    """Stop a draft or active campaign; the cards already sent say it was closed."""
    if campaign.status not in ("draft", "active"):
        raise CampaignError(f"campaign {campaign.id} is {campaign.status}; only a draft or active one can be cancelled")
    campaign.status, campaign.closed_at = "cancelled", ctx.now
    await ctx.record(by, "signoff.cancelled", f"campaign:{campaign.id}", {})
    await refresh_cards(ctx, campaign, await signoff.signers_of(ctx.session, campaign.id))


async def tell_admins(ctx: HandlerContext, campaign: SignoffCampaign, event: str,
                      localized: Callable[[Language], dict[str, object]] | None = None, **values: object) -> None:
    """Tell every admin, each in their language (`localized` gives the words that depend on it)."""
    defaults: dict[str, object] = {"signer": "", "state": "", "reason": "", "progress": "", "link": "",
                                   "sha256": "", "campaign_id": str(campaign.id)}
    for admin in dict.fromkeys([*ctx.policy.admins, *await org_admins(ctx.session)]):
        language = await ctx.language_of(UserId(admin))
        words = localized(language) if localized else {}
        await ctx.send_to_user(UserId(admin), render_message(
            "signoff_notice", language, event=Trusted(event), year=str(campaign.year),
            campaign_title=campaign.title, **{**defaults, **values, **words}))


async def name_of(ctx: HandlerContext, user_id: str) -> str:
    return await display_name(ctx.session, user_id)
