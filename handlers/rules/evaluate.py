"""What an answer triggers under a pack, and the one or two sentences that tell the employee."""

from __future__ import annotations

from dataclasses import dataclass

from cards.render import Language
from handlers.rules.answers import ClassificationAnswer, UnknownAnswerError, check_answer, parse_answer_value
from handlers.rules.models import Obligation, RulesPack, Scope

__all__ = [
    "ClassificationAnswer",
    "Evaluation",
    "TriggeredObligation",
    "UnknownAnswerError",
    "advice",
    "evaluate",
    "parse_answer_value",
]


@dataclass(frozen=True)
class TriggeredObligation:
    """An obligation that applies, why (the rules), and for a route, its options with the default first."""

    id: str
    obligation: Obligation
    scope: Scope
    rules: tuple[str, ...]
    options: tuple[str, ...]
    needs_counsel: bool


@dataclass(frozen=True)
class Evaluation:
    """The obligations an answer triggers: per file (`flow`) and once per organisation (`org`), in pack order."""

    pack: RulesPack
    answer: ClassificationAnswer
    flow: tuple[TriggeredObligation, ...]
    org: tuple[TriggeredObligation, ...]

    @property
    def triggered(self) -> tuple[TriggeredObligation, ...]:
        """Flow obligations, then org obligations."""
        return self.flow + self.org

    @property
    def has_legal(self) -> bool:
        """Whether any triggered obligation is a legal requirement, not only good practice."""
        return any(item.obligation.basis == "legal" for item in self.triggered)

    @property
    def needs_counsel(self) -> bool:
        """Whether anything triggered is a legal default still to be confirmed with counsel."""
        return any(item.needs_counsel for item in self.triggered)


def evaluate(pack: RulesPack, answer: ClassificationAnswer) -> Evaluation:
    """Apply the pack's rules to an answer; UnknownAnswerError for values outside its vocabulary."""
    check_answer(pack, answer)
    return Evaluation(pack, answer, _collect(pack, answer, "flow"), _collect(pack, answer, "org"))


def _collect(pack: RulesPack, answer: ClassificationAnswer, scope: Scope) -> tuple[TriggeredObligation, ...]:
    reasons: dict[str, list[str]] = {}
    for rule in pack.rules:
        if rule.scope == scope and rule.when.matches(answer.level, answer.personal_data, answer.destination):
            for obligation_id in rule.obligations:
                reasons.setdefault(obligation_id, []).append(rule.id)
    return tuple(
        _trigger(pack, obligation_id, obligation, scope, tuple(reasons[obligation_id]))
        for obligation_id, obligation in pack.obligations.items()
        if obligation_id in reasons
    )


def _trigger(
    pack: RulesPack, obligation_id: str, obligation: Obligation, scope: Scope, rules: tuple[str, ...]
) -> TriggeredObligation:
    # A route is only as settled as its least settled option.
    needs_counsel = obligation.needs_counsel or any(pack.obligations[o].needs_counsel for o in obligation.options)
    return TriggeredObligation(obligation_id, obligation, scope, rules, obligation.options, needs_counsel)


@dataclass(frozen=True)
class _Punctuation:
    between_sentences: str
    sentence_end: str
    item_separator: str
    open_paren: str
    close_paren: str
    before_marker: str


# Typography, not policy, so it lives here rather than in the admin-edited pack.
_PUNCTUATION: dict[Language, _Punctuation] = {
    "zh-Hant": _Punctuation("", "。", "；", "（", "）", ""),
    "en": _Punctuation(" ", ".", "; ", " (", ")", " "),
    "pt": _Punctuation(" ", ".", "; ", " (", ")", " "),
}


def advice(evaluation: Evaluation, language: Language) -> str:
    """One or two sentences: the main obligation's advice, then the others with their citations.

    Legal items still to be confirmed carry the pack's counsel marker.
    """
    punct = _PUNCTUATION[language]
    messages = evaluation.pack.messages
    sentences: list[str] = []
    if evaluation.flow:
        head = evaluation.flow[0]
        sentences.append(_sentence(head.obligation.advice.get(language), _marker(evaluation, head, language), punct))
    also = _also(evaluation, evaluation.flow[1:], language)
    if also:
        sentences.append(_sentence(also, "", punct))
    if not evaluation.has_legal:
        sentences.append(messages.no_legal_obligation.get(language))
    return punct.between_sentences.join(sentences)


def _also(evaluation: Evaluation, flow: tuple[TriggeredObligation, ...], language: Language) -> str:
    messages = evaluation.pack.messages
    punct = _PUNCTUATION[language]
    flow_items = punct.item_separator.join(_item(evaluation, item, language) for item in flow)
    org_items = punct.item_separator.join(_item(evaluation, item, language) for item in evaluation.org)
    if flow_items and org_items:
        org_part = messages.org_after_also.get(language) + org_items
        return messages.also.get(language) + flow_items + punct.item_separator + org_part
    if flow_items:
        return messages.also.get(language) + flow_items
    if org_items:
        return messages.org_alone.get(language) + org_items
    return ""


def _item(evaluation: Evaluation, item: TriggeredObligation, language: Language) -> str:
    punct = _PUNCTUATION[language]
    cite = item.obligation.citation(language)
    cited = f"{item.obligation.title.get(language)}{punct.open_paren}{cite}{punct.close_paren}"
    return cited + _marker(evaluation, item, language)


def _marker(evaluation: Evaluation, item: TriggeredObligation, language: Language) -> str:
    if not item.needs_counsel:
        return ""
    return _PUNCTUATION[language].before_marker + evaluation.pack.messages.counsel.get(language)


def _sentence(text: str, marker: str, punct: _Punctuation) -> str:
    body = text.strip().rstrip(".。")
    return f"{body}{marker}{punct.sentence_end}"
