"""Routes of the mini-program API: assessments, as far as the caller may see them, and changes to them."""

from __future__ import annotations

from bot.api.refusals import refusals_as_problems
from bot.api.registry import ApiCall
from bot.api.routes import API
from handlers.api.assessment_changes import change_assessment
from handlers.api.assessment_models import (
    AssessmentChange,
    AssessmentHistory,
    AssessmentItem,
    AssessmentPage,
    AssessmentQuery,
    NewAssessment,
)
from handlers.api.assessments import assessment_history, create_assessment, get_assessment, list_assessments
from handlers.api.models import IdPath, NoBody, NoPath, NoQuery

TAGS = ("assessments",)


@API.route("GET", "/assessments", access="employee", query=AssessmentQuery, body=NoBody, response=AssessmentPage,
           summary="Assessments, soonest due first", tags=TAGS)
async def get_assessments(call: ApiCall[AssessmentQuery, NoBody, NoPath]) -> AssessmentPage:
    """Employees see the ones they own, managers their team's, admins all; `owner` narrows within that.
    Soonest due first (ties by id); follow `nextCursor` for the next page."""
    return await list_assessments(call.session, call.user, call.query, call.now)


@API.route("GET", "/assessments/{id}", access="employee", query=NoQuery, body=NoBody, response=AssessmentItem,
           path_params=IdPath, summary="One assessment", tags=TAGS)
async def get_one_assessment(call: ApiCall[NoQuery, NoBody, IdPath]) -> AssessmentItem:
    """404 for an assessment the caller may not see, as for one that does not exist."""
    with refusals_as_problems():
        return await get_assessment(call.session, call.user, call.path.id, call.now)


@API.route("POST", "/assessments", access="manager", query=NoQuery, body=NewAssessment, response=AssessmentItem,
           summary="Open an assessment by hand", tags=TAGS)
async def post_assessment(call: ApiCall[NoQuery, NewAssessment, NoPath]) -> AssessmentItem:
    """Managers give it to someone in their team, admins to anyone active; its reminders are planned at once
    and the owner is told."""
    with refusals_as_problems():
        return await create_assessment(call.session, call.user, call.body, now=call.now, policy=call.deps.policy())


@API.route("PATCH", "/assessments/{id}", access="employee", query=NoQuery, body=AssessmentChange,
           response=AssessmentItem, path_params=IdPath, summary="Mark done, waive, reschedule, delegate or snooze",
           tags=TAGS, statuses=(403, 409))
async def patch_assessment(call: ApiCall[NoQuery, AssessmentChange, IdPath]) -> AssessmentItem:
    """Send the `version` last read (409 naming the current one if it changed since). The owner, their
    managers and admins may change it; waiving needs an admin, a new due date the owner's manager or an admin.
    Closing it stops its reminders, as the card's buttons do."""
    with refusals_as_problems():
        return await change_assessment(call.session, call.user, call.path.id, call.body, now=call.now,
                                       policy=call.deps.policy())


@API.route("GET", "/assessments/{id}/history", access="employee", query=NoQuery, body=NoBody,
           response=AssessmentHistory, path_params=IdPath, summary="What happened to an assessment", tags=TAGS)
async def get_assessment_history(call: ApiCall[NoQuery, NoBody, IdPath]) -> AssessmentHistory:
    """Its audit entries and its reminders (planned, sent or skipped), oldest first."""
    with refusals_as_problems():
        return await assessment_history(call.session, call.user, call.path.id, call.now)
