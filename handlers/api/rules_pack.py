"""The rules pack for admins: read the active one, check and save a new version, read old versions.

Every saved version is kept; the newest is the one the bot uses (`handlers.rules.active`). A save names the
version it was edited from (`basedOn`), so of two admins editing at once the second is told, not overwritten.
The functions here are what GET/PUT /rules-pack and the admin pages call; they raise `RulesPackError` for a
pack that cannot be used (400, naming lines) and `Refused` for a missing version (404) or a stale edit (409).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.caller import Caller
from handlers.api.models import BodyModel, WireModel
from handlers.api.refusals import Refused
from handlers.rules.active import ActivePack, active_pack, default_text, stored_pack, text_sha256
from handlers.rules.models import RulesPack
from handlers.rules.pack import MAX_PACK_CHARS, RulesPackError
from handlers.rules.revision import check_submission
from handlers.rules.source import Problem
from storage import audit, rules_packs
from storage.models import RulesPackVersion


class RulesPackSummary(WireModel):
    rules: int
    obligations: int


class RulesPackOut(WireModel):
    version: int = Field(description="0 for the pack shipped with the bot; saved versions count from 1")
    pack_name: str = Field(description="the pack's own `pack:`")
    pack_version: str = Field(description="the pack's own `version:`, which classifications keep as rulesVersion")
    sha256: str = Field(description="hex SHA-256 of the text as UTF-8")
    text: str = Field(description="the YAML, exactly as saved")
    created_by: str | None = Field(description="who saved it; null for the shipped pack")
    created_at: datetime | None
    note: str
    is_default: bool = Field(description="whether this is the shipped pack")
    is_active: bool = Field(description="whether the bot uses this version now")
    summary: RulesPackSummary | None = Field(description="null if this release can no longer read the version")


class RulesPackVersionItem(WireModel):
    version: int
    pack_name: str
    pack_version: str
    sha256: str
    created_by: str
    created_at: datetime
    note: str
    is_active: bool


class RulesPackVersionList(WireModel):
    items: list[RulesPackVersionItem] = Field(description="every saved version, newest first")


class RulesPackText(BodyModel):
    text: str = Field(min_length=1, max_length=MAX_PACK_CHARS, description="the pack as YAML")


class RulesPackUpdate(RulesPackText):
    based_on: int = Field(ge=0, description="the `version` the edit started from; 409 unless it is still active")
    note: str = Field(default="", max_length=2000, description="what changed and why, for the history")


class PackProblem(WireModel):
    line: int = Field(description="1-based line of the text")
    message: str


class RulesPackValidation(WireModel):
    valid: bool
    problems: list[PackProblem] = Field(description="in line order; empty when valid")


def _problem_message(problem: Problem) -> str:
    """`path: reason` of one problem, without its line."""
    return f"{problem.path}: {problem.reason}" if problem.path else problem.reason


def pack_problems(exc: RulesPackError) -> list[PackProblem]:
    """Each problem of a refused pack with its line, as POST /rules-pack/validate and the editor show them."""
    return [PackProblem(line=p.line, message=_problem_message(p)) for p in exc.problems]


async def get_active(session: AsyncSession) -> RulesPackOut:
    """The pack in force now, with its text."""
    active = await active_pack(session)
    if active.is_default:
        return _shipped(active)
    row = await rules_packs.get_version(session, active.version)
    assert row is not None, "the active version was read in this transaction"
    return _out(row, active.pack, is_active=True)


async def get_version(session: AsyncSession, version_id: int) -> RulesPackOut:
    """One saved version with its text; Refused (404) if there is none."""
    row = await rules_packs.get_version(session, version_id)
    if row is None:
        raise Refused(404, f"there is no saved rules pack version {version_id}")
    active = await active_pack(session)
    return _out(row, await stored_pack(session, row.id, row.sha256), is_active=row.id == active.version)


async def list_versions(session: AsyncSession) -> RulesPackVersionList:
    """Every saved version without its text, newest first."""
    rows = await rules_packs.list_versions(session)
    active = (await active_pack(session)).version
    return RulesPackVersionList(items=[
        RulesPackVersionItem(version=row.id, pack_name=row.pack_name, pack_version=row.pack_version,
                             sha256=row.sha256, created_by=row.created_by, created_at=row.created_at, note=row.note,
                             is_active=row.id == active)
        for row in rows
    ])


async def validate(session: AsyncSession, body: RulesPackText) -> RulesPackValidation:
    """Whether `body.text` could be saved now, and every problem with its line; nothing is written."""
    try:
        await check_submission(session, body.text)
    except RulesPackError as exc:
        return RulesPackValidation(valid=False, problems=pack_problems(exc))
    return RulesPackValidation(valid=True, problems=[])


async def save(session: AsyncSession, caller: Caller, body: RulesPackUpdate, now: datetime) -> RulesPackOut:
    """Save `body.text` as the new active version and audit it; the active one unchanged if the text is the same.

    Refused (409) unless `body.based_on` is the active version; RulesPackError for a pack that cannot be used.
    """
    active = await active_pack(session)
    sha256 = text_sha256(body.text)
    if sha256 == active.sha256:
        return await get_active(session)
    if body.based_on != active.version:
        raise Refused(409, f"the rules pack changed after you opened it: version {active.version} is active "
                           f"now, not {body.based_on}; reload it and make your changes again")
    pack = await check_submission(session, body.text)
    latest = await rules_packs.latest_version_ref(session)
    try:
        row = await rules_packs.add_version(
            session, version_id=(latest.id if latest else 0) + 1, text=body.text, sha256=sha256,
            pack_name=pack.pack, pack_version=pack.version, created_by=caller.user_id, created_at=now, note=body.note)
    except IntegrityError:
        raise Refused(409, "another admin saved the rules pack at the same moment; reload it and make your "
                           "changes again") from None
    await audit.append_audit(session, actor=caller.user_id, action="rules_pack.updated", subject=f"rules_pack:{row.id}",
                             details=_audit_details(active, row, body), at=now)
    return _out(row, pack, is_active=True)


def _audit_details(active: ActivePack, row: RulesPackVersion, body: RulesPackUpdate) -> dict[str, object]:
    return {"version": row.id, "basedOn": body.based_on, "oldSha256": active.sha256, "newSha256": row.sha256,
            "oldPackVersion": active.pack.version, "newPackVersion": row.pack_version, "note": body.note}


def _summary(pack: RulesPack | None) -> RulesPackSummary | None:
    return RulesPackSummary(rules=len(pack.rules), obligations=len(pack.obligations)) if pack is not None else None


def _shipped(active: ActivePack) -> RulesPackOut:
    return RulesPackOut(version=active.version, pack_name=active.pack.pack, pack_version=active.pack.version,
                        sha256=active.sha256, text=default_text(), created_by=None, created_at=None, note="",
                        is_default=True, is_active=True, summary=_summary(active.pack))


def _out(row: RulesPackVersion, pack: RulesPack | None, *, is_active: bool) -> RulesPackOut:
    return RulesPackOut(version=row.id, pack_name=row.pack_name, pack_version=row.pack_version, sha256=row.sha256,
                        text=row.text, created_by=row.created_by, created_at=row.created_at, note=row.note,
                        is_default=False, is_active=is_active, summary=_summary(pack))
