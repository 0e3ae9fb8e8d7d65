"""/reminder-rules: each assessment type's rule (stored or default), saving and resetting it, and a preview.

Saving is the CLI's `reminders set-rule`: `rule_errors` checks the rule, `save_rule` stores its JSON and the
audit log gets `reminder_rule.saved` with it; unsent reminders follow from the next planning run. The preview
is `handlers.reminders.preview` with proposed rules standing in for the stored ones; it only reads.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from pydantic.alias_generators import to_camel, to_snake
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.caller import Caller
from handlers.api.models import Person
from handlers.api.refusals import Message, Refused, bad_input
from handlers.api.reminder_rule_models import (
    NewRule,
    PreviewAssessment,
    PreviewCounts,
    PreviewItem,
    PreviewOut,
    PreviewRequest,
    RuleItem,
    RuleList,
    RuleOut,
    RuleReplacement,
)
from handlers.context import OrgPolicy
from handlers.reminders.preview import PreviewCard, preview
from handlers.reminders.rules import ASSESSMENT_TYPES, ReminderRule, default_rules, rule_errors
from storage.assessments import save_rule
from storage.audit import append_audit
from storage.db import dialect_insert
from storage.models import ReminderRuleRow

_PART = re.compile(r"^([^\[]*)(.*)$")  # a path part and its [index] suffixes: escalation[1]


async def list_rules(session: AsyncSession) -> RuleList:
    """Every assessment type with the rule in effect for it."""
    rows = {row.assessment_type: row for row in await session.scalars(select(ReminderRuleRow))}
    return RuleList(items=[_item(kind, rows.get(kind)) for kind in ASSESSMENT_TYPES])


async def add_rule(session: AsyncSession, caller: Caller, body: NewRule, now: datetime) -> RuleItem:
    """Store a rule for a type that has none stored yet (409 otherwise: replace it instead)."""
    if await session.get(ReminderRuleRow, body.assessment_type) is not None:
        raise _stored_already(body.assessment_type)
    return await _save(session, caller, body.assessment_type, body.rule, now, replace=False)


async def replace_rule(session: AsyncSession, caller: Caller, assessment_type: str, body: RuleReplacement,
                       now: datetime) -> RuleItem:
    """Store `body.rule` for the type, replacing any stored one."""
    return await _save(session, caller, _known(assessment_type), body.rule, now)


async def reset_rule(session: AsyncSession, caller: Caller, assessment_type: str, now: datetime) -> RuleItem:
    """Drop the stored rule, so the default applies again."""
    row = await session.get(ReminderRuleRow, _known(assessment_type), populate_existing=True)
    if row is None:
        raise Refused(404, f"no {assessment_type} rule is stored; the default applies already")
    previous = dict(row.settings)
    await session.execute(delete(ReminderRuleRow).where(ReminderRuleRow.assessment_type == assessment_type))
    await append_audit(session, actor=caller.user_id, action="reminder_rule.reset", subject=assessment_type,
                       details={"previous": previous}, at=now)
    return _item(assessment_type, None)


async def preview_reminders(session: AsyncSession, body: PreviewRequest, *, now: datetime,
                            policy: OrgPolicy) -> PreviewOut:
    """What would be sent in [from, from + days) under the effective rules, or the proposed ones given."""
    problems: dict[str, str | Message] = {}
    proposed: dict[str, ReminderRule] = {}
    for kind, raw in body.rules.items():
        rule, errors = parse_rule(kind, raw, prefix=f"rules.{kind}")
        problems.update(errors)
        if rule is not None:
            proposed[kind] = rule
    if problems:
        raise bad_input(problems)
    start = body.start or now
    until = start + timedelta(days=body.days)
    cards = await preview(session, policy, start, until - start, proposed)
    items = _preview_items(cards)
    by_kind = Counter({"lead": 0, "overdue": 0, "escalate": 0})
    by_kind.update(item.kind.partition(":")[0] for item in items)
    counts = PreviewCounts(reminders=len(items), messages=len(cards), recipients=len({c.recipient for c in cards}),
                           assessments=len({item.assessment.id for item in items}), by_kind=dict(by_kind))
    return PreviewOut(start=start, until=until, items=items, counts=counts)


def _preview_items(cards: list[PreviewCard]) -> list[PreviewItem]:
    return [PreviewItem(send_at=card.send_at, recipient=Person(user_id=card.recipient, name=card.name),
                        kind=line.kind, reason=line.reason,
                        assessment=PreviewAssessment(id=line.assessment_id, title=line.title, type=line.type))
            for card in cards for line in card.lines]


def parse_rule(assessment_type: str, raw: Mapping[str, Any], *,
               prefix: str = "rule") -> tuple[ReminderRule | None, dict[str, str | Message]]:
    """A wire (camelCase) rule for `assessment_type` checked by `rule_errors`: the rule, or every problem by
    wire field name under `prefix` (`rule.leadDays`, `rule.escalation[1].to`)."""
    data = {to_snake(key): _snake_steps(value) if to_snake(key) == "escalation" else value
            for key, value in raw.items()}
    if data.get("assessment_type", assessment_type) != assessment_type:
        return None, {f"{prefix}.assessmentType": f"must be {assessment_type} or left out"}
    data["assessment_type"] = assessment_type
    errors = rule_errors(data)
    if errors:
        return None, {_wire_path(prefix, error.field): Message(error.message, error.type, error.ctx)
                      for error in errors}
    return ReminderRule.model_validate(data), {}


async def _save(session: AsyncSession, caller: Caller, assessment_type: str, raw: Mapping[str, Any],
                now: datetime, *, replace: bool = True) -> RuleItem:
    rule, errors = parse_rule(assessment_type, raw)
    if rule is None:
        raise bad_input(errors)
    settings = rule.model_dump(mode="json")
    if replace:
        await save_rule(session, assessment_type, settings, by=caller.user_id, at=now)
    elif not await _insert_new(session, assessment_type, settings, by=caller.user_id, at=now):
        raise _stored_already(assessment_type)
    await append_audit(session, actor=caller.user_id, action="reminder_rule.saved", subject=assessment_type,
                       details=settings, at=now)
    row = await session.get(ReminderRuleRow, assessment_type, populate_existing=True)
    return _item(assessment_type, row)


async def _insert_new(session: AsyncSession, assessment_type: str, settings: dict[str, Any], *, by: str,
                      at: datetime) -> bool:
    """Store the rule unless one is stored; False if another request stored one since add_rule looked, which
    an upsert would have silently replaced."""
    stmt = (dialect_insert(session, ReminderRuleRow)
            .values(assessment_type=assessment_type, settings=settings, updated_by=by, updated_at=at)
            .on_conflict_do_nothing(index_elements=[ReminderRuleRow.assessment_type])
            .returning(ReminderRuleRow.assessment_type))
    return await session.scalar(stmt) is not None


def _stored_already(assessment_type: str) -> Refused:
    return Refused(409, f"a {assessment_type} rule is stored already; replace it with "
                        f"PUT /reminder-rules/{assessment_type}")


def _known(assessment_type: str) -> str:
    if assessment_type not in ASSESSMENT_TYPES:
        raise Refused(404, f"there is no assessment type {assessment_type!r}; the types are "
                           f"{', '.join(ASSESSMENT_TYPES)}")
    return assessment_type


def _item(assessment_type: str, row: ReminderRuleRow | None) -> RuleItem:
    rule = default_rules()[assessment_type] if row is None else \
        ReminderRule.model_validate({**row.settings, "assessment_type": assessment_type})
    return RuleItem(assessment_type=rule.assessment_type, rule=rule_out(rule), is_default=row is None,
                    updated_by=row.updated_by if row else None, updated_at=row.updated_at if row else None)


def rule_out(rule: ReminderRule) -> RuleOut:
    return RuleOut.model_validate(rule.model_dump(mode="json"))


def _snake_steps(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [{to_snake(k): v for k, v in step.items()} if isinstance(step, dict) else step for step in value]


def _wire_path(prefix: str, field: str) -> str:
    if field == "rule":
        return prefix
    parts = []
    for part in field.split("."):
        match = _PART.match(part)
        name, rest = match.groups() if match else (part, "")
        parts.append(to_camel(name) + rest)
    return ".".join([prefix, *parts])
