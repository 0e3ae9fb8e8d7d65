"""Routes of the mini-program API: the reminder rule of each assessment type, and what rules would send."""

from __future__ import annotations

from bot.api.refusals import refusals_as_problems
from bot.api.registry import ApiCall
from bot.api.routes import API
from handlers.api.models import NoBody, NoPath, NoQuery
from handlers.api.reminder_rule_models import (
    NewRule,
    PreviewOut,
    PreviewRequest,
    RuleItem,
    RuleList,
    RuleReplacement,
    RuleTypePath,
)
from handlers.api.reminder_rules import add_rule, list_rules, preview_reminders, replace_rule, reset_rule

TAGS = ("reminder-rules",)


@API.route("GET", "/reminder-rules", access="admin", query=NoQuery, body=NoBody, response=RuleList,
           summary="Every assessment type's reminder rule", tags=TAGS)
async def get_reminder_rules(call: ApiCall[NoQuery, NoBody, NoPath]) -> RuleList:
    """The stored rule, or the default one (`isDefault`), for each type."""
    return await list_rules(call.session)


@API.route("POST", "/reminder-rules", access="admin", query=NoQuery, body=NewRule, response=RuleItem,
           summary="Store a rule for a type that has none", tags=TAGS, statuses=(409,))
async def post_reminder_rule(call: ApiCall[NoQuery, NewRule, NoPath]) -> RuleItem:
    """409 when one is stored already: replace that with PUT. Unsent reminders follow the rule from the next
    planning run."""
    with refusals_as_problems():
        return await add_rule(call.session, call.user, call.body, call.now)


@API.route("PUT", "/reminder-rules/{type}", access="admin", query=NoQuery, body=RuleReplacement,
           response=RuleItem, path_params=RuleTypePath, summary="Replace a type's rule", tags=TAGS)
async def put_reminder_rule(call: ApiCall[NoQuery, RuleReplacement, RuleTypePath]) -> RuleItem:
    """Checked as `compliance-bot reminders set-rule` checks it: a 400 names each bad `rule.<field>`."""
    with refusals_as_problems():
        return await replace_rule(call.session, call.user, call.path.type, call.body, call.now)


@API.route("DELETE", "/reminder-rules/{type}", access="admin", query=NoQuery, body=NoBody, response=RuleItem,
           path_params=RuleTypePath, summary="Go back to the default rule", tags=TAGS)
async def delete_reminder_rule(call: ApiCall[NoQuery, NoBody, RuleTypePath]) -> RuleItem:
    """404 when no rule is stored for the type; answers with the default now in effect."""
    with refusals_as_problems():
        return await reset_rule(call.session, call.user, call.path.type, call.now)


@API.route("POST", "/reminder-rules/preview", access="admin", query=NoQuery, body=PreviewRequest,
           response=PreviewOut, summary="What would be sent in the coming days, under proposed rules", tags=TAGS)
async def preview_reminder_rules(call: ApiCall[NoQuery, PreviewRequest, NoPath]) -> PreviewOut:
    """Plans every open assessment over [from, from + days) with the proposed `rules` in place of the stored
    ones, without saving or sending anything."""
    with refusals_as_problems():
        return await preview_reminders(call.session, call.body, now=call.now, policy=call.deps.policy())
