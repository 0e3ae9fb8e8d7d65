"""Golden tests: every message renders in every language exactly as reviewed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cards.card import CardButton, decode_action_id, param_map
from cards.render import (
    LANGUAGES,
    Language,
    TemplateMissing,
    Trusted,
    escape_markdown,
    parse_language,
    render_card,
    render_message,
)

GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = Path(__file__).parents[2] / "cards" / "templates"

CASES: dict[str, dict[str, object]] = {
    "help": {"admins": "admin.wong"},
    "language_set": {},
    "language_usage": {"requested": "klingon"},
    "unknown_command": {"text": "hello *there*"},
    "unsupported_message": {"msgtype": "picture"},
    "unknown_card_action": {},
    "classify_refused": {"file_name": "客戶名單.xlsx", "owner": "梁志輝"},
    "classify_closed": {"file_name": "notes.docx", "closed": "expired"},
    "classify_stale": {"file_name": "notes.docx"},
    "classify_need_reason": {"file_name": "payroll.xlsx", "level": "Public", "previous_level": "Confidential"},
    "classify_done": {"file_name": "payroll.xlsx", "level": "Confidential", "personal_data": "Staff",
                      "destination": "Mainland China", "advice": "A transfer needs a route under Arts. 19-20."},
    "classify_nudge": {"file_name": "payroll.xlsx", "shared_at": "2027-09-30 16:00"},
    "classify_escalation": {"sharer": "鄭家慧", "file_name": "payroll.xlsx", "shared_where": "with the bot",
                            "shared_at": "2027-09-30 16:00"},
    "classify_group_note": {"sharer": "鄭家慧", "file_name": "HR policy.pdf"},
    "quoted_file_unreadable": {},
    "invalid_answer": {"value": "secret-ish"},
    "my_files": {"pending": 1, "items": [
        {"mark": "⏳", "file_name": "payroll.xlsx", "when": "2027-09-30 16:00", "summary": "waiting"},
        {"mark": "✅", "file_name": "brochure.pdf", "when": "2027-09-29 10:00", "summary": "Public · None · Macau"}]},
}
REMINDER_ITEMS = [
    {"title": "跨境轉移途徑：payroll.xlsx", "type": "cross-border transfer route", "number": "12",
     "due": "2027-01-11 09:00", "overdue": False, "basis": "Law 8/2005 Arts. 19, 20", "owner": ""},
    {"title": "資料處理合約", "type": "processor contract", "number": "13", "due": "2027-01-04 09:00",
     "overdue": True, "basis": "Law 8/2005 Art. 17", "owner": "鄭家慧"},
]
CASES.update({
    "signoff_reminder": {"year": "2026", "campaign_title": "2026 年度報告", "due": "2027-01-31", "overdue": False},
    "signoff_notice": {"event": Trusted("rejected"), "year": "2026", "campaign_title": "2026 年度報告",
                       "signer": "王家俊", "state": "", "reason": "processor contract overdue", "progress": "",
                       "link": "", "sha256": "", "campaign_id": "3"},
    "reminder_failed": {"recipient": "李美", "title_text": Trusted("Processor contract"),
                        "error": "invalidParameter.userIds"},
    "assessment_update": {"change": Trusted("need_note"), "title_text": "Processor contract", "number": "13",
                          "note": "", "until": "", "owner": "", "by": "", "due": "", "status": ""},
})
CARD_CASES: dict[str, dict[str, object]] = {
    "open": {"status": "open", "level": None, "personal_data": None, "destination": None,
             "suggested_level": "Confidential", "awaiting_reason": False, "next_question": "level"},
    "reason": {"status": "open", "level": "Public", "personal_data": "Staff", "destination": "Macau",
               "suggested_level": None, "awaiting_reason": True, "next_question": None},
    "answered": {"status": "answered", "level": "Confidential", "personal_data": "Customer",
                 "destination": "Mainland China", "suggested_level": None, "awaiting_reason": False,
                 "next_question": None},
}
CARD_COMMON: dict[str, object] = {
    "file_name": "員工身份證副本.pdf", "shared_where": "with the bot", "shared_at": "2027-09-30 16:00",
    "previous_level": "Confidential", "reason": None, "answered_by": "鄭家慧", "answered_at": "2027-09-30 16:05",
}
BUTTONS = (CardButton("Public", {"action": "classify", "level": "public", "version": "1"}),
           CardButton("Confidential", {"action": "classify", "level": "confidential", "version": "1"}, "primary"))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(CASES))
def test_message_matches_golden(name: str, language: Language) -> None:
    rendered = render_message(name, language, **CASES[name])
    payload = {"msgKey": "sampleMarkdown", "msgParam": rendered.robot_param()}
    text = json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
    golden = GOLDEN / f"{name}.{language}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8")
    assert all(isinstance(value, str) and value for value in payload["msgParam"].values())


def test_every_template_exists_in_every_language() -> None:
    names = {path.name for language in LANGUAGES for path in (TEMPLATES / language).glob("*.j2")}
    for language in LANGUAGES:
        assert {p.name for p in (TEMPLATES / language).glob("*.j2")} == names, language
    cards = {"classify_card", "reminder_card", "signoff_card"}
    assert {name.removesuffix(".md.j2") for name in names if name.endswith(".md.j2")} == set(CASES) | cards


@pytest.mark.parametrize("language", LANGUAGES)
def test_signoff_card_matches_golden(language: Language) -> None:
    buttons = (CardButton("Approve", {"action": "signoff", "decision": "approve", "campaign": "3"}, "primary"),
               CardButton("Reject", {"action": "signoff", "decision": "reject", "campaign": "3"}, "danger"))
    content = render_card(
        "signoff_card", language, status="pending", buttons=buttons, year="2026", campaign_title="2026 年度報告",
        note="", classified=42, unclassified=3, flows_out=2, overdue=1, obligations=4, sha256=Trusted("ab" * 32),
        report_url=Trusted("http://127.0.0.1:8080/signoff/reports/abab/en"), due="2027-01-31",
        progress="1 of 3 signed.", decided_at="", reason="", closed=Trusted("active"))
    template, params = param_map(content, None)
    assert all(isinstance(value, str) for value in params.values())
    text = json.dumps({"cardTemplateId": template, "cardParamMap": params}, ensure_ascii=False, indent=2) + "\n"
    golden = GOLDEN / f"signoff_card.public.{language}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_card_matches_golden(language: Language) -> None:
    button = CardButton("Done #12", {"action": "reminder", "do": "done", "assessment": "12"}, "primary")
    content = render_card("reminder_card", language, buttons=(button,), items=REMINDER_ITEMS, more=2, note="")
    template, params = param_map(content, None)
    assert all(isinstance(value, str) for value in params.values())
    text = json.dumps({"cardTemplateId": template, "cardParamMap": params}, ensure_ascii=False, indent=2) + "\n"
    golden = GOLDEN / f"reminder_card.public.{language}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("template_id", [None, "our-template.schema"], ids=["public", "ours"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", sorted(CARD_CASES))
def test_classification_card_matches_golden(case: str, language: Language, template_id: str | None) -> None:
    values = {**CARD_COMMON, **CARD_CASES[case]}
    content = render_card("classify_card", language, buttons=BUTTONS if case == "open" else (), **values)
    template, params = param_map(content, template_id)
    assert all(isinstance(value, str) for value in params.values())
    text = json.dumps({"cardTemplateId": template, "cardParamMap": params}, ensure_ascii=False, indent=2) + "\n"
    golden = GOLDEN / f"classify_card.{case}.{'public' if template_id is None else 'ours'}.{language}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}; run with UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8")


def test_public_template_buttons_carry_their_params_in_the_id() -> None:
    _, params = param_map(render_card("classify_card", "en", buttons=BUTTONS, **CARD_COMMON, **CARD_CASES["open"]),
                          None)
    [public, confidential] = json.loads(params["sys_full_json_obj"])["msgButtons"]
    assert decode_action_id(confidential["id"]) == {"action": "classify", "level": "confidential", "version": "1"}
    assert confidential["request"] is True and confidential["color"] == "blue"


def test_missing_template_is_a_clear_error() -> None:
    with pytest.raises(TemplateMissing, match="no template 'nope' in en"):
        render_message("nope", "en")


def test_user_text_cannot_inject_markdown() -> None:
    rendered = render_message("unknown_command", "en", text="[click](http://evil)")
    assert "[click](http://evil)" not in rendered.text
    assert escape_markdown("a*b") == "a\\*b"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("zh", "zh-Hant"), ("ZH", "zh-Hant"), ("中文", "zh-Hant"), ("en", "en"), (" English ", "en"),
     ("pt", "pt"), ("Português", "pt"), ("fr", None), ("", None)],
)
def test_parse_language(typed: str, expected: str | None) -> None:
    assert parse_language(typed) == expected
