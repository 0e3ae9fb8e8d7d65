"""`compliance-bot signoff ...`: create, start, restart, cancel and show campaigns from the command line (the admin
pages and the API do the same through handlers.signoff)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, time
from typing import Literal, cast

from bot.app import linked_policy, migrate
from bot.settings import Settings
from handlers.context import HandlerContext
from handlers.signoff.campaign import CampaignError, cancel, restart, start
from storage import signoff
from storage.db import create_engine, make_session_factory
from storage.models import SignoffCampaign

EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("signoff", help="annual compliance sign-off campaigns")
    actions = parser.add_subparsers(dest="signoff_command", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a draft campaign")
    create.add_argument("--year", type=int, required=True)
    create.add_argument("--title", required=True)
    create.add_argument("--signers", required=True, help="comma-separated DingTalk userIds, in signing order")
    create.add_argument("--order", choices=("parallel", "sequential"), default="parallel")
    create.add_argument("--due", required=True, type=datetime.fromisoformat, help="the due date, e.g. 2027-01-31")
    create.add_argument("--note", default="", help="a covering note shown on the cards")
    for action, text in (("start", "freeze the snapshot and send the cards"),
                         ("restart", "start a new round (new snapshot); the old cards say they were superseded"),
                         ("cancel", "stop the campaign; its cards say so"), ("show", "print the campaign")):
        actions.add_parser(action, help=text).add_argument("campaign", type=int)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    """Run one sign-off action in a transaction; the running bot sends the cards it queues."""
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    policy = linked_policy(settings, settings.http_port)
    now = datetime.now(UTC)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            ctx = HandlerContext(session=session, now=now, origin=f"cli:signoff:{now.isoformat()}", policy=policy)
            if args.signoff_command == "create":
                return await _create(ctx, args)
            found = await signoff.get_campaign(session, args.campaign, for_update=True)
            if found is None:
                print(f"no campaign {args.campaign}")
                return EXIT_FAILED
            return await _act(ctx, found, args.signoff_command)
    except (CampaignError, ValueError) as exc:
        print(f"compliance-bot signoff: {exc}")
        return EXIT_CONFIG
    finally:
        await engine.dispose()


async def _create(ctx: HandlerContext, args: argparse.Namespace) -> int:
    zone = ctx.policy.calendar.timezone
    due = args.due if args.due.tzinfo else datetime.combine(args.due.date(), time(18), zone)
    campaign = await signoff.create_campaign(
        ctx.session, year=args.year, title=args.title, note=args.note,
        signing_order=cast(Literal["parallel", "sequential"], args.order), due_at=due,
        signers=[s.strip() for s in args.signers.split(",") if s.strip()], created_by="cli", at=ctx.now)
    await ctx.record("cli", "signoff.created", f"campaign:{campaign.id}", {"year": args.year})
    print(f"campaign {campaign.id} created (draft); start it with: compliance-bot signoff start {campaign.id}")
    return EXIT_OK


async def _act(ctx: HandlerContext, campaign: SignoffCampaign, action: str) -> int:
    if action == "start":
        sha = await start(ctx, campaign, by="cli")
        print(f"campaign {campaign.id} started; snapshot SHA-256 {sha}")
    elif action == "restart":
        renewed = await restart(ctx, campaign, by="cli")
        print(f"campaign {campaign.id} superseded by round {renewed.round}: campaign {renewed.id}")
    elif action == "cancel":
        await cancel(ctx, campaign, by="cli")
        print(f"campaign {campaign.id} cancelled")
    else:
        signers = await signoff.signers_of(ctx.session, campaign.id)
        print(f"campaign {campaign.id}: {campaign.year} {campaign.title!r}, round {campaign.round}, {campaign.status}")
        for signer in signers:
            print(f"  {signer.position + 1}. {signer.user_id}: {signer.status}"
                  + (f" ({signer.reason})" if signer.reason else ""))
        if campaign.certificate_sha256:
            print(f"  certificate SHA-256 {campaign.certificate_sha256}")
    return EXIT_OK
