"""Renders message and card templates in the user's language. Pure: no IO beyond reading templates."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound

from cards.card import CardButton, CardContent

Language = Literal["zh-Hant", "en", "pt"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "zh-Hant"

# What people type after `language`, in any of our languages.
_LANGUAGE_ALIASES: dict[str, Language] = {
    "zh": "zh-Hant", "zh-hant": "zh-Hant", "zh-tw": "zh-Hant", "zh-hk": "zh-Hant", "zh-mo": "zh-Hant",
    "中文": "zh-Hant", "繁體中文": "zh-Hant", "繁体中文": "zh-Hant", "chinese": "zh-Hant",
    "en": "en", "english": "en", "英文": "en", "inglês": "en",
    "pt": "pt", "pt-pt": "pt", "portuguese": "pt", "português": "pt", "portugues": "pt", "葡文": "pt",
}
LANGUAGE_NAMES: dict[Language, str] = {"zh-Hant": "繁體中文", "en": "English", "pt": "Português"}


@dataclass(frozen=True)
class Markdown:
    """A markdown message: the title shows in notifications and chat lists, the text in the chat."""

    title: str
    text: str

    def robot_param(self) -> dict[str, str]:
        """The msgParam of DingTalk's `sampleMarkdown` robot message."""
        return {"title": self.title, "text": self.text}


class TemplateMissing(LookupError):
    """A template does not exist in the requested language."""


def parse_language(text: str) -> Language | None:
    """Map what a user typed (`zh`, `English`, `português`...) to a language, or None."""
    return _LANGUAGE_ALIASES.get(text.strip().lower())


def coerce_language(value: str | None) -> Language:
    """A stored language code, or the default when it is missing or unknown."""
    for language in LANGUAGES:
        if value == language:
            return language
    return DEFAULT_LANGUAGE


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("cards", "templates"),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,  # markdown for DingTalk, not HTML; values are escaped by `md` where needed
    )


class Trusted(str):
    """Text of our own (enum values, the rules pack's advice) that is passed to templates unescaped."""

    __slots__ = ()


def escape_markdown(value: object) -> str:
    """Neutralise markdown control characters in user-supplied text."""
    text = str(value)
    for char in "\\`*_[]#<>|":
        text = text.replace(char, "\\" + char)
    return text


def render_message(name: str, language: Language, **context: Any) -> Markdown:
    """Render `templates/<language>/<name>.md.j2` into a titled markdown message."""
    env = _environment()
    try:
        template = env.get_template(f"{language}/{name}.md.j2")
    except TemplateNotFound:
        raise TemplateMissing(f"no template {name!r} in {language}") from None
    safe = {
        key: escape_markdown(value) if isinstance(value, str) and not isinstance(value, Trusted) else value
        for key, value in context.items()
    }
    module = template.make_module({"language_name": LANGUAGE_NAMES[language], **safe})
    title = getattr(module, "title", "")
    return Markdown(title=str(title), text=str(module).strip())


def render_card(
    name: str, language: Language, *, status: str = "", buttons: tuple[CardButton, ...] = (), **context: Any
) -> CardContent:
    """Render `templates/<language>/<name>.md.j2` as a card's title and markdown, with its buttons."""
    message = render_message(name, language, status=Trusted(status), **context)
    return CardContent(title=message.title, markdown=message.text, status=status, buttons=buttons)
