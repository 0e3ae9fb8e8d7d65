"""Sign-off campaigns for admins: the list, a create form, a campaign with its signers, start and cancel,
and its frozen report and certificate."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from bot.admin.forms import FormErrors, next_page_url, parse, say
from bot.admin.registry import PAGES, PageCall
from bot.admin.render import coerce
from bot.downloads import download_response
from handlers.api.caller import Caller
from handlers.api.refusals import Refused
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
from handlers.api.signoff_models import CampaignCreate, CampaignOut, CampaignQuery
from handlers.context import HandlerContext
from storage import directory
from storage.models import SUPPORTED_LANGUAGES

ID: Final = "{id:[0-9]{1,18}}"


def _id(call: PageCall) -> int:
    return int(call.request.match_info["id"])


@PAGES.page("GET", "/campaigns", access="admin", nav="nav.campaigns")
async def campaigns(call: PageCall) -> web.Response:
    params = call.params()
    try:
        query = parse(CampaignQuery, params)
    except FormErrors:
        query = CampaignQuery()
    found = await list_campaigns(call.session, query)
    return call.render("campaigns.html", page=found,
                       next_url=next_page_url(call.request.path, params, found))


@PAGES.page("GET", "/campaigns/new", access="admin")
async def new_campaign(call: PageCall) -> web.Response:
    return await _form(call, {"year": str(call.now.year), "order": "parallel"}, {})


async def _form(call: PageCall, values: dict[str, str], errors: dict[str, str], status: int = 200) -> web.Response:
    """The create form; its signer picker lists the directory's active people (userIds are opaque to admins)."""
    people = await directory.active_users(call.session)
    return call.render("campaign_new.html", status=status, values=values, errors=errors, people=people)


@PAGES.page("POST", "/campaigns", access="admin")
async def add_campaign(call: PageCall) -> web.Response:
    """Creates a draft; nothing is sent until it is started."""
    names = ("year", "title", "signers", "order", "dueAt", "note")
    values = {name: call.field(name) for name in names}
    signers = [part.strip() for part in values["signers"].replace("\n", ",").split(",") if part.strip()]
    try:
        body = parse(CampaignCreate, {**values, "signers": signers}, call.t)
        created = await create_campaign(signoff_context(call.session, call.now, call.deps.api.policy(), "create"),
                                        call.caller, body)
    except FormErrors as exc:
        return await _form(call, values, _by_field(exc.fields), status=400)
    except Refused as refused:
        if refused.status != 400:
            raise
        problems = {name: say(message, call.t) for name, message in refused.messages.items()}
        return await _form(call, values, _by_field(problems), status=400)
    return call.redirect(f"/app/campaigns/{created.id}", flash="flash.campaign_created")


def _by_field(problems: dict[str, str]) -> dict[str, str]:
    """`signers.2` and the like are shown at their field."""
    errors: dict[str, str] = {}
    for name, message in problems.items():
        field, _, index = name.partition(".")
        errors.setdefault(field, f"{int(index) + 1}: {message}" if index.isdigit() else message)
    return errors


@PAGES.page("GET", f"/campaigns/{ID}", access="admin")
async def campaign(call: PageCall) -> web.Response:
    return await _detail(call, None)


async def _detail(call: PageCall, error: str | None, status: int = 200) -> web.Response:
    """The campaign; `error` is a strings key, told the campaign's status (a handler's message is English only)."""
    found = await campaign_for(call.session, call.caller, _id(call))
    detail: CampaignOut = await campaign_detail(call.session, found)
    message = call.t(error, status=call.t(f"campaign.status.{detail.status}")) if error else None
    return call.render("campaign.html", status=status, c=detail, error=message, languages=SUPPORTED_LANGUAGES)


@PAGES.page("POST", f"/campaigns/{ID}/start", access="admin")
async def start(call: PageCall) -> web.Response:
    """Freezes the snapshot and queues the signers' cards; they go out once this request commits."""
    return await _act(call, "start", start_campaign, "campaigns.cannot_start", "flash.campaign_started")


@PAGES.page("POST", f"/campaigns/{ID}/restart", access="admin")
async def restart(call: PageCall) -> web.Response:
    """A new round after a rejection: a new snapshot, the same signers, new cards; it leads to the new round."""
    return await _act(call, "restart", restart_campaign, "campaigns.cannot_restart", "flash.campaign_restarted")


@PAGES.page("POST", f"/campaigns/{ID}/cancel", access="admin")
async def cancel(call: PageCall) -> web.Response:
    return await _act(call, "cancel", cancel_campaign, "campaigns.cannot_cancel", "flash.campaign_cancelled")


CampaignAction = Callable[[HandlerContext, Caller, int], Awaitable[CampaignOut]]


async def _act(call: PageCall, action: str, change: CampaignAction, refused: str, flash: str) -> web.Response:
    """`change` the campaign, then show the campaign it answers with (a restart's new round); in the wrong state,
    the campaign page again with the `refused` words (409)."""
    ctx = signoff_context(call.session, call.now, call.deps.api.policy(), f"{action}:{_id(call)}")
    try:
        changed = await change(ctx, call.caller, _id(call))
    except Refused as refusal:
        if refusal.status != 409:
            raise
        return await _detail(call, refused, status=409)
    return call.redirect(f"/app/campaigns/{changed.id}", flash=flash)


@PAGES.page("GET", f"/campaigns/{ID}/report", access="admin")
async def report(call: PageCall) -> web.StreamResponse:
    language = coerce(call.request.query.get("language")) or call.language
    return download_response(await campaign_report(call.session, call.caller, _id(call), language))


@PAGES.page("GET", f"/campaigns/{ID}/certificate", access="admin")
async def certificate(call: PageCall) -> web.StreamResponse:
    return download_response(await campaign_certificate(call.session, call.caller, _id(call)))
