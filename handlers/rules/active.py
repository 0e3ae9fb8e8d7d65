"""The rules pack in force: the newest version an admin saved, or the shipped default while there is none.

Stored versions never change, so a parsed pack is cached by the SHA-256 of its text: a request costs one
small query for the newest version's id and hash, and the YAML is parsed once per process.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from handlers.rules.models import RulesPack
from handlers.rules.pack import DEFAULT_PACK_FILE, RulesPackError, default_pack, load_pack
from storage import rules_packs

log = logging.getLogger(__name__)

DEFAULT_VERSION: Final = 0  # the shipped pack's number; stored versions start at 1
_CACHE_SIZE: Final = 16
_parsed: OrderedDict[str, RulesPack | None] = OrderedDict()


@dataclass(frozen=True)
class ActivePack:
    """The pack in force and which version it is (0: the shipped default)."""

    version: int
    sha256: str
    pack: RulesPack

    @property
    def is_default(self) -> bool:
        return self.version == DEFAULT_VERSION


def text_sha256(text: str) -> str:
    """Hex SHA-256 of a pack's text as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@cache
def default_text() -> str:
    """The YAML of the shipped pack, exactly as in handlers/rules/macau_pdpa.yaml."""
    return resources.files("handlers.rules").joinpath(DEFAULT_PACK_FILE).read_text(encoding="utf-8")


@cache
def shipped() -> ActivePack:
    """The shipped default as version 0 (hashed once: every request reads it while no pack is saved)."""
    return ActivePack(DEFAULT_VERSION, text_sha256(default_text()), default_pack())


async def active_pack(session: AsyncSession) -> ActivePack:
    """The pack in force now, with its version number."""
    ref = await rules_packs.latest_version_ref(session)
    if ref is None:
        return shipped()
    pack = await stored_pack(session, ref.id, ref.sha256)
    return ActivePack(ref.id, ref.sha256, pack) if pack is not None else shipped()


async def current_pack(session: AsyncSession) -> RulesPack:
    """The rules pack to evaluate and describe classifications with, now."""
    return (await active_pack(session)).pack


async def pack_for_rules_version(session: AsyncSession, rules_version: str) -> RulesPack | None:
    """The pack a record's `rules_version` names (the pack's own `version:`); None if no pack has it."""
    if rules_version == default_pack().version:
        return default_pack()
    named = await rules_packs.versions_named(session, rules_version)
    return await stored_pack(session, named[-1].id, named[-1].sha256) if named else None


async def stored_pack(session: AsyncSession, version_id: int, sha256: str) -> RulesPack | None:
    """A saved version's pack, parsed once per process; None if there is none or it no longer loads."""
    if sha256 in _parsed:
        _parsed.move_to_end(sha256)
        return _parsed[sha256]
    row = await rules_packs.get_version(session, version_id)
    if row is None:
        return None
    try:
        pack: RulesPack | None = load_pack(row.text, source=f"rules pack version {version_id}")
    except RulesPackError as exc:
        # Saved packs were checked when saved; one that no longer loads means this release reads packs
        # more strictly. Classifying under the shipped pack beats refusing every answer until an admin acts.
        log.error("rules pack version %s no longer loads, using the shipped pack: %s", version_id, exc)
        pack = None
    _parsed[sha256] = pack
    if len(_parsed) > _CACHE_SIZE:
        _parsed.popitem(last=False)
    return pack
