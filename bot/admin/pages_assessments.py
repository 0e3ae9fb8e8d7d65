"""Assessments: own for employees, the team's for managers, everyone's for admins; one with its history and
the changes its viewer may make (done, a new due date, a new owner, a snooze, waived): each the same change
PATCH /assessments/{id} makes, through `change_assessment`, which checks again who may make it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Final, get_args

from aiohttp import web

from bot.admin.forms import FormErrors, next_page_url, parse, parse_filters, say
from bot.admin.pages_register import export_links
from bot.admin.registry import PAGES, PageCall
from bot.admin.render import Words
from handlers.api.assessment_changes import change_assessment
from handlers.api.assessment_models import AssessmentChange, AssessmentItem, AssessmentQuery, NewAssessment
from handlers.api.assessments import assessment_history, create_assessment, get_assessment, list_assessments
from handlers.api.caller import Caller
from handlers.api.refusals import Refused
from handlers.api.team import team_of
from handlers.reminders.actions import SNOOZE_DAYS
from handlers.reminders.planner import snooze_until
from handlers.reminders.rules import ASSESSMENT_TYPES
from storage import directory
from storage.assessments import ACTIVE_STATUSES
from storage.models import AssessmentStatus, DirectoryUser

ID: Final = "{id:[0-9]{1,18}}"
# The form each field belongs to, to name it when a refusal comes back after its form stopped being shown.
_FORM_OF: Final = {"evidence": "assessments.mark_done", "dueAt": "assessments.move_due",
                   "owner": "assessments.hand_over", "days": "assessments.snooze", "snoozedUntil": "assessments.snooze",
                   "reason": "assessments.waive"}


@PAGES.page("GET", "/assessments", access="employee", nav="nav.assessments")
async def assessments(call: PageCall) -> web.Response:
    params = call.params()
    query, errors = parse_filters(AssessmentQuery, params, call.t)
    found = await list_assessments(call.session, call.caller, query, call.now)
    exports = export_links(call, "assessments", {"assessmentStatus": params.get("status", ""),
                                                 "person": params.get("owner", "")})
    return call.render("assessments.html", status=400 if errors else 200, page=found, errors=errors, params=params,
                       statuses=get_args(AssessmentStatus), types=ASSESSMENT_TYPES, exports=exports,
                       next_url=next_page_url(call.request.path, params, found))


@PAGES.page("GET", "/assessments/new", access="manager")
async def new_assessment(call: PageCall) -> web.Response:
    return await _new_form(call, {}, {})


async def _new_form(call: PageCall, values: dict[str, str], errors: dict[str, str], status: int = 200) -> web.Response:
    """The form; its owner list is the caller's team for a manager, everyone active for an admin."""
    people = await _people(call, team_only=call.caller.role != "admin")
    return call.render("assessment_new.html", status=status, values=values, errors=errors, people=people,
                       types=ASSESSMENT_TYPES)


@PAGES.page("POST", "/assessments", access="manager")
async def add_assessment(call: PageCall) -> web.Response:
    """Opens an assessment by hand (POST /api/v1/assessments does the same); its reminders are planned at once."""
    values = {name: call.field(name) for name in ("title", "type", "owner", "dueAt", "note")}
    try:
        body = parse(NewAssessment, {**values, "dueAt": _evening(values["dueAt"], call)}, call.t)
        created = await create_assessment(call.session, call.caller, body, now=call.now,
                                          policy=call.deps.api.policy())
    except FormErrors as exc:
        return await _new_form(call, values, exc.fields, status=400)
    except Refused as refused:
        errors = {name: say(message, call.t) for name, message in refused.messages.items()}
        return await _new_form(call, values, errors or {"form": say(refused.message, call.t)}, status=refused.status)
    return call.redirect(f"/app/assessments/{created.id}", flash="flash.assessment_created")


async def _people(call: PageCall, *, team_only: bool) -> list[DirectoryUser]:
    """The directory's active people by name; only the caller's team when `team_only`."""
    people = await directory.active_users(call.session)
    if team_only:
        team = await team_of(call.session, call.caller.user_id)
        people = [person for person in people if person.user_id in team]
    return people


