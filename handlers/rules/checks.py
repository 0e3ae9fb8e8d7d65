"""Checks across the parts of a pack that the models alone cannot express."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping

from cards.render import LANGUAGES
from handlers.rules.models import Obligation, RulesPack, Term

Finding = tuple[tuple[str | int, ...], str]


def cross_check(pack: RulesPack) -> list[Finding]:
    """Every reference that points nowhere, every clash; empty for a consistent pack."""
    return [*_rule_findings(pack), *_obligation_findings(pack), *_vocabulary_findings(pack)]


def normalise(raw: str) -> str:
    """Case-, accent-, width- and separator-insensitive form of an answer or alias."""
    folded = unicodedata.normalize("NFKD", raw.casefold())
    kept = (ch for ch in folded if not unicodedata.combining(ch) and not ch.isspace() and ch not in "-_./'’")
    return unicodedata.normalize("NFC", "".join(kept))


def spellings_of(value: str, term: Term, where: tuple[str, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Everything that may be typed for one answer value: the value, its labels, its aliases."""
    yield where, value
    for language in LANGUAGES:
        yield (*where, "label", language), term.label.get(language)
    for index, alias in enumerate(term.aliases):
        yield (*where, "aliases", index), alias


def _rule_findings(pack: RulesPack) -> Iterator[Finding]:
    vocabulary: dict[str, Mapping[str, Term]] = {
        "level": pack.vocabulary.levels,
        "personal_data": pack.vocabulary.personal_data,
        "destination": pack.vocabulary.destinations,
    }
    seen: set[str] = set()
    for index, rule in enumerate(pack.rules):
        if rule.id in seen:
            yield ("rules", index, "id"), f"duplicate rule id '{rule.id}'"
        seen.add(rule.id)
        for position, obligation_id in enumerate(rule.obligations):
            if obligation_id not in pack.obligations:
                yield ("rules", index, "obligations", position), f"unknown obligation '{obligation_id}'"
        for axis, terms in vocabulary.items():
            values: tuple[str, ...] = getattr(rule.when, axis) or ()
            for position, value in enumerate(values):
                if value not in terms:
                    known = ", ".join(terms)
                    yield ("rules", index, "when", axis, position), f"unknown {axis} '{value}' (known: {known})"


def _obligation_findings(pack: RulesPack) -> Iterator[Finding]:
    for obligation_id, obligation in pack.obligations.items():
        where = ("obligations", obligation_id)
        if obligation.basis == "legal" and obligation.evidence is None:
            yield (*where, "basis"), "a legal obligation needs its evidence (V, S or U)"
        yield from _option_findings(pack, where, obligation_id, obligation)


def _option_findings(pack: RulesPack, where: tuple[str, str], own_id: str, obligation: Obligation) -> Iterator[Finding]:
    if len(obligation.options) == 1:
        yield (*where, "options"), "a route needs at least two options"
    for position, option_id in enumerate(obligation.options):
        option = pack.obligations.get(option_id)
        if option is None:
            yield (*where, "options", position), f"unknown obligation '{option_id}'"
        elif option_id == own_id or option.options:
            yield (*where, "options", position), f"'{option_id}' is itself a route; options cannot nest"


def _vocabulary_findings(pack: RulesPack) -> Iterator[Finding]:
    if pack.platform.stores_in not in pack.vocabulary.destinations:
        yield ("platform", "stores_in"), f"unknown destination '{pack.platform.stores_in}'"
    axes: dict[str, Mapping[str, Term]] = {
        "levels": pack.vocabulary.levels,
        "personal_data": pack.vocabulary.personal_data,
        "destinations": pack.vocabulary.destinations,
    }
    for axis, terms in axes.items():
        owner: dict[str, str] = {}
        for value, term in terms.items():
            for path, spelling in spellings_of(value, term, ("vocabulary", axis, value)):
                key = normalise(spelling)
                if owner.setdefault(key, value) != value:
                    yield path, f"'{spelling}' would mean both '{owner[key]}' and '{value}'"
