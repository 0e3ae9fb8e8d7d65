"""The matrix: which obligations each answer triggers, and the advice the employee reads."""

from __future__ import annotations

import pytest

from cards.render import LANGUAGES, Language
from handlers.rules import ClassificationAnswer, RulesPack, UnknownAnswerError, advice, evaluate
from tests.handlers.rules.packtext import ARTICLE

CITES = {
    "MO-AUTH-22": "Law 8/2005 Arts. 7(2), 22",
    "MO-XFER-ROUTE-MAINLAND": "Law 8/2005 Arts. 19, 20",
    "MO-XFER-ROUTE-GBA": "Law 8/2005 Arts. 19, 20",
    "MO-XFER-ROUTE": "Law 8/2005 Arts. 19, 20",
    "MO-NOTIFY-21": "Law 8/2005 Arts. 21(1), 23",
    "MO-PROCESSOR-17": "Law 8/2005 Arts. 15, 16, 17",
    "MO-INFO-10": "Law 8/2005 Art. 10",
    "MO-SECURITY-15-16": "Law 8/2005 Arts. 15, 16",
    "MO-DPIA": "Good practice; PIPL Arts. 55-56 where PIPL applies",
    "MO-PUBLIC-CHECK": "Good practice",
    "MO-ACCESS-REVIEW": "Good practice",
}
AUTH, NOTIFY, DPIA = "MO-AUTH-22", "MO-NOTIFY-21", "MO-DPIA"
TO_MAINLAND, TO_GBA, OUTSIDE = "MO-XFER-ROUTE-MAINLAND", "MO-XFER-ROUTE-GBA", "MO-XFER-ROUTE"
PUBLIC_CHECK, ACCESS = "MO-PUBLIC-CHECK", "MO-ACCESS-REVIEW"
BASE = ("MO-INFO-10", "MO-SECURITY-15-16")
PLATFORM = (TO_MAINLAND, "MO-PROCESSOR-17")

