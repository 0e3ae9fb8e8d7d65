"""Requests the rules pack routes need in tests/api/test_access.py beyond an empty query (see Example there)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from handlers.api.caller import Caller
from handlers.api.rules_pack import RulesPackUpdate, get_active, save
from handlers.rules.active import default_text
from storage import rules_packs
from tests.api.examples import Examples

if TYPE_CHECKING:
    from tests.api.conftest import ApiClient


def bumped(version: str = "2026.2") -> str:
    """The shipped pack under another version string: a pack that may be saved as a new version."""
    return default_text().replace('version: "2026.1"', f'version: "{version}"', 1)


async def _put(api: ApiClient) -> dict[str, Any]:
    """The active pack saved again unchanged: valid for every identity, and it writes nothing."""
    async with api.sessions() as session:
        active = await get_active(session)
    return {"json": {"text": active.text, "basedOn": active.version}}


async def _version(api: ApiClient) -> dict[str, Any]:
    async with api.sessions() as session, session.begin():
        latest = await rules_packs.latest_version_ref(session)
        if latest is None:
            admin = Caller(user_id="admin.wong", name="admin.wong", title="", role="admin")
            saved = await save(session, admin, RulesPackUpdate(text=bumped(), based_on=0), datetime.now(UTC))
            return {"path": f"/rules-pack/versions/{saved.version}"}
    return {"path": f"/rules-pack/versions/{latest.id}"}


async def _validate(api: ApiClient) -> dict[str, Any]:
    return {"json": {"text": default_text()}}


EXAMPLES: Examples = {
    ("PUT", "/rules-pack"): _put,
    ("GET", "/rules-pack/versions/{id}"): _version,
    ("POST", "/rules-pack/validate"): _validate,
}
