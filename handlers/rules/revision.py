"""What a pack an admin submits must satisfy beyond `load_pack`: it replaces the pack the bot is built around.

The cards' buttons, the dialog's level order and the API's enums come from the shipped vocabulary, so a new
pack keeps the same answer values in the same order (labels, hints and aliases may change). Records keep the
pack's own `version:` as their rules_version, so one version string never names two different texts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession
from yaml.nodes import Node

from handlers.rules.active import shipped, text_sha256
from handlers.rules.models import RulesPack
from handlers.rules.pack import RulesPackError, default_pack, load_pack
from handlers.rules.source import Problem, line_of, parse
from storage import rules_packs

SOURCE: Final = "submitted pack"
MAX_NAME: Final = 64  # rules_pack_versions.pack_name
MAX_VERSION: Final = 32  # rules_pack_versions.pack_version and classifications.rules_version
_AXES: Final = ("levels", "personal_data", "destinations")


async def check_submission(session: AsyncSession, text: str) -> RulesPack:
    """The pack in `text` if it may replace the active one; RulesPackError naming the line of every problem."""
    pack = load_pack(text, source=SOURCE)
    root, _ = parse(text)  # load_pack has parsed it once already, so this cannot fail
    problems = [*replacement_problems(pack, root), *await _version_problems(session, pack, root, text)]
    if problems:
        raise RulesPackError(SOURCE, problems)
    return pack


def replacement_problems(pack: RulesPack, root: Node) -> list[Problem]:
    """What keeps a well-formed pack from replacing the shipped one: vocabulary changes, over-long names."""
    problems = list(_vocabulary_problems(pack, root))
    if len(pack.pack) > MAX_NAME:
        problems.append(Problem(line_of(root, ("pack",)), "pack", f"the name is longer than {MAX_NAME} characters"))
    if len(pack.version) > MAX_VERSION:
        problems.append(Problem(line_of(root, ("version",)), "version",
                                f"the version is longer than {MAX_VERSION} characters"))
    return problems


def _vocabulary_problems(pack: RulesPack, root: Node) -> Iterator[Problem]:
    shipped = default_pack().vocabulary
    for axis in _AXES:
        wanted: list[str] = list(getattr(shipped, axis))
        got: list[str] = list(getattr(pack.vocabulary, axis))
        if got != wanted:
            yield Problem(line_of(root, ("vocabulary", axis)), f"vocabulary.{axis}",
                          f"must keep the answers {', '.join(wanted)} in this order, because the cards and the API "
                          f"are built from them: {_difference(wanted, got)}")


def _difference(wanted: Sequence[str], got: Sequence[str]) -> str:
    missing = [value for value in wanted if value not in got]
    added = [value for value in got if value not in wanted]
    parts = [f"'{value}' is missing" for value in missing] + [f"'{value}' is new" for value in added]
    return "; ".join(parts) if parts else f"they are in the order {', '.join(got)}"


async def _version_problems(session: AsyncSession, pack: RulesPack, root: Node, text: str) -> list[Problem]:
    sha256 = text_sha256(text)
    if pack.version == default_pack().version and sha256 != shipped().sha256:
        taken = "the shipped pack"
    else:
        clash = [ref.id for ref in await rules_packs.versions_named(session, pack.version) if ref.sha256 != sha256]
        if not clash:
            return []
        taken = f"saved version {clash[-1]}"
    reason = (f"'{pack.version}' is already the version of {taken}, whose text differs; records name the pack by "
              "this version, so give the new pack a version of its own")
    return [Problem(line_of(root, ("version",)), "version", reason)]