# (level, personal_data, destination) -> flow obligations in pack order, org obligations.
TABLE: list[tuple[str, str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("public", "none", "macau", (), ()),
    ("internal", "none", "mainland", (), ()),
    ("public", "none", "elsewhere", (), ()),
    ("confidential", "none", "hong_kong", (ACCESS,), ()),
    ("confidential", "none", "mainland_gba", (ACCESS,), ()),
    ("internal", "staff", "macau", (NOTIFY, *BASE), PLATFORM),
    ("internal", "customer", "macau", (NOTIFY, *BASE), PLATFORM),
    ("internal", "customer", "mainland", (TO_MAINLAND, NOTIFY, *BASE), PLATFORM),
    ("confidential", "staff", "mainland", (TO_MAINLAND, NOTIFY, *BASE, ACCESS), PLATFORM),
    ("confidential", "customer", "mainland_gba", (TO_GBA, NOTIFY, *BASE, ACCESS), PLATFORM),
    ("public", "staff", "mainland_gba", (TO_GBA, NOTIFY, *BASE, PUBLIC_CHECK), PLATFORM),
    ("internal", "staff", "hong_kong", (OUTSIDE, NOTIFY, *BASE), PLATFORM),
    ("public", "customer", "elsewhere", (OUTSIDE, NOTIFY, *BASE, PUBLIC_CHECK), PLATFORM),
    ("confidential", "sensitive", "macau", (AUTH, *BASE, DPIA, ACCESS), PLATFORM),
    ("internal", "sensitive", "mainland", (AUTH, TO_MAINLAND, *BASE, DPIA), PLATFORM),
    ("confidential", "sensitive", "mainland_gba", (AUTH, TO_GBA, *BASE, DPIA, ACCESS), PLATFORM),
    ("public", "sensitive", "hong_kong", (AUTH, OUTSIDE, *BASE, DPIA, PUBLIC_CHECK), PLATFORM),
    ("internal", "sensitive", "elsewhere", (AUTH, OUTSIDE, *BASE, DPIA), PLATFORM),
]
ANSWERS = [ClassificationAnswer(level, personal, destination) for level, personal, destination, _, _ in TABLE]


def test_table_covers_every_value(pack: RulesPack) -> None:
    assert {a.level for a in ANSWERS} == set(pack.vocabulary.levels)
    assert {a.personal_data for a in ANSWERS} == set(pack.vocabulary.personal_data)
    assert {a.destination for a in ANSWERS} == set(pack.vocabulary.destinations)


@pytest.mark.parametrize(("level", "personal_data", "destination", "flow", "org"), TABLE)
def test_matrix(
    pack: RulesPack, level: str, personal_data: str, destination: str, flow: tuple[str, ...], org: tuple[str, ...]
) -> None:
    evaluation = evaluate(pack, ClassificationAnswer(level, personal_data, destination))
    assert tuple(t.id for t in evaluation.flow) == flow
    assert tuple(t.id for t in evaluation.org) == org
    assert all(t.scope == "flow" for t in evaluation.flow) and all(t.scope == "org" for t in evaluation.org)
    for item in evaluation.triggered:
        assert item.obligation.cite == CITES[item.id]
        assert item.rules, item.id
    assert evaluation.has_legal == (personal_data != "none")


def test_routes_carry_their_options(pack: RulesPack) -> None:
    evaluation = evaluate(pack, ClassificationAnswer("internal", "customer", "mainland_gba"))
    route = evaluation.flow[0]
    assert route.options == ("MO-XFER-20-2", "MO-XFER-20-1", "MO-XFER-GBA-SC")
    assert route.needs_counsel  # the GBA contract option is unconfirmed
    platform_route = evaluation.org[0]
    assert platform_route.id == "MO-XFER-ROUTE-MAINLAND" and platform_route.options[0] == "MO-XFER-20-2"
    assert not platform_route.needs_counsel


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: f"{a.level}-{a.personal_data}-{a.destination}")
@pytest.mark.parametrize("language", LANGUAGES)
def test_advice(pack: RulesPack, answer: ClassificationAnswer, language: Language) -> None:
    evaluation = evaluate(pack, answer)
    text = advice(evaluation, language)
    assert ARTICLE[language].search(text), text
    if evaluation.flow:
        headline = evaluation.flow[0].obligation.advice.get(language).rstrip(".。")
        assert text.startswith(headline)
    for item in evaluation.triggered[1:]:
        assert item.obligation.citation(language) in text, item.id
    marker = pack.messages.counsel.get(language)
    assert text.count(marker) == sum(item.needs_counsel for item in evaluation.triggered)
    if language == "zh-Hant":
        assert 1 <= text.count("。") <= 2, text


def test_unconfirmed_items_are_flagged(pack: RulesPack) -> None:
    for answer in ANSWERS:
        evaluation = evaluate(pack, answer)
        assert evaluation.needs_counsel == (answer.personal_data != "none")
        text = advice(evaluation, "en")
        assert ("[to be confirmed with counsel]" in text) == evaluation.needs_counsel
    gba = advice(evaluate(pack, ClassificationAnswer("internal", "staff", "mainland_gba")), "en")
    assert "still open [to be confirmed with counsel]." in gba


def test_no_personal_data_says_so(pack: RulesPack) -> None:
    text = advice(evaluate(pack, ClassificationAnswer("public", "none", "mainland")), "en")
    assert text == pack.messages.no_legal_obligation.en


def test_unknown_answer_is_refused(pack: RulesPack) -> None:
    with pytest.raises(UnknownAnswerError, match="destination 'mars'"):
        evaluate(pack, ClassificationAnswer("public", "none", "mars"))
    with pytest.raises(UnknownAnswerError, match="level 'Confidential'"):
        evaluate(pack, ClassificationAnswer("Confidential", "none", "macau"))


def test_evaluation_is_deterministic(pack: RulesPack) -> None:
    answer = ClassificationAnswer("confidential", "sensitive", "mainland_gba")
    assert evaluate(pack, answer) == evaluate(pack, answer)
