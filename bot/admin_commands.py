"""Maintenance commands for admins, until the mini-program offers them: follow-ups, reminder rules, preview."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from bot.app import migrate, org_policy
from bot.settings import Settings
from handlers.classification.followup import run_followups
from handlers.reminders.preview import preview
from handlers.reminders.programme import start_self_assessment
from handlers.reminders.rules import ASSESSMENT_TYPES, ReminderRule, rule_errors
from handlers.reminders.schedule import effective_rule
from storage.assessments import save_rule
from storage.audit import append_audit, verify_chain
from storage.db import create_engine, make_session_factory

EXIT_OK, EXIT_BROKEN, EXIT_CONFIG = 0, 1, 2


async def run_classification_followups(settings: Settings, at: datetime | None) -> int:
    """Take the due follow-up steps; the running bot sends what they queue."""
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        now = datetime.now(UTC)
        report = await run_followups(make_session_factory(engine), org_policy(settings), at or now, sends_due=now)
    finally:
        await engine.dispose()
    print(f"nudged {report.nudged}, escalated {report.escalated}, expired {report.expired}")
    return EXIT_OK


async def reminders_command(settings: Settings, args: argparse.Namespace) -> int:
    if args.reminders_command == "preview":
        return await preview_reminders(settings, args.at, args.minutes)
    if args.reminders_command == "rules":
        return await show_rules(settings)
    return await set_rule(settings, args.assessment_type, sys.stdin.read(), args.by)


async def show_rules(settings: Settings) -> int:
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            rules = {kind: (await effective_rule(session, kind)).model_dump(mode="json") for kind in ASSESSMENT_TYPES}
    finally:
        await engine.dispose()
    print(json.dumps(rules, ensure_ascii=False, indent=2))
    return EXIT_OK


async def set_rule(settings: Settings, assessment_type: str, text: str, by: str) -> int:
    """Validate a rule and save it; reminders not yet sent follow it from the next planning run."""
    try:
        data = {**json.loads(text), "assessment_type": assessment_type}
    except (json.JSONDecodeError, TypeError):
        print("the rule must be a JSON object on standard input", file=sys.stderr)
        return EXIT_CONFIG
    errors = rule_errors(data)
    if errors:
        for error in errors:
            print(f"{error.field}: {error.message}", file=sys.stderr)
        return EXIT_CONFIG
    rule = ReminderRule.model_validate(data).model_dump(mode="json")
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            now = datetime.now(UTC)
            await save_rule(session, assessment_type, rule, by=by, at=now)
            await append_audit(session, actor=by, action="reminder_rule.saved", subject=assessment_type,
                               details=rule, at=now)
    finally:
        await engine.dispose()
    print(f"saved the {assessment_type} rule; reminders not yet sent follow it from the next planning run")
    return EXIT_OK


async def preview_reminders(settings: Settings, at: datetime, minutes: int) -> int:
    """Print the digest cards that would go out in [at, at + minutes), and why each item is in them."""
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    policy = org_policy(settings)
    try:
        async with make_session_factory(engine)() as session:
            cards = await preview(session, policy, at, timedelta(minutes=max(minutes, 1)))
    finally:
        await engine.dispose()
    shown = at.astimezone(policy.calendar.timezone).strftime("%Y-%m-%d %H:%M %Z")
    if not cards:
        print(f"Nothing would go out at {shown}.")
        return EXIT_OK
    print(f"At {shown}, {len(cards)} reminder card(s) would go out:")
    for card in cards:
        when = card.send_at.astimezone(policy.calendar.timezone).strftime("%Y-%m-%d %H:%M")
        print(f"  {when} to {card.name} ({card.recipient}):")
        for line in card.lines:
            print(f"    #{line.assessment_id} {line.title} [{line.kind}]: {line.reason}")
    return EXIT_OK


async def start_programme(settings: Settings, owner: str) -> int:
    """Open the five assessments of the self-assessment programme; the running bot reminds the owner."""
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session, session.begin():
            steps = await start_self_assessment(session, owner=owner, by="cli", at=datetime.now(UTC))
    finally:
        await engine.dispose()
    for step in steps:
        print(f"#{step.id} due {step.due_at.astimezone(settings.timezone):%Y-%m-%d}: {step.title}")
    return EXIT_OK


async def verify_audit_log(settings: Settings) -> int:
    """Check the audit log's hash chain; exit 1 naming the first broken entry."""
    await migrate(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with make_session_factory(engine)() as session:
            report = await verify_chain(session)
    finally:
        await engine.dispose()
    if report.ok:
        print(f"audit log intact: {report.checked} entries verified")
        return EXIT_OK
    print(f"audit log BROKEN at entry {report.first_broken_seq}: {report.reason} "
          f"({report.checked} entries before it verified)")
    return EXIT_BROKEN
