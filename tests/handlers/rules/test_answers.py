"""What people type for an answer value, in any of the bot's languages."""

from __future__ import annotations

import pytest

from handlers.rules import RulesPack, parse_answer_value
from handlers.rules.answers import AnswerKind


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("level", "Confidential", "confidential"),
        ("level", " PUBLIC ", "public"),
        ("level", "機密", "confidential"),
        ("level", "Público", "public"),
        ("level", "publico", "public"),
        ("level", "interno", "internal"),
        ("personal_data", "No", "none"),
        ("personal_data", "none", "none"),
        ("personal_data", "員工", "staff"),
        ("personal_data", "Employees", "staff"),
        ("personal_data", "Customers", "customer"),
        ("personal_data", "客户", "customer"),
        ("personal_data", "health", "sensitive"),
        ("personal_data", "Dados sensiveis", "sensitive"),
        ("destination", "mainland_china", "mainland"),
        ("destination", "Mainland China", "mainland"),
        ("destination", "china", "mainland"),
        ("destination", "中國內地", "mainland"),
        ("destination", "中国内地", "mainland"),
        ("destination", "Hangzhou", "mainland"),
        ("destination", "hk", "hong_kong"),
        ("destination", "Hong-Kong", "hong_kong"),
        ("destination", "香港", "hong_kong"),
        ("destination", "gba", "mainland_gba"),
        ("destination", "GBA", "mainland_gba"),
        ("destination", "mainland-gba", "mainland_gba"),
        ("destination", "Zhuhai", "mainland_gba"),
        ("destination", "橫琴", "mainland_gba"),
        ("destination", "澳門", "macau"),
        ("destination", "Macao", "macau"),
        ("destination", "abroad", "elsewhere"),
        ("destination", "Outro local", "elsewhere"),
    ],
)
def test_aliases(kind: AnswerKind, raw: str, expected: str) -> None:
    assert parse_answer_value(kind, raw) == expected


@pytest.mark.parametrize(
    ("kind", "raw"),
    [("level", "top secret"), ("destination", "mars"), ("destination", ""), ("personal_data", "   "), ("level", "hk")],
)
def test_unknown_values(kind: AnswerKind, raw: str) -> None:
    assert parse_answer_value(kind, raw) is None


def test_explicit_pack(pack: RulesPack) -> None:
    assert parse_answer_value("destination", "Shenzhen", pack) == "mainland_gba"
