"""The rules pack for admins: the version in force, an editor that checks before it saves, and old versions."""

from __future__ import annotations

from aiohttp import web

from bot.admin.forms import FormErrors, parse
from bot.admin.registry import PAGES, PageCall
from handlers.api.refusals import Refused
from handlers.api.rules_pack import (
    PackProblem,
    RulesPackOut,
    RulesPackText,
    RulesPackUpdate,
    get_active,
    get_version,
    list_versions,
    pack_problems,
    save,
    validate,
)
from handlers.rules.pack import RulesPackError


@PAGES.page("GET", "/rules-pack", access="admin", nav="nav.rules_pack")
async def rules_pack(call: PageCall) -> web.Response:
    active = await get_active(call.session)
    return await _editor(call, text=active.text, based_on=str(active.version), note="", active=active)


async def _editor(call: PageCall, *, text: str, based_on: str, note: str, status: int = 200,
                  problems: list[PackProblem] | None = None, valid: bool = False, error: str | None = None,
                  errors: dict[str, str] | None = None, active: RulesPackOut | None = None) -> web.Response:
    return call.render("rules_pack.html", status=status, active=active or await get_active(call.session),
                       versions=(await list_versions(call.session)).items, text=text, based_on=based_on, note=note,
                       problems=problems or [], valid=valid, error=error, errors=errors or {})


@PAGES.page("POST", "/rules-pack", access="admin")
async def edit_rules_pack(call: PageCall) -> web.Response:
    """"Check" shows every problem by line and saves nothing; "Save" checks, then keeps a new version."""
    text, based_on, note = call.text_field("text"), call.field("basedOn"), call.field("note")
    try:
        if call.field("action") != "save":
            checked = await validate(call.session, parse(RulesPackText, {"text": text}, call.t))
            return await _editor(call, text=text, based_on=based_on, note=note, problems=checked.problems,
                                 valid=checked.valid, status=200 if checked.valid else 400)
        await save(call.session, call.caller, parse(RulesPackUpdate, {"text": text, "basedOn": based_on,
                                                                      "note": note}, call.t), call.now)
    except FormErrors as exc:
        return await _editor(call, text=text, based_on=based_on, note=note, status=400, errors=exc.fields)
    except RulesPackError as exc:
        return await _editor(call, text=text, based_on=based_on, note=note, status=400,
                             problems=pack_problems(exc))
    except Refused as refused:
        if refused.status != 409:
            raise
        return await _editor(call, text=text, based_on=based_on, note=note, status=409,
                             error=call.t("rules_pack.stale"))
    return call.redirect("/app/rules-pack", flash="flash.rules_pack_saved")


@PAGES.page("GET", "/rules-pack/versions/{version:[0-9]{1,9}}", access="admin")
async def rules_pack_version(call: PageCall) -> web.Response:
    found = await get_version(call.session, int(call.request.match_info["version"]))
    return call.render("rules_pack_version.html", v=found)
