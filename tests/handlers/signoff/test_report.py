"""The sign-off report and certificate: golden HTML in every language, escaping, determinism."""

from __future__ import annotations

import copy
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cards.render import LANGUAGES, Language
from handlers.signoff.report import html_sha256, render_certificate, render_report
from handlers.signoff.snapshot import snapshot_sha256

GOLDEN = Path(__file__).parent / "golden"

DATA: dict[str, Any] = {
    "taken_at": "2027-12-31T02:00:00.000000+00:00",
    "campaign": {"id": 7, "year": 2027, "title": "Board sign-off <2027> & co", "round": 2},
    "policy_version": "v3",
    "rules_pack": {"name": "macau-pdpa", "version": "2026.1"},
    "classifications": {
        "files": 6, "classified": 4, "unclassified": 2,
        "by_level": {"public": 1, "internal": 2, "confidential": 1},
        "by_personal_data": {"none": 1, "staff": 2, "customer": 1, "sensitive": 0},
        "questions": {"open": 1, "answered": 4, "expired": 1},
    },
    "register": [
        {"destination": "macau", "personal_data": "none", "files": 1, "leaves_macau": False, "routes": [],
         "assessments": []},
        {"destination": "mainland", "personal_data": "customer", "files": 1, "leaves_macau": True,
         "routes": [{"id": "MO-XFER-ROUTE-MAINLAND", "cite": "Law 8/2005 Arts. 19, 20",
                     "options": ["MO-XFER-20-2", "MO-XFER-20-1"]}],
         "assessments": [{"id": 1, "title": "Transfer route: <script>alert('x')</script>", "type": "transfer_route",
                          "status": "open", "owner": "u-boss"}]},
        {"destination": "mainland_gba", "personal_data": "sensitive", "files": 1, "leaves_macau": True,
         "routes": [{"id": "MO-XFER-ROUTE-GBA", "cite": "Law 8/2005 Arts. 19, 20",
                     "options": ["MO-XFER-20-2", "MO-XFER-20-1", "MO-XFER-GBA-SC"]}],
         "assessments": []},
        {"destination": "mars", "personal_data": "staff", "files": 2, "leaves_macau": None, "routes": [],
         "assessments": [{"id": 2, "title": "HK route", "type": "transfer_route", "status": "done",
                          "owner": "u-boss"}]},
    ],
    "assessments": {
        "total": 3,
        "by_status": {"open": 1, "in_progress": 1, "done": 1, "waived": 0},
        "overdue": [{"id": 1, "title": "Transfer route: <script>alert('x')</script>", "type": "transfer_route",
                     "status": "open", "owner": "u-boss", "due": "2027-12-26T02:00:00.000000+00:00"}],
    },
    "obligations": [
        {"id": "MO-XFER-ROUTE-MAINLAND", "count": 2, "scope": "flow/org", "cite": "Law 8/2005 Arts. 19, 20",
         "basis": "legal"},
        {"id": "MO-XFER-GBA-SC", "count": 1, "scope": "flow",
         "cite": "GBA (Mainland, Macao) Standard Contract Implementation Guidelines (2024)", "basis": "legal"},
        {"id": "MO-DPIA", "count": 1, "scope": "flow", "cite": "Good practice", "basis": "good_practice"},
        {"id": "MO-RETIRED", "count": 1, "scope": "org", "cite": "Law 8/2005 Art. 99", "basis": "legal"},
    ],
}
SIGNERS: list[dict[str, Any]] = [
    {"name": "陳大文 <CEO>", "user_id": "u-chan", "union_id": "un-chan-001", "decision": "approved",
     "decided_at": datetime(2028, 1, 3, 1, 30, tzinfo=UTC)},
    {"name": "Ana Sousa", "userId": "u-ana", "unionId": "un-ana-002", "decision": "approve",
     "decided_at": "2028-01-04T09:05:00+00:00"},
]
SHA = snapshot_sha256(DATA)


def check_golden(name: str, html: str) -> None:
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(html, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 and review it"
    assert html == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
def test_report_matches_golden(language: Language) -> None:
    html = render_report(DATA, language)
    check_golden(f"report.{language}.html", html)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert SHA in html and "2026.1" in html
    assert "http" not in html.replace('name="viewport"', "")  # self-contained: no external assets


@pytest.mark.parametrize("language", LANGUAGES)
def test_certificate_matches_golden(language: Language) -> None:
    html = render_certificate(DATA["campaign"], SIGNERS, SHA, language)
    check_golden(f"certificate.{language}.html", html)
    for text in ("u-chan", "un-chan-001", "u-ana", "un-ana-002", SHA):
        assert text in html
    # Decided in the org's timezone, Asia/Macau (UTC+8).
    assert "2028-01-03 09:30" in html and "2028-01-04 17:05" in html


def test_titles_and_labels_per_language() -> None:
    assert "<title>Annual compliance report 2027</title>" in render_report(DATA, "en")
    assert "<title>2027年度合規報告</title>" in render_report(DATA, "zh-Hant")
    assert "<title>Relatório anual de conformidade 2027</title>" in render_report(DATA, "pt")
    assert "Mainland China (outside the GBA)" in render_report(DATA, "en")
    assert "中國內地（大灣區以外）" in render_report(DATA, "zh-Hant")
    assert "Lei n.º 8/2005, arts. 19.º e 20.º" in render_report(DATA, "pt")


@pytest.mark.parametrize("language", LANGUAGES)
def test_user_text_is_escaped(language: Language) -> None:
    report = render_report(DATA, language)
    assert "<script>" not in report
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in report
    assert "Board sign-off &lt;2027&gt; &amp; co" in report
    certificate = render_certificate(DATA["campaign"], SIGNERS, SHA, language)
    assert "<CEO>" not in certificate and "陳大文 &lt;CEO&gt;" in certificate


def test_rendering_is_deterministic_and_follows_the_data() -> None:
    first, second = render_report(DATA, "en"), render_report(copy.deepcopy(DATA), "en")
    assert html_sha256(first) == html_sha256(second)
    assert len(html_sha256(first)) == 64
    changed = copy.deepcopy(DATA)
    changed["classifications"]["files"] = 7
    assert html_sha256(render_report(changed, "en")) != html_sha256(first)


def test_certificate_refuses_a_signer_who_did_not_approve() -> None:
    rejected = [*SIGNERS, {"name": "X", "user_id": "u-x", "union_id": "un-x", "decision": "rejected",
                           "decided_at": "2028-01-05T00:00:00+00:00"}]
    with pytest.raises(ValueError, match="u-x"):
        render_certificate(DATA["campaign"], rejected, SHA, "en")
    with pytest.raises(ValueError):
        render_certificate(DATA["campaign"], [], SHA, "en")