def _evening(value: str, call: PageCall) -> str:
    """A date from the form is due at 18:00 on the org's clock, as a campaign's is; anything else is left to
    the model to refuse."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return datetime.combine(day, time(18), call.deps.api.policy().calendar.timezone).isoformat()


@dataclass(frozen=True)
class Offers:
    """The change forms a viewer is shown, by the rules `change_assessment` applies (and checks again)."""

    done: bool
    due: bool
    owner: bool
    snooze: bool
    waive: bool


def offers(caller: Caller, item: AssessmentItem, now: datetime) -> Offers:
    """Whoever sees an open assessment may change it: its owner marks it done; the owner's manager (not the
    owner themself) or an admin moves the due date; anyone hands it on; a snooze needs it not yet due; only
    admins waive."""
    active = item.status in ACTIVE_STATUSES
    own = item.owner.user_id == caller.user_id
    return Offers(done=active and own, due=active and (caller.role == "admin" or (caller.role == "manager"
                                                                                   and not own)),
                  owner=active, snooze=active and item.due_at > now, waive=active and caller.role == "admin")


@PAGES.page("GET", f"/assessments/{ID}", access="employee")
async def assessment(call: PageCall) -> web.Response:
    return await _detail(call)


async def _detail(call: PageCall, status: int = 200, errors: dict[str, str] | None = None,
                  typed: dict[str, str] | None = None, error: str | None = None) -> web.Response:
    """The page, with the forms its viewer may use; after a refused form, what was typed and the problems."""
    history = await assessment_history(call.session, call.caller, _id(call), call.now)
    item = history.assessment
    may = offers(call.caller, item, call.now)
    calendar = call.deps.api.policy().calendar
    # A manager hands it on within their team; its owner and admins to anyone (as the use case allows).
    team_only = call.caller.role != "admin" and call.caller.user_id != item.owner.user_id
    people = [person for person in await _people(call, team_only=team_only)
              if person.user_id != item.owner.user_id] if may.owner else []
    snoozes: dict[str, datetime] = {}
    for days in SNOOZE_DAYS if may.snooze else ():
        until = snooze_until(call.now, int(days), item.due_at, calendar)
        if until not in snoozes.values():  # close to the due date, the longer snooze ends there too
            snoozes[days] = until
    held = item.snoozed_until if item.snoozed_until is not None and item.snoozed_until > call.now else None
    shown = {"evidence": may.done, "dueAt": may.due, "owner": bool(people), "days": bool(snoozes),
             "snoozedUntil": bool(snoozes), "reason": may.waive}
    return call.render("assessment.html", status=status, h=history, a=item, may=may, people=people,
                       team_only=team_only, snoozes=snoozes, held=held,
                       today=call.now.astimezone(calendar.timezone).date().isoformat(), errors=errors or {},
                       typed=typed or {}, error=error or _banner(call.t, errors or {}, shown))


def _banner(words: Words, errors: dict[str, str], shown: dict[str, bool]) -> str | None:
    """What the top of the page says about `errors`: a field whose form is no longer shown (the assessment
    changed since) gets its message there, named by its form; the others are marked at their fields."""
    hidden = [words("assessments.problem_in", form=words(_FORM_OF[name]), message=message) if name in _FORM_OF
              else message for name, message in errors.items() if not shown.get(name, False)]
    if hidden:
        return " ".join(hidden)
    return words("common.fix_fields") if errors else None


def _id(call: PageCall) -> int:
    return int(call.request.match_info["id"])


@PAGES.page("POST", f"/assessments/{ID}/done", access="employee")
async def mark_done(call: PageCall) -> web.Response:
    """The owner marks it done with what shows it (evidence), at the version the page showed."""
    evidence = call.field("evidence")
    return await _change(call, {"status": "done", "evidence": evidence}, {"evidence": evidence},
                         "flash.assessment_done")


@PAGES.page("POST", f"/assessments/{ID}/due", access="manager")
async def move_due_date(call: PageCall) -> web.Response:
    """The owner's manager or an admin gives a new due date: 18:00 on the org's clock that day."""
    due = call.field("dueAt")
    return await _change(call, {"dueAt": _evening(due, call)}, {"dueAt": due},
                         "flash.assessment_rescheduled", required=("dueAt",))


@PAGES.page("POST", f"/assessments/{ID}/owner", access="employee")
async def hand_over(call: PageCall) -> web.Response:
    """A new owner, picked by name: anyone active for its owner or an admin, the team's for a manager."""
    owner = call.field("owner")
    return await _change(call, {"owner": owner}, {"owner": owner}, "flash.assessment_delegated",
                         required=("owner",))


@PAGES.page("POST", f"/assessments/{ID}/snooze", access="employee")
async def snooze(call: PageCall) -> web.Response:
    """Hold the owner's reminders back 1 or 3 working days, never past the due date, as the card's snooze."""
    days = call.field("days")
    if days not in SNOOZE_DAYS:
        return await _detail(call, status=400, errors={"days": call.t("form.choice")}, typed={"days": days})
    item = await get_assessment(call.session, call.caller, _id(call), call.now)
    until = snooze_until(call.now, int(days), item.due_at, call.deps.api.policy().calendar)
    return await _change(call, {"snoozedUntil": until.isoformat()}, {"days": days},
                         "flash.assessment_snoozed")


@PAGES.page("POST", f"/assessments/{ID}/waive", access="admin")
async def waive(call: PageCall) -> web.Response:
    """An admin closes it as not needed, saying why."""
    reason = call.field("reason")
    return await _change(call, {"status": "waived", "reason": reason}, {"reason": reason},
                         "flash.assessment_waived")


async def _change(call: PageCall, body: dict[str, str], typed: dict[str, str], flash: str,
                  required: Sequence[str] = ()) -> web.Response:
    """`body` as a change at the version the page showed, then POST-redirect-GET; or the page again with what
    was typed and the problems in its language."""
    try:
        missing = {name: call.t("form.missing") for name in required if not typed.get(name)}
        if missing:
            raise FormErrors(missing)
        change = parse(AssessmentChange, {"version": call.field("version"), **body}, call.t)
        await change_assessment(call.session, call.caller, _id(call), change, now=call.now,
                                policy=call.deps.api.policy())
    except FormErrors as exc:
        return await _detail(call, status=400, errors=exc.fields, typed=typed)
    except Refused as refused:
        if refused.status == 404:
            raise
        errors = {name: say(message, call.t) for name, message in refused.messages.items()}
        error = None if errors else say(refused.message, call.t)
        return await _detail(call, status=refused.status, errors=errors, typed=typed, error=error)
    return call.redirect(f"/app/assessments/{_id(call)}", flash=flash)


