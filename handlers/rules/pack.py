"""Loading a rules pack: YAML text -> checked `RulesPack`, or `RulesPackError` naming the line and the reason."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from yaml.nodes import Node

from cards.render import LANGUAGES
from handlers.rules.checks import cross_check
from handlers.rules.models import (
    AfterStart,
    AtCollection,
    BeforeProcessing,
    BeforeSharing,
    BeforeTransfer,
    Condition,
    Deadline,
    DestinationTerm,
    FilingAfterContract,
    LocalText,
    Messages,
    Obligation,
    Platform,
    Recurring,
    Regulator,
    Rule,
    RulesPack,
    Statute,
    Term,
    Vocabulary,
)
from handlers.rules.source import Problem, YamlSyntaxError, dotted, line_of, parse

__all__ = [
    "AfterStart",
    "AtCollection",
    "BeforeProcessing",
    "BeforeSharing",
    "BeforeTransfer",
    "Condition",
    "Deadline",
    "DestinationTerm",
    "FilingAfterContract",
    "LocalText",
    "Messages",
    "Obligation",
    "Platform",
    "Problem",
    "Recurring",
    "Regulator",
    "Rule",
    "RulesPack",
    "RulesPackError",
    "Statute",
    "Term",
    "Vocabulary",
    "default_pack",
    "load_pack",
]

DEFAULT_PACK_FILE = "macau_pdpa.yaml"
# An admin-edited pack is a few hundred lines; anything far larger is a mistake or an attack.
MAX_PACK_CHARS = 1_000_000


class RulesPackError(ValueError):
    """A pack that cannot be used. The message starts with the source and the line of the first problem."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(sorted(problems, key=lambda p: p.line))
        first = self.problems[0]
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{source}: {first}{suffix}")

    @property
    def line(self) -> int:
        """The line of the first problem."""
        return self.problems[0].line

    @property
    def reason(self) -> str:
        """What is wrong at that line."""
        return self.problems[0].reason


def load_pack(text: str, *, source: str = "<pack>") -> RulesPack:
    """Parse, validate and cross-check a pack; RulesPackError names the line of each problem."""
    if len(text) > MAX_PACK_CHARS:
        raise RulesPackError(source, [Problem(1, "", f"the pack is larger than {MAX_PACK_CHARS} characters")])
    try:
        root, data = parse(text)
    except YamlSyntaxError as exc:
        raise RulesPackError(source, [exc.problem]) from None
    if not isinstance(data, dict):
        raise RulesPackError(source, [Problem(line_of(root, ()), "", "the pack must be a mapping of keys")])
    try:
        pack = RulesPack.model_validate(data)
    except ValidationError as exc:
        raise RulesPackError(source, [_problem(root, error) for error in exc.errors()]) from None
    findings = cross_check(pack)
    if findings:
        raise RulesPackError(source, [Problem(line_of(root, path), dotted(path), why) for path, why in findings])
    return pack


@cache
def default_pack() -> RulesPack:
    """The pack shipped with the bot (cached; treat it as read-only)."""
    text = resources.files("handlers.rules").joinpath(DEFAULT_PACK_FILE).read_text(encoding="utf-8")
    return load_pack(text, source=f"handlers/rules/{DEFAULT_PACK_FILE}")


def _problem(root: Node, error: ErrorDetails) -> Problem:
    path = tuple(error["loc"])
    # A bad deadline kind is reported on the deadline; point at its `kind:` line instead.
    where = (*path, "kind") if error["type"] == "union_tag_invalid" else path
    return Problem(line_of(root, where), dotted(path), _reason(error))


def _reason(error: ErrorDetails) -> str:
    loc = error["loc"]
    last = loc[-1] if loc else ""
    kind = error["type"]
    if kind == "missing":
        what = "language" if last in LANGUAGES else "key"
        return f"missing {what} '{last}'"
    if kind == "union_tag_not_found":
        return "missing key 'kind'"  # the only discriminator in the pack
    if kind == "extra_forbidden":
        return f"unknown key '{last}'"
    if kind == "string_type" and isinstance(error["input"], int | float) and last == "version":
        return 'the version must be a string; quote it, e.g. version: "2026.1"'
    return f"{error['msg']} (got {_shown(error['input'])})"


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
