"""Routes of the mini-program API: annual sign-off campaigns (handlers.api.signoff does the work).

Admins list, create, start and cancel campaigns. A campaign, its report and its certificate are also readable
by its own signers (the routes need only the employee role and check inside); anyone else gets 404.
"""

from __future__ import annotations

from typing import Final

from bot.api.refusals import refusals_as_problems
from bot.api.registry import ApiCall
from bot.api.routes import API, API_PREFIX
from handlers.api.models import Download, IdPath, NoBody, NoPath, NoQuery
from handlers.api.signoff import (
    campaign_certificate,
    campaign_detail,
    campaign_for,
    campaign_report,
    cancel_campaign,
    create_campaign,
    list_campaigns,
    restart_campaign,
    signoff_context,
    start_campaign,
)
from handlers.api.signoff_models import CampaignCreate, CampaignOut, CampaignPage, CampaignQuery, ReportQuery

TAGS: Final = ("signoff",)
HTML: Final = ("text/html",)


@API.route("GET", "/signoff-campaigns", access="admin", query=CampaignQuery, body=NoBody, response=CampaignPage,
           summary="Sign-off campaigns, newest first", tags=TAGS)
async def list_signoff_campaigns(call: ApiCall[CampaignQuery, NoBody, NoPath]) -> CampaignPage:
    """Each with its status, round, signing order, due time and how many signers stand where;
    follow `nextCursor` for the next page."""
    return await list_campaigns(call.session, call.query)


@API.route("POST", "/signoff-campaigns", access="admin", query=NoQuery, body=CampaignCreate, response=CampaignOut,
           summary="Create a draft sign-off campaign", tags=TAGS)
async def create_signoff_campaign(call: ApiCall[NoQuery, CampaignCreate, NoPath]) -> CampaignOut:
    """Signers (1 to 20, in signing order) must be active in the directory and named once; `dueAt` is a date
    (due at 18:00 in the bot's timezone) or a date-time with an offset, in the future. Nothing is sent until
    the campaign is started."""
    ctx = signoff_context(call.session, call.now, call.deps.policy(), "create")
    with refusals_as_problems():
        return await create_campaign(ctx, call.user, call.body, API_PREFIX)


@API.route("GET", "/signoff-campaigns/{id}", access="employee", query=NoQuery, body=NoBody, response=CampaignOut,
           path_params=IdPath, summary="One sign-off campaign with its signers", tags=TAGS)
async def get_signoff_campaign(call: ApiCall[NoQuery, NoBody, IdPath]) -> CampaignOut:
    """Admins may read any campaign, a signer only the campaigns they sign; to anyone else it is 404."""
    with refusals_as_problems():
        campaign = await campaign_for(call.session, call.user, call.path.id)
    return await campaign_detail(call.session, campaign, API_PREFIX)


@API.route("POST", "/signoff-campaigns/{id}/start", access="admin", query=NoQuery, body=NoBody,
           response=CampaignOut, path_params=IdPath, summary="Start a draft: freeze the snapshot, send the cards",
           tags=TAGS, statuses=(409,))
async def start_signoff_campaign(call: ApiCall[NoQuery, NoBody, IdPath]) -> CampaignOut:
    """The snapshot of the register is frozen and hashed, its report rendered in every language, and the
    signers' cards queued (all at once, or the first one for a sequential campaign). 409 unless a draft."""
    ctx = signoff_context(call.session, call.now, call.deps.policy(), f"start:{call.path.id}")
    with refusals_as_problems():
        return await start_campaign(ctx, call.user, call.path.id, API_PREFIX)


@API.route("POST", "/signoff-campaigns/{id}/restart", access="admin", query=NoQuery, body=NoBody,
           response=CampaignOut, path_params=IdPath, summary="Start a new round of an active or rejected campaign",
           tags=TAGS, statuses=(409,))
async def restart_signoff_campaign(call: ApiCall[NoQuery, NoBody, IdPath]) -> CampaignOut:
    """A rejection ends a round; a new round takes a new snapshot and sends the same signers new cards, and the
    old round's cards say they were superseded. Answers the new round (a new id). 409 unless active or rejected."""
    ctx = signoff_context(call.session, call.now, call.deps.policy(), f"restart:{call.path.id}")
    with refusals_as_problems():
        return await restart_campaign(ctx, call.user, call.path.id, API_PREFIX)


@API.route("POST", "/signoff-campaigns/{id}/cancel", access="admin", query=NoQuery, body=NoBody,
           response=CampaignOut, path_params=IdPath, summary="Cancel a draft or active campaign", tags=TAGS,
           statuses=(409,))
async def cancel_signoff_campaign(call: ApiCall[NoQuery, NoBody, IdPath]) -> CampaignOut:
    """Cards already sent are updated to say the campaign was closed. 409 unless draft or active."""
    ctx = signoff_context(call.session, call.now, call.deps.policy(), f"cancel:{call.path.id}")
    with refusals_as_problems():
        return await cancel_campaign(ctx, call.user, call.path.id, API_PREFIX)


@API.route("GET", "/signoff-campaigns/{id}/report", access="employee", query=ReportQuery, body=NoBody,
           response=Download, path_params=IdPath, summary="The frozen report the signers sign, as HTML", tags=TAGS,
           media_types=HTML)
async def get_signoff_report(call: ApiCall[ReportQuery, NoBody, IdPath]) -> Download:
    """Exactly the stored HTML, whose SHA-256 is the campaign's `reportSha256[language]`; 404 before the
    campaign starts. Admins, and the campaign's own signers."""
    with refusals_as_problems():
        return await campaign_report(call.session, call.user, call.path.id, call.query.language)


@API.route("GET", "/signoff-campaigns/{id}/certificate", access="employee", query=NoQuery, body=NoBody,
           response=Download, path_params=IdPath, summary="The certificate of a completed campaign, as HTML",
           tags=TAGS, media_types=HTML)
async def get_signoff_certificate(call: ApiCall[NoQuery, NoBody, IdPath]) -> Download:
    """Exactly the stored HTML, whose SHA-256 is `certificateSha256`; 404 until every signer has approved.
    Admins, and the campaign's own signers."""
    with refusals_as_problems():
        return await campaign_certificate(call.session, call.user, call.path.id)
