"""Reminder rules for admins: each assessment type's rule, an edit form, and a live "what would be sent in the
next 7 days" preview of the rule as edited, before it is saved.

The preview is one server-rendered fragment (`_preview.html`): the full page includes it, the Preview button
(no script needed) re-renders the page with it, and app.js fetches it from .../preview as the fields change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from aiohttp import web

from bot.admin.forms import say
from bot.admin.registry import PAGES, PageCall
from bot.admin.render import Words
from handlers.api.refusals import Refused
from handlers.api.reminder_rule_models import PreviewOut, PreviewRequest, RuleItem, RuleOut, RuleReplacement
from handlers.api.reminder_rules import list_rules, preview_reminders, replace_rule, reset_rule
from handlers.reminders.rules import ASSESSMENT_TYPES

TYPE: Final = "{type:[a-z_]{1,64}}"
PREVIEW_DAYS: Final = 7
STEP_ROWS: Final = 3  # escalation steps the form offers; empty rows are left out
_NUMBER = re.compile(r"^\d{1,6}$")


def _type(call: PageCall) -> str:
    kind = call.request.match_info["type"]
    if kind not in ASSESSMENT_TYPES:
        raise Refused(404, f"there is no assessment type {kind!r}")
    return kind


def _number(text: str) -> int | str:
    """Digits as a number; anything else as typed, for the rule's check to name."""
    return int(text) if _NUMBER.match(text) else text


def rule_from_form(field: Callable[[str], str]) -> dict[str, Any]:
    """The rule as the API's body carries it (camelCase), from the edit form's fields."""
    leads = [part for part in re.split(r"[\s,，、]+", field("leadDays")) if part]
    steps = [{"afterWorkingDays": _number(field(f"step{n}.after")), "to": field(f"step{n}.to")}
             for n in range(STEP_ROWS) if field(f"step{n}.after")]
    return {"leadDays": [_number(days) for days in leads],
            "overdueEveryWorkingDays": _number(field("overdueEveryWorkingDays")), "escalation": steps,
            "channel": field("channel"), "quietStart": field("quietStart"), "quietEnd": field("quietEnd")}


def form_values(rule: RuleOut) -> dict[str, str]:
    values = {"leadDays": ", ".join(str(days) for days in rule.lead_days),
              "overdueEveryWorkingDays": str(rule.overdue_every_working_days), "channel": rule.channel,
              "quietStart": rule.quiet_start, "quietEnd": rule.quiet_end}
    for n, step in enumerate(rule.escalation[:STEP_ROWS]):
        values[f"step{n}.after"], values[f"step{n}.to"] = str(step.after_working_days), step.to
    return values


def field_label(call: PageCall, name: str) -> str:
    """A form field's name (`leadDays`, `step1.after`) as its label on the page, for the preview's problems."""
    step = re.fullmatch(r"step(\d+)\.(after|to)", name)
    if step:
        part = "rules.after_days" if step[2] == "after" else "rules.tell"
        return f"{call.t('rules.escalation')} {int(step[1]) + 1} · {call.t(part)}"
    key = _LABELS.get(name)
    return call.t(key) if key else name


def field_errors(refused: Refused, prefix: str, words: Words) -> dict[str, str]:
    """`rule.leadDays` / `rules.notification.escalation[1].to` -> the form's own names, with their messages in
    `words`' language."""
    errors: dict[str, str] = {}
    for name, message in refused.messages.items():
        short = name.removeprefix(prefix).lstrip(".")
        step = re.match(r"escalation\[(\d+)\]\.?(\w*)", short)
        if step:
            short = f"step{step[1]}.{'after' if step[2] == 'afterWorkingDays' else step[2] or 'after'}"
        else:
            short = re.sub(r"\[\d+\]$", "", short)  # leadDays[1] is shown at leadDays
        errors.setdefault(short or "form", say(message, words))
    return errors


