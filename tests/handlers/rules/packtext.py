"""The shipped pack's text, and edits of it that must be refused at a known line."""

from __future__ import annotations

import re
from importlib import resources

from cards.render import Language

# How each language cites an article: 第21條 / 第15至16條, Art. 21 / Arts. 19, art. 21.º / arts. 19.º.
ARTICLE: dict[Language, re.Pattern[str]] = {
    "zh-Hant": re.compile(r"第\d+(至\d+)?條"),
    "en": re.compile(r"Arts?\. \d+"),
    "pt": re.compile(r"arts?\. \d+\.º"),
}


def default_text() -> str:
    return resources.files("handlers.rules").joinpath("macau_pdpa.yaml").read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """The 1-based line where `needle` (which must occur once) starts."""
    assert text.count(needle) == 1, f"{needle!r} occurs {text.count(needle)} times"
    return text[: text.index(needle)].count("\n") + 1


def edit(old: str, new: str) -> tuple[str, int]:
    """The default pack with `old` replaced by `new`, and the line where the edit starts."""
    text = default_text()
    line = line_of(text, old)
    return text.replace(old, new), line
