"""The rules pack: which Law 8/2005 obligations a classification answer triggers, as editable YAML data."""

from __future__ import annotations

from handlers.rules.answers import ClassificationAnswer, UnknownAnswerError, parse_answer_value
from handlers.rules.evaluate import Evaluation, TriggeredObligation, advice, evaluate
from handlers.rules.pack import Obligation, Rule, RulesPack, RulesPackError, default_pack, load_pack

__all__ = [
    "ClassificationAnswer",
    "Evaluation",
    "Obligation",
    "Rule",
    "RulesPack",
    "RulesPackError",
    "TriggeredObligation",
    "UnknownAnswerError",
    "advice",
    "default_pack",
    "evaluate",
    "load_pack",
    "parse_answer_value",
]
