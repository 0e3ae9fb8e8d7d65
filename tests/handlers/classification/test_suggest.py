"""Suggested levels from file names."""

from __future__ import annotations

import pytest

from handlers.classification.suggest import suggest_level


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("員工身份證副本.pdf", "confidential"),
        ("BIR_scan_0042.jpg", "confidential"),
        ("客戶名單2026.xlsx", "confidential"),
        ("Salary review Q3.xlsx", "confidential"),
        ("HR-onboarding.docx", "confidential"),
        ("three-year-plan.pptx", None),
        ("2026 brochure.pdf", "public"),
        ("meeting notes.docx", None),
        ("Project Dragon budget.xlsx", None),
    ],
)
def test_suggested_level(name: str, expected: str | None) -> None:
    assert suggest_level(name) == expected


def test_org_keywords_count_too() -> None:
    assert suggest_level("Project Dragon budget.xlsx", ["dragon"]) == "confidential"
