"""Assessments: own for employees, the team's for managers, everyone's for admins; one with its history, and
the owner's "done" form (the same change the card's Done button and PATCH /assessments/{id} make)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Final, get_args

from aiohttp import web

from bot.admin.forms import FormErrors, next_page_url, parse, say
from bot.admin.pages_register import export_links
from bot.admin.registry import PAGES, PageCall
from handlers.api.assessment_changes import change_assessment
from handlers.api.assessment_models import AssessmentChange, AssessmentQuery, NewAssessment
from handlers.api.assessments import assessment_history, create_assessment, list_assessments
from handlers.api.refusals import Refused
from handlers.api.team import team_of
from handlers.reminders.rules import ASSESSMENT_TYPES
from storage import directory
from storage.models import AssessmentStatus

ID: Final = "{id:[0-9]{1,18}}"


@PAGES.page("GET", "/assessments", access="employee", nav="nav.assessments")
async def assessments(call: PageCall) -> web.Response:
    params = call.params()
    errors: dict[str, str] = {}
    try:
        query = parse(AssessmentQuery, params, call.t)
    except FormErrors as exc:
        errors, query = exc.fields, AssessmentQuery()
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
    people = await directory.active_users(call.session)
    if call.caller.role != "admin":
        team = await team_of(call.session, call.caller.user_id)
        people = [person for person in people if person.user_id in team]
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


def _evening(value: str, call: PageCall) -> str:
    """A date from the form is due at 18:00 on the org's clock, as a campaign's is; anything else is left to
    the model to refuse."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return datetime.combine(day, time(18), call.deps.api.policy().calendar.timezone).isoformat()


@PAGES.page("GET", f"/assessments/{ID}", access="employee")
async def assessment(call: PageCall) -> web.Response:
    return await _detail(call)


async def _detail(call: PageCall, status: int = 200, errors: dict[str, str] | None = None,
                  evidence: str = "", error: str | None = None) -> web.Response:
    history = await assessment_history(call.session, call.caller, int(call.request.match_info["id"]), call.now)
    item = history.assessment
    may_close = item.owner.user_id == call.caller.user_id and item.status in ("open", "in_progress")
    return call.render("assessment.html", status=status, h=history, a=item, may_close=may_close,
                       errors=errors or {}, evidence=evidence, error=error)


@PAGES.page("POST", f"/assessments/{ID}/done", access="employee")
async def mark_done(call: PageCall) -> web.Response:
    """The owner marks it done with what shows it (evidence), at the version the page showed."""
    evidence = call.field("evidence")
    try:
        change = parse(AssessmentChange, {"version": call.field("version"), "status": "done", "evidence": evidence},
                       call.t)
        await change_assessment(call.session, call.caller, int(call.request.match_info["id"]), change, now=call.now,
                                policy=call.deps.api.policy())
    except FormErrors as exc:
        return await _detail(call, status=400, errors=exc.fields, evidence=evidence)
    except Refused as refused:
        if refused.status == 404:
            raise
        errors = {name: say(message, call.t) for name, message in refused.messages.items()}
        error = call.t("common.fix_fields") if errors else say(refused.message, call.t)
        return await _detail(call, status=refused.status, errors=errors, evidence=evidence, error=error)
    return call.redirect(f"/app/assessments/{call.request.match_info['id']}", flash="flash.assessment_done")