async def proposed_preview(call: PageCall, kind: str, rule: dict[str, Any]) -> tuple[PreviewOut | None, dict[str, str]]:
    """What would go out in the next 7 days with `rule` in place of the stored one, or the rule's problems."""
    request = PreviewRequest(days=PREVIEW_DAYS, rules={kind: rule})
    try:
        return await preview_reminders(call.session, request, now=call.now, policy=call.deps.api.policy()), {}
    except Refused as refused:
        if refused.status != 400:
            raise
        return None, field_errors(refused, f"rules.{kind}", call.t)


@PAGES.page("GET", "/reminder-rules", access="admin", nav="nav.reminder_rules")
async def reminder_rules(call: PageCall) -> web.Response:
    return call.render("reminder_rules.html", rules=(await list_rules(call.session)).items)


async def _rule_item(call: PageCall, kind: str) -> RuleItem:
    return next(i for i in (await list_rules(call.session)).items if i.assessment_type == kind)


async def _editor(call: PageCall, kind: str, values: dict[str, str], status: int = 200,
                  errors: dict[str, str] | None = None, preview: PreviewOut | None = None,
                  item: RuleItem | None = None) -> web.Response:
    item = item or await _rule_item(call, kind)
    if preview is None and not errors:
        preview = (await proposed_preview(call, kind, rule_from_form(lambda name: values.get(name, ""))))[0]
    return call.render("reminder_rule.html", status=status, item=item, kind=kind, values=values, errors=errors or {},
                       preview=preview, steps=range(STEP_ROWS), days=PREVIEW_DAYS,
                       field_label=lambda name: field_label(call, name))


@PAGES.page("GET", f"/reminder-rules/{TYPE}", access="admin")
async def reminder_rule(call: PageCall) -> web.Response:
    kind = _type(call)
    item = await _rule_item(call, kind)
    return await _editor(call, kind, form_values(item.rule), item=item)


@PAGES.page("POST", f"/reminder-rules/{TYPE}", access="admin")
async def save_reminder_rule(call: PageCall) -> web.Response:
    """Save (the API's PUT) or, with the Preview button, show what the edited rule would send."""
    kind = _type(call)
    values = {name: call.field(name) for name in _FIELDS}
    rule = rule_from_form(call.field)
    if call.field("action") == "preview":
        preview, errors = await proposed_preview(call, kind, rule)
        return await _editor(call, kind, values, status=400 if errors else 200, errors=errors, preview=preview)
    try:
        await replace_rule(call.session, call.caller, kind, RuleReplacement(rule=rule), call.now)
    except Refused as refused:
        if refused.status != 400:
            raise
        return await _editor(call, kind, values, status=400, errors=field_errors(refused, "rule", call.t))
    return call.redirect(f"/app/reminder-rules/{kind}", flash="flash.rule_saved")


@PAGES.page("POST", f"/reminder-rules/{TYPE}/preview", access="admin")
async def preview_fragment(call: PageCall) -> web.Response:
    """The preview list alone, for the edit page's script to swap in as the fields change."""
    kind = _type(call)
    preview, errors = await proposed_preview(call, kind, rule_from_form(call.field))
    return call.render("_preview.html", status=200, preview=preview, errors=errors, days=PREVIEW_DAYS,
                       field_label=lambda name: field_label(call, name))


@PAGES.page("POST", f"/reminder-rules/{TYPE}/reset", access="admin")
async def reset_reminder_rule(call: PageCall) -> web.Response:
    await reset_rule(call.session, call.caller, _type(call), call.now)
    return call.redirect(f"/app/reminder-rules/{_type(call)}", flash="flash.rule_reset")


_LABELS: Final = {"leadDays": "rules.lead_days", "overdueEveryWorkingDays": "rules.overdue_every",
                   "escalation": "rules.escalation", "channel": "rules.channel", "quietStart": "rules.quiet_start",
                   "quietEnd": "rules.quiet_end"}
_FIELDS: Final = ("leadDays", "overdueEveryWorkingDays", "channel", "quietStart", "quietEnd",
                  *(f"step{n}.{part}" for n in range(STEP_ROWS) for part in ("after", "to")))
