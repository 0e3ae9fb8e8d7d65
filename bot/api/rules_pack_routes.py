"""Routes of the mini-program API: the rules pack, read and edited by admins, every version kept."""

from __future__ import annotations

from bot.api.problems import ApiProblem, FieldProblem
from bot.api.refusals import refusals_as_problems
from bot.api.registry import ApiCall
from bot.api.routes import API
from handlers.api import rules_pack
from handlers.api.models import IdPath, NoBody, NoPath, NoQuery
from handlers.api.rules_pack import (
    RulesPackOut,
    RulesPackText,
    RulesPackUpdate,
    RulesPackValidation,
    RulesPackVersionList,
)
from handlers.rules.pack import RulesPackError

TAGS = ("rules pack",)


@API.route("GET", "/rules-pack", access="admin", query=NoQuery, body=NoBody, response=RulesPackOut,
           summary="The rules pack in force, with its YAML", tags=TAGS)
async def get_rules_pack(call: ApiCall[NoQuery, NoBody, NoPath]) -> RulesPackOut:
    """The newest saved version, or the pack shipped with the bot (version 0) while none is saved."""
    return await rules_pack.get_active(call.session)


@API.route("PUT", "/rules-pack", access="admin", query=NoQuery, body=RulesPackUpdate, response=RulesPackOut,
           summary="Save a new version of the rules pack", tags=TAGS, statuses=(409,))
async def put_rules_pack(call: ApiCall[NoQuery, RulesPackUpdate, NoPath]) -> RulesPackOut:
    """Checked like POST /rules-pack/validate (400 names the line of each problem); 409 unless `basedOn` is
    the active version. The same text as the active version saves nothing and answers the active version."""
    try:
        with refusals_as_problems():
            return await rules_pack.save(call.session, call.user, call.body, call.now)
    except RulesPackError as exc:
        raise invalid_pack(exc) from None


@API.route("GET", "/rules-pack/versions", access="admin", query=NoQuery, body=NoBody, response=RulesPackVersionList,
           summary="Every saved version of the rules pack, newest first, without the YAML", tags=TAGS)
async def get_rules_pack_versions(call: ApiCall[NoQuery, NoBody, NoPath]) -> RulesPackVersionList:
    return await rules_pack.list_versions(call.session)


@API.route("GET", "/rules-pack/versions/{id}", access="admin", query=NoQuery, body=NoBody, response=RulesPackOut,
           path_params=IdPath, summary="One saved version of the rules pack, with its YAML", tags=TAGS)
async def get_rules_pack_version(call: ApiCall[NoQuery, NoBody, IdPath]) -> RulesPackOut:
    with refusals_as_problems():
        return await rules_pack.get_version(call.session, call.path.id)


@API.route("POST", "/rules-pack/validate", access="admin", query=NoQuery, body=RulesPackText,
           response=RulesPackValidation, summary="Check a rules pack without saving it", tags=TAGS)
async def validate_rules_pack(call: ApiCall[NoQuery, RulesPackText, NoPath]) -> RulesPackValidation:
    """Every problem PUT /rules-pack would refuse the text for, each with its line; nothing is saved."""
    return await rules_pack.validate(call.session, call.body)


def invalid_pack(exc: RulesPackError) -> ApiProblem:
    """A 400 whose errors name the body member `text` and, in each message, the line of one problem."""
    errors = [FieldProblem(field="text", location="body", message=str(problem)) for problem in exc.problems]
    detail = "; ".join(f"body member text: {error.message}" for error in errors)
    return ApiProblem(400, detail, errors=errors)
