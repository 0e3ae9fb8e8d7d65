"""A signer's decision (`action: signoff`, `decision: approve|reject`, `reason`), and what follows from it."""

from __future__ import annotations

from cards.render import Trusted, render_message
from handlers.context import HandlerContext
from handlers.inbound import CardAction, CardResponse, UserId
from handlers.signoff.campaign import ask, certificate_url, name_of, progress, refresh_cards, signer_card, tell_admins
from handlers.signoff.report import html_sha256, render_certificate
from storage import signoff
from storage.models import SignoffCampaign, SignoffSigner

STATE_WORDS = {
    "approved": {"en": "approved", "zh-Hant": "批准", "pt": "aprovou"},
    "rejected": {"en": "rejected", "zh-Hant": "拒絕", "pt": "rejeitou"},
}


async def on_signoff(ctx: HandlerContext, click: CardAction) -> CardResponse:
    """Only the named signer can sign a card; the card is found by its id, never by ids in the params."""
    signer = await signoff.signer_by_card(ctx.session, click.card_id)
    campaign = await signoff.get_campaign(ctx.session, signer.campaign_id, for_update=True) if signer else None
    if signer is None or campaign is None:
        await _notice(ctx, click.user, None, "closed", state="unknown card")
        return CardResponse()
    if click.user != signer.user_id:
        await ctx.record(click.user, "signoff.refused", f"campaign:{campaign.id}",
                         {"card": click.card_id, "signer": signer.user_id, "decision": click.params.get("decision")})
        await _notice(ctx, click.user, campaign, "refused", signer=await name_of(ctx, signer.user_id))
        return CardResponse()
    decision = str(click.params.get("decision", ""))
    reason = str(click.params.get("reason") or "").strip()
    await decide(ctx, campaign, signer, decision, reason)
    signers = await signoff.signers_of(ctx.session, campaign.id)
    return CardResponse(card_data=ctx.card_params(await signer_card(ctx, campaign, signer, signers)))


async def on_signoff_reason(ctx: HandlerContext, user: UserId, text: str) -> bool:
    """A chat message after the bot asked why: the rejection's reason. False when nobody asked."""
    signer = await signoff.signer_awaiting_reason(ctx.session, user)
    if signer is None:
        return False
    campaign = await signoff.get_campaign(ctx.session, signer.campaign_id, for_update=True)
    if campaign is None:
        return False
    await decide(ctx, campaign, signer, "reject", text.strip())
    return True


async def decide(ctx: HandlerContext, campaign: SignoffCampaign, signer: SignoffSigner, decision: str,
                 reason: str) -> None:
    if campaign.status != "active":
        await _notice(ctx, UserId(signer.user_id), campaign, "closed", state=campaign.status)
        return
    if signer.status in ("approved", "rejected"):
        language = await ctx.language_of(UserId(signer.user_id))
        await _notice(ctx, UserId(signer.user_id), campaign, "already", state=STATE_WORDS[signer.status][language])
        return
    if decision == "reject" and not reason:
        signer.awaiting_reason = True
        await ctx.record(signer.user_id, "signoff.reason_requested", f"campaign:{campaign.id}", {})
        await _notice(ctx, UserId(signer.user_id), campaign, "need_reason")
        await _refresh(ctx, campaign)
        return
    if decision not in ("approve", "reject"):
        await _notice(ctx, UserId(signer.user_id), campaign, "closed", state=f"unknown decision {decision!r}")
        return
    signer.status = "approved" if decision == "approve" else "rejected"
    signer.decided_at, signer.reason, signer.awaiting_reason = ctx.now, reason or None, False
    await ctx.record(signer.user_id, f"signoff.{signer.status}", f"campaign:{campaign.id}",
                     {"reason": signer.reason, "snapshot": campaign.snapshot_id, "card": signer.card_id})
    signers = await signoff.signers_of(ctx.session, campaign.id)
    if signer.status == "rejected":
        campaign.status, campaign.closed_at = "rejected", ctx.now
        await tell_admins(ctx, campaign, "rejected", signer=await name_of(ctx, signer.user_id), reason=reason)
    elif all(s.status == "approved" for s in signers):
        await _complete(ctx, campaign, signers)
    else:
        waiting = [s for s in signers if s.status == "waiting"]
        if campaign.signing_order == "sequential" and waiting:
            await ask(ctx, campaign, waiting[0], signers)
        state = signer.status
        await tell_admins(ctx, campaign, "decision", signer=await name_of(ctx, signer.user_id),
                          localized=lambda language: {"state": STATE_WORDS[state][language],
                                                      "progress": progress(signers, language)})
    await _refresh(ctx, campaign)


async def _complete(ctx: HandlerContext, campaign: SignoffCampaign, signers: list[SignoffSigner]) -> None:
    snapshot = await signoff.get_snapshot(ctx.session, campaign.snapshot_id) if campaign.snapshot_id else None
    assert snapshot is not None, "an active campaign has a snapshot"
    rows = [{"name": await name_of(ctx, s.user_id), "user_id": s.user_id, "union_id": s.union_id or "",
             "decision": s.status, "decided_at": s.decided_at} for s in signers]
    html = render_certificate({"id": campaign.id, "year": campaign.year, "title": campaign.title,
                               "round": campaign.round}, rows, snapshot.sha256, "zh-Hant",
                              timezone=ctx.policy.calendar.timezone.key)
    campaign.certificate_html, campaign.certificate_sha256 = html, html_sha256(html)
    campaign.status, campaign.closed_at = "completed", ctx.now
    await ctx.record("system", "signoff.completed", f"campaign:{campaign.id}",
                     {"snapshot": snapshot.sha256, "certificate": campaign.certificate_sha256,
                      "signers": [s.user_id for s in signers]})
    await tell_admins(ctx, campaign, "completed", link=Trusted(certificate_url(ctx, campaign)),
                      sha256=Trusted(snapshot.sha256), signer=await name_of(ctx, signers[-1].user_id))


async def _refresh(ctx: HandlerContext, campaign: SignoffCampaign) -> None:
    await refresh_cards(ctx, campaign, await signoff.signers_of(ctx.session, campaign.id))


async def _notice(ctx: HandlerContext, user: UserId, campaign: SignoffCampaign | None, event: str,
                  **values: object) -> None:
    language = await ctx.language_of(user)
    defaults: dict[str, object] = {"signer": "", "state": "", "reason": "", "progress": "", "link": "",
                                   "sha256": "", "campaign_id": str(campaign.id if campaign else ""),
                                   "campaign_title": campaign.title if campaign else ""}
    await ctx.send_to_user(user, render_message("signoff_notice", language, event=Trusted(event),
                                                year=str(campaign.year if campaign else ""),
                                                **{**defaults, **values}))
