"""Templates (Jinja2, autoescaped) and the pages' words in zh-Hant, en and pt, from one strings file."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any, Final, cast
from zoneinfo import ZoneInfo

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from cards.render import Language
from storage.models import SUPPORTED_LANGUAGES

DEFAULT_LANGUAGE: Final[Language] = "zh-Hant"
LANGUAGE_NAMES: Final[dict[str, str]] = {"zh-Hant": "繁體中文", "en": "English", "pt": "Português"}
STATIC_FILES: Final = ("app.js", "app.css")


@cache
def strings() -> dict[str, dict[str, str]]:
    """Every UI string by key, then by language; tests check each key has all three languages."""
    text = resources.files("bot.admin").joinpath("strings.yaml").read_text(encoding="utf-8")
    loaded = yaml.safe_load(text)
    return cast(dict[str, dict[str, str]], loaded)


def coerce(language: str | None) -> Language | None:
    return cast(Language, language) if language in SUPPORTED_LANGUAGES else None


class Words:
    """The strings of one language; a missing key is a bug, so it raises rather than showing the key."""

    def __init__(self, language: Language) -> None:
        self.language = language

    def __call__(self, key: str, **params: object) -> str:
        text = strings()[key][self.language]
        return text.format(**params) if params else text

    def has(self, key: str) -> bool:
        return key in strings()


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("bot.admin", "templates"), autoescape=True, undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals["static"] = static_url
    env.globals["language_names"] = LANGUAGE_NAMES
    return env


def render(template: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(template).render(**context)


def static_text(name: str) -> str:
    return resources.files("bot.admin").joinpath("static", name).read_text(encoding="utf-8")


@cache
def static_url(name: str) -> str:
    """/app/static/NAME?v=<content hash>, so the files can be cached for long and still change with a release."""
    digest = hashlib.sha256(static_text(name).encode()).hexdigest()[:12]
    return f"/app/static/{name}?v={digest}"


def when(value: datetime | date | None, timezone: ZoneInfo) -> str:
    """A time as the org reads it (its timezone, to the minute); a date as ISO; nothing as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(timezone).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def lines(text: str) -> Markup:
    """Plain text with its line breaks kept, escaped."""
    return Markup("<br>").join(text.splitlines())
