"""Golden tests: every message renders in every language exactly as reviewed."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cards.render import LANGUAGES, Language, TemplateMissing, escape_markdown, parse_language, render_message

GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = Path(__file__).parents[2] / "cards" / "templates"

CASES: dict[str, dict[str, object]] = {
    "help": {"admins": "admin.wong"},
    "language_set": {},
    "language_usage": {"requested": "klingon"},
    "unknown_command": {"text": "hello *there*"},
    "unsupported_message": {"msgtype": "picture"},
    "unknown_card_action": {},
}


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
    assert {name.removesuffix(".md.j2") for name in names} == set(CASES)


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
