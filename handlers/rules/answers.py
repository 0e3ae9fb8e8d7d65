"""A classification answer, and what people type for its values in any of the bot's languages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from handlers.rules.checks import normalise, spellings_of
from handlers.rules.models import RulesPack, Term
from handlers.rules.pack import default_pack

AnswerKind = Literal["level", "personal_data", "destination"]
ANSWER_KINDS: tuple[AnswerKind, ...] = ("level", "personal_data", "destination")


@dataclass(frozen=True)
class ClassificationAnswer:
    """What an employee said about a shared file: its level, the personal data in it, where it goes."""

    level: str
    personal_data: str
    destination: str


class UnknownAnswerError(ValueError):
    """An answer value that the pack's vocabulary does not define."""


def terms_of(pack: RulesPack, kind: AnswerKind) -> Mapping[str, Term]:
    """The vocabulary for one question, in display order."""
    if kind == "level":
        return pack.vocabulary.levels
    if kind == "personal_data":
        return pack.vocabulary.personal_data
    return pack.vocabulary.destinations


def parse_answer_value(kind: AnswerKind, raw: str, pack: RulesPack | None = None) -> str | None:
    """The vocabulary value `raw` stands for (`Confidential`, `hk`, `中國內地`...), or None if unknown.

    Matching ignores case, accents, spaces, hyphens and underscores; it tries values, labels and aliases.
    """
    if pack is None:
        pack = default_pack()
    wanted = normalise(raw)
    if not wanted:
        return None
    for value, term in terms_of(pack, kind).items():
        if any(normalise(spelling) == wanted for _, spelling in spellings_of(value, term, ())):
            return value
    return None


def check_answer(pack: RulesPack, answer: ClassificationAnswer) -> None:
    """Raise UnknownAnswerError unless every value of `answer` is in the pack's vocabulary."""
    for kind in ANSWER_KINDS:
        value = getattr(answer, kind)
        terms = terms_of(pack, kind)
        if value not in terms:
            raise UnknownAnswerError(f"unknown {kind} '{value}' (known: {', '.join(terms)})")
