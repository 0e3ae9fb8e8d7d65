"""Directory lookups on oapi (wire reference 5.2, 5.3) and the free-login code exchange (6.2)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox import errors
from sandbox.bodies import json_body
from sandbox.org import Department, Org, User
from sandbox.state import STATE

MAX_PAGE = 100


def _user(org: Org, body: dict[str, Any], field: str = "userid") -> User:
    userid = body.get(field)
    if not userid:
        raise errors.OapiError(40035, f"缺少参数 {field}")
    user = org.users.get(str(userid))
    if user is None:
        raise errors.OapiError(60121, "找不到该用户")
    return user


def _dept(org: Org, body: dict[str, Any]) -> Department:
    try:
        dept_id = int(body.get("dept_id", ""))
    except (TypeError, ValueError):
        raise errors.OapiError(40035, "缺少参数 dept_id") from None
    dept = org.departments.get(dept_id)
    if dept is None:
        raise errors.OapiError(60003, "部门不存在")
    return dept


async def user_get(request: web.Request) -> web.Response:
    org = request.app[STATE].org
    return errors.ok(_user(org, await json_body(request)).detail())


async def department_get(request: web.Request) -> web.Response:
    org = request.app[STATE].org
    return errors.ok(org.department_detail(_dept(org, await json_body(request))))


async def department_listsub(request: web.Request) -> web.Response:
    org = request.app[STATE].org
    dept = _dept(org, await json_body(request))
    children = [
        {"dept_id": d.dept_id, "name": d.name, "parent_id": dept.dept_id, "create_dept_group": False,
         "auto_add_user": True}
        for d in org.children_of(dept.dept_id)
    ]
    return errors.ok(children)


async def department_listsubid(request: web.Request) -> web.Response:
    org = request.app[STATE].org
    dept = _dept(org, await json_body(request))
    return errors.ok({"dept_id_list": [d.dept_id for d in org.children_of(dept.dept_id)]})


async def user_list(request: web.Request) -> web.Response:
    """Members of one department (not its sub-departments), ``size`` at a time from ``cursor``."""
    org = request.app[STATE].org
    body = await json_body(request)
    dept = _dept(org, body)
    try:
        cursor, size = int(body.get("cursor", 0)), int(body.get("size", 0))
    except (TypeError, ValueError):
        raise errors.OapiError(40035, "不合法的参数 cursor/size") from None
    if not 1 <= size <= MAX_PAGE or cursor < 0:
        raise errors.OapiError(40035, f"size must be 1..{MAX_PAGE}")
    members = org.members_of(dept.dept_id)
    page = members[cursor:cursor + size]
    result: dict[str, Any] = {"has_more": cursor + size < len(members),
                              "list": [u.listing(dept.dept_id) for u in page]}
    if result["has_more"]:
        result["next_cursor"] = cursor + size
    return errors.ok(result)


async def listparentbyuser(request: web.Request) -> web.Response:
    org = request.app[STATE].org
    user = _user(org, await json_body(request))
    paths = [{"parent_dept_id_list": org.path_to_root(d)} for d in user.dept_id_list]
    return errors.ok({"parent_list": paths})


async def getbyunionid(request: web.Request) -> web.Response:
    org = request.app[STATE].org
    body = await json_body(request)
    user = org.by_union.get(str(body.get("unionid", "")))
    if user is None:
        raise errors.OapiError(60121, "找不到该用户")
    return errors.ok({"contact_type": 0, "userid": user.userid})


async def getuserinfo(request: web.Request) -> web.Response:
    """Exchange a free-login code (single use, a few minutes) for the user."""
    state = request.app[STATE]
    body = await json_body(request)
    userid = state.auth_codes.redeem(str(body.get("code", "")))
    user = state.org.users.get(userid) if userid else None
    if user is None:
        raise errors.OapiError(40078, "不存在的临时授权码")
    sys_level = 1 if user.admin else 100 if user.boss else 0
    return errors.ok({"userid": user.userid, "unionid": user.unionid, "associated_unionid": "",
                      "name": user.name, "device_id": "sandbox-device", "sys": sys_level != 0,
                      "sys_level": sys_level})


def routes() -> list[web.RouteDef]:
    return [
        web.post("/topapi/v2/user/get", user_get),
        web.post("/topapi/v2/department/get", department_get),
        web.post("/topapi/v2/department/listsub", department_listsub),
        web.post("/topapi/v2/department/listsubid", department_listsubid),
        web.post("/topapi/v2/user/list", user_list),
        web.post("/topapi/v2/department/listparentbyuser", listparentbyuser),
        web.post("/topapi/user/getbyunionid", getbyunionid),
        web.post("/topapi/v2/user/getuserinfo", getuserinfo),
    ]
