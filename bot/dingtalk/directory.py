"""The org directory on oapi (dingtalk-wire.md 5.2, 5.3, 6.2): users, departments, free-login codes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, Generic, TypeVar

from pydantic import Field

from bot.dingtalk.core import ClientCore
from bot.dingtalk.models import (
    Department,
    DepartmentMember,
    DepartmentSummary,
    DirectoryUser,
    FreeLoginUser,
    WireModel,
)
from bot.dingtalk.transport import ApiRequest

USER_GET_ROUTE = "/topapi/v2/user/get"
DEPARTMENT_GET_ROUTE = "/topapi/v2/department/get"
DEPARTMENT_LISTSUB_ROUTE = "/topapi/v2/department/listsub"
USER_LIST_ROUTE = "/topapi/v2/user/list"
USER_BY_CODE_ROUTE = "/topapi/v2/user/getuserinfo"
USER_LIST_MAX_PAGE = 100

R = TypeVar("R")


class OapiResult(WireModel, Generic[R]):
    """The `result` member of an oapi answer; errcode has already been checked."""

    result: R


class _MemberPage(WireModel):
    has_more: bool = False
    next_cursor: int | None = None
    members: tuple[DepartmentMember, ...] = Field(default=(), alias="list")


class DirectoryApi(ClientCore):
    """Who is who: users, their managers, departments and their heads."""

    async def get_user(self, user_id: str, *, language: str = "zh_CN") -> DirectoryUser:
        """A user's details; `DingTalkNotFoundError` if there is no such user (60121)."""
        body = {"userid": user_id, "language": language}
        return await self._oapi_result(USER_GET_ROUTE, body, OapiResult[DirectoryUser])

    async def get_department(self, dept_id: int, *, language: str = "zh_CN") -> Department:
        """A department and its heads; `DingTalkNotFoundError` if there is none (60003)."""
        body = {"dept_id": dept_id, "language": language}
        return await self._oapi_result(DEPARTMENT_GET_ROUTE, body, OapiResult[Department])

    async def list_sub_departments(self, dept_id: int, *, language: str = "zh_CN") -> list[DepartmentSummary]:
        """The direct children of a department."""
        body = {"dept_id": dept_id, "language": language}
        children = await self._oapi_result(DEPARTMENT_LISTSUB_ROUTE, body,
                                           OapiResult[tuple[DepartmentSummary, ...]])
        return list(children)

    async def iter_department_users(self, dept_id: int, *, page_size: int = USER_LIST_MAX_PAGE,
                                    language: str = "zh_CN") -> AsyncIterator[DepartmentMember]:
        """The members of one department (not its sub-departments), page by page."""
        if not 1 <= page_size <= USER_LIST_MAX_PAGE:
            raise ValueError(f"page_size must be 1 to {USER_LIST_MAX_PAGE}")
        cursor = 0
        while True:
            body = {"dept_id": dept_id, "cursor": cursor, "size": page_size, "language": language}
            page = await self._oapi_result(USER_LIST_ROUTE, body, OapiResult[_MemberPage])
            for member in page.members:
                yield member
            if not page.has_more:
                return
            if page.next_cursor is None or page.next_cursor == cursor:
                # A has_more without a new cursor would loop forever.
                req = ApiRequest(host="oapi", method="POST", route=USER_LIST_ROUTE)
                raise self._malformed(req, "has_more without a new next_cursor")
            cursor = page.next_cursor

    async def list_department_users(self, dept_id: int, *, language: str = "zh_CN") -> list[DepartmentMember]:
        """All members of one department (not its sub-departments)."""
        return [member async for member in self.iter_department_users(dept_id, language=language)]

    async def user_id_by_auth_code(self, code: str) -> FreeLoginUser:
        """Who opened the H5 app, from the one-time free-login code (valid 5 minutes)."""
        return await self._oapi_result(USER_BY_CODE_ROUTE, {"code": code}, OapiResult[FreeLoginUser])

    async def _oapi_result(self, route: str, body: Mapping[str, Any], model: type[OapiResult[R]]) -> R:
        req = ApiRequest(host="oapi", method="POST", route=route, body=body)
        return self._parse(model, await self._call(req), req).result
