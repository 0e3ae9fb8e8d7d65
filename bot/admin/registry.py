"""The page registry: each page declares its method, path and the role it needs; `bot.admin.guard` enforces it.

Pages are plain async functions `(call: PageCall) -> web.StreamResponse`. They render templates through
`call.render`, redirect after a successful form with `call.redirect(..., flash=...)`, and call the same
handler functions the API routes call.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from aiohttp import web
from multidict import MultiDictProxy
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin import labels
from bot.admin import render as templates
from bot.admin.deps import AdminDeps
from bot.admin.session import set_flash
from cards.render import Language
from handlers.api.caller import Caller
from handlers.directory import Role
from handlers.rules.models import Term
from handlers.rules.pack import default_pack

Method = Literal["GET", "POST"]
PREFIX = "/app"
# The navigation's order, whatever order the page modules are imported in.
NAV_ORDER = ("nav.dashboard", "nav.classifications", "nav.assessments", "nav.reminder_rules", "nav.register",
             "nav.campaigns", "nav.audit", "nav.rules_pack")


class PageNotFound(Exception):
    """The page's subject (an assessment, a campaign) does not exist or is not the caller's to see."""


@dataclass
class PageCall:
    """One signed-in request to a page, after its role and (for a POST) its CSRF token were checked."""

    request: web.Request
    deps: AdminDeps
    session: AsyncSession
    caller: Caller
    now: datetime
    language: Language
    csrf: str
    nav: list[dict[str, Any]]
    form: MultiDictProxy[str | bytes | Any] | None = None
    flash: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def t(self) -> templates.Words:
        return templates.Words(self.language)

    def params(self) -> dict[str, str]:
        """The query string without `lang` (the language switch every page takes), one value per name."""
        return {name: value for name, value in self.request.query.items() if name != "lang"}

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def text_field(self, name: str) -> str:
        """A textarea as typed: not stripped, with the CRLF line ends browsers send turned back into LF."""
        value = self.form.get(name) if self.form is not None else None
        return value.replace("\r\n", "\n") if isinstance(value, str) else ""

    def when(self, value: Any) -> str:
        return templates.when(value, self.deps.api.policy().calendar.timezone)

    def render(self, template: str, status: int = 200, **context: Any) -> web.Response:
        """The page `template` in the caller's language, inside the base layout."""
        html = templates.render(template, {**self.context(), **context})
        response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
        response.headers.update(self.headers)
        return response

    def context(self) -> Mapping[str, Any]:
        words = self.t
        flash = self.flash if self.flash and self.flash.startswith("flash.") and words.has(self.flash) else None
        return {"t": words, "lang": self.language, "caller": self.caller, "nav": self.nav, "csrf": self.csrf,
                "flash": words(flash) if flash else None, "when": self.when, "path": self.request.path,
                "role_name": words(f"role.{self.caller.role}"), "term": self.term,
                "switch_base": language_switch_base(self.request),
                "reminder_kind": lambda kind: labels.reminder_kind(words, kind),
                "label": lambda prefix, code: labels.labelled(words, prefix, code)}

    def term(self, kind: str, value: str | None) -> str:
        """An answer value (a level, personal data kind, destination) as the cards label it in this language."""
        vocabulary = default_pack().vocabulary  # the values and their labels are the same in every saved pack
        kinds: dict[str, Mapping[str, Term]] = {"level": vocabulary.levels, "personal_data": vocabulary.personal_data,
                                                "destination": vocabulary.destinations}
        found = kinds[kind].get(value or "")
        return found.label.get(self.language) if found is not None else (value or "—")

    def redirect(self, location: str, flash: str | None = None) -> web.Response:
        """POST-redirect-GET to `location` (a path under /app), with a one-shot message."""
        if not location.startswith(PREFIX + "/"):
            raise ValueError(f"redirect to {location!r} leaves the admin pages")
        response = web.Response(status=303, headers={"Location": location})
        if flash is not None:
            set_flash(response, self.request, self.deps, flash)
        return response


def language_switch_base(request: web.Request) -> str:
    """Where the language links lead, up to `lang=`: this page with its filters and page position; after a form
    (whose address only takes a POST, like .../start) the page the form was on."""
    path = request.path
    if request.method != "GET":
        if not _answers_get(request):
            path = path.rstrip("/").rpartition("/")[0] or PREFIX + "/"
        return f"{path}?"
    kept = urlencode([(name, value) for name, value in request.query.items() if name != "lang"])
    return f"{path}?{kept}&" if kept else f"{path}?"


def _answers_get(request: web.Request) -> bool:
    current = request.match_info.route.resource
    if current is None:
        return False
    return any(route.method == "GET" for resource in request.match_info.current_app.router.resources()
               if resource.canonical == current.canonical for route in resource)


PageHandler = Callable[[PageCall], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Page:
    """One page route; `nav` is the strings key of its entry in the navigation, if it has one."""

    method: Method
    path: str
    access: Role
    handler: PageHandler
    nav: str | None = None

    @property
    def url(self) -> str:
        return PREFIX + self.path


class PageRegistry:
    """Pages in declaration order; a (method, path) pair may be declared once."""

    def __init__(self) -> None:
        self.pages: list[Page] = []

    def page(self, method: Method, path: str, *, access: Role,
             nav: str | None = None) -> Callable[[PageHandler], PageHandler]:
        if not path.startswith("/"):
            raise ValueError(f"page path {path!r} must start with /")
        if any(p.method == method and p.path == path for p in self.pages):
            raise ValueError(f"{method} {path} is declared twice")

        def register(handler: PageHandler) -> PageHandler:
            self.pages.append(Page(method=method, path=path, access=access, handler=handler, nav=nav))
            return handler

        return register

    def nav_for(self, caller: Caller, current: str) -> list[dict[str, Any]]:
        """The navigation entries `caller` may open, the current one marked."""
        return [{"url": p.url, "label": p.nav,
                 "current": current == p.url or (p.path != "/" and current.startswith(p.url + "/"))}
                for p in sorted(self.pages, key=_nav_position) if p.nav is not None and caller.may(p.access)]


def _nav_position(page: Page) -> int:
    return NAV_ORDER.index(page.nav) if page.nav in NAV_ORDER else len(NAV_ORDER)


PAGES = PageRegistry()
