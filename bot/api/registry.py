"""The route registry: each route declares its method, path, the role it needs and its pydantic models.

The endpoint wrapper (`bot.api.endpoint`) enforces what a route declares, and `bot.api.openapi` describes
it, both from the same `Route`, so the document cannot drift from what is checked.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from bot.api.deps import ApiDeps
from handlers.api.caller import Access, Caller
from handlers.api.models import Download, NoBody, NoPath

Q = TypeVar("Q", bound=BaseModel)
B = TypeVar("B", bound=BaseModel)
P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)
Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
_PATH_PARAM = re.compile(r"{([A-Za-z][A-Za-z0-9]*)}")


@dataclass(frozen=True)
class ApiCall(Generic[Q, B, P]):
    """One validated request, as a route's handler sees it: `path` holds the path's `{parameters}`."""

    request: web.Request
    deps: ApiDeps
    session: AsyncSession
    caller: Caller | None
    query: Q
    body: B
    path: P
    now: datetime

    @property
    def user(self) -> Caller:
        """The signed-in caller; only for routes whose access is not public."""
        if self.caller is None:
            raise RuntimeError("a public route asked for the signed-in caller")
        return self.caller


Handler = Callable[[ApiCall[Q, B, P]], Awaitable[R]]


@dataclass(frozen=True)
class Route(Generic[Q, B, P, R]):
    """What one route declares; `NoQuery` / `NoBody` / `NoPath` for a route that reads no query, body or path
    parameters. A `Download` response is sent as a file of one of the `media_types`, not as JSON."""

    method: Method
    path: str
    access: Access
    query: type[Q]
    body: type[B]
    response: type[R]
    handler: Handler[Q, B, P, R]
    path_params: type[P]
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    rate_limited: bool = False
    statuses: tuple[int, ...] = field(default=())  # error statuses the route can answer besides the common ones
    media_types: tuple[str, ...] = ("application/json",)

    @property
    def reads_body(self) -> bool:
        return self.body is not NoBody

    @property
    def downloads(self) -> bool:
        return issubclass(self.response, Download)

    @property
    def operation_id(self) -> str:
        return self.handler.__name__


class ApiRegistry:
    """Routes in declaration order; a (method, path) pair may be declared once."""

    def __init__(self, title: str, version: str, prefix: str) -> None:
        self.title, self.version, self.prefix = title, version, prefix.rstrip("/")
        self.routes: list[Route[Any, Any, Any, Any]] = []

    def route(
        self, method: Method, path: str, *, access: Access, query: type[Q], body: type[B], response: type[R],
        summary: str, path_params: type[P] = NoPath,  # type: ignore[assignment]
        tags: tuple[str, ...] = (), rate_limited: bool = False, statuses: tuple[int, ...] = (),
        media_types: tuple[str, ...] = ("application/json",),
    ) -> Callable[[Handler[Q, B, P, R]], Handler[Q, B, P, R]]:
        """Declare a route; use as a decorator on its handler. Each `{name}` in `path` must be a field of
        `path_params` (by its camelCase wire name) and the other way round."""
        if not path.startswith("/"):
            raise ValueError(f"route path {path!r} must start with /")
        named = set(_PATH_PARAM.findall(path))
        fields = {info.alias or name for name, info in path_params.model_fields.items()}
        if named != fields:
            raise ValueError(f"{method} {path}: path parameters {sorted(named)} but model fields {sorted(fields)}")
        if any(r.method == method and r.path == path for r in self.routes):
            raise ValueError(f"{method} {path} is declared twice")

        def register(handler: Handler[Q, B, P, R]) -> Handler[Q, B, P, R]:
            self.routes.append(Route(method=method, path=path, access=access, query=query, body=body,
                                     response=response, handler=handler, path_params=path_params, summary=summary,
                                     description=(handler.__doc__ or "").strip(), tags=tags,
                                     rate_limited=rate_limited, statuses=statuses, media_types=media_types))
            return handler

        return register
