"""The oapi directory (users, departments, paging, free-login) and the reminder channels."""

from __future__ import annotations

import pytest
from aiohttp import web

from bot.dingtalk import DingTalkClient, DingTalkNotFoundError, DingTalkTransientError
from tests.bot.dingtalk.fakes import FakeDingTalk, api_ok, oapi_error, oapi_ok

USER_GET = "/topapi/v2/user/get"
DEPT_GET = "/topapi/v2/department/get"
LISTSUB = "/topapi/v2/department/listsub"
USER_LIST = "/topapi/v2/user/list"
BY_CODE = "/topapi/v2/user/getuserinfo"
WORK_NOTICE = "/topapi/message/corpconversation/asyncsend_v2"

USER = {"userid": "manager1234", "unionid": "z21HjQli", "name": "张三", "title": "工程师",
        "manager_userid": "boss001", "dept_id_list": [932988755],
        "dept_order_list": [{"dept_id": 932988755, "order": 0}],
        "leader_in_dept": [{"dept_id": 932988755, "leader": False}], "admin": False, "boss": False, "active": True,
        "job_number": "7", "mobile": "123", "hired_date": 1640000000000}


async def test_get_user_uses_the_query_token_and_parses_the_result(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.script("POST", USER_GET, oapi_ok(result=USER))

    user = await client.get_user("manager1234")

    assert user.userid == "manager1234" and user.unionid == "z21HjQli" and user.manager_userid == "boss001"
    assert user.dept_id_list == (932988755,)
    assert user.leader_in_dept[0].dept_id == 932988755 and not user.leader_in_dept[0].leader
    [call] = fake.calls(USER_GET)
    assert call.query == {"access_token": "tok-1"}
    assert "x-acs-dingtalk-access-token" not in call.headers
    assert call.body == {"userid": "manager1234", "language": "zh_CN"}


async def test_unknown_user_and_department_are_not_found(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", USER_GET, oapi_error(60121, "找不到该用户"))
    fake.script("POST", DEPT_GET, oapi_error(60003, "部门不存在"))

    with pytest.raises(DingTalkNotFoundError):
        await client.get_user("nobody")
    with pytest.raises(DingTalkNotFoundError):
        await client.get_department(404)


async def test_departments(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", DEPT_GET, oapi_ok(result={"dept_id": 1, "name": "總公司", "member_count": 9,
                                                  "dept_manager_userid_list": ["boss001"]}))
    fake.script("POST", LISTSUB, oapi_ok(result=[{"dept_id": 2, "name": "法務", "parent_id": 1,
                                                  "create_dept_group": True, "auto_add_user": True}]))

    root = await client.get_department(1)
    children = await client.list_sub_departments(1)

    assert root.parent_id is None and root.dept_manager_userid_list == ("boss001",)
    assert [(c.dept_id, c.name, c.parent_id) for c in children] == [(2, "法務", 1)]


async def test_department_users_follow_the_cursor(fake: FakeDingTalk, client: DingTalkClient) -> None:
    async def page(request: web.Request) -> web.StreamResponse:
        cursor = (await request.json())["cursor"]
        users = {0: ["a", "b"], 2: ["c", "d"], 4: ["e"]}[cursor]
        result = {"has_more": cursor < 4, "list": [{"userid": u, "name": u.upper(), "leader": u == "a"} for u in users]}
        if cursor < 4:
            result["next_cursor"] = cursor + 2
        return web.json_response({"errcode": 0, "errmsg": "ok", "result": result})

    fake.script("POST", USER_LIST, page)

    members = await client.list_department_users(7)

    assert [m.userid for m in members] == ["a", "b", "c", "d", "e"]
    assert members[0].leader and not members[1].leader
    assert [c.body["cursor"] for c in fake.calls(USER_LIST)] == [0, 2, 4]
    assert {c.body["size"] for c in fake.calls(USER_LIST)} == {100}


async def test_paging_without_a_next_cursor_stops_with_an_error(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", USER_LIST, oapi_ok(result={"has_more": True, "list": [{"userid": "a"}]}))

    with pytest.raises(DingTalkTransientError, match="next_cursor"):
        await client.list_department_users(7)
    assert len(fake.calls(USER_LIST)) == 1


async def test_free_login_code(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", BY_CODE, oapi_ok(result={"userid": "u1", "unionid": "un1", "associated_unionid": "x",
                                                 "name": "張三", "device_id": "d", "sys": True, "sys_level": 2}))

    user = await client.user_id_by_auth_code("auth-code-1")

    assert (user.userid, user.unionid, user.name, user.sys_level) == ("u1", "un1", "張三", 2)
    assert fake.calls(BY_CODE)[0].body == {"code": "auth-code-1"}


async def test_work_notification(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", WORK_NOTICE, oapi_ok(task_id=256271667526))
    msg = {"msgtype": "markdown", "markdown": {"title": "提醒", "text": "## 請處理"}}

    task_id = await client.send_work_notification(123456789, ["user001", "user002"], msg)

    assert task_id == 256271667526
    [call] = fake.calls(WORK_NOTICE)
    assert call.body == {"agent_id": 123456789, "userid_list": "user001,user002", "to_all_user": False, "msg": msg}
    with pytest.raises(ValueError):
        await client.send_work_notification(1, [f"u{i}" for i in range(101)], msg)
    with pytest.raises(ValueError):
        await client.send_work_notification(1, [], msg)


async def test_create_todo(fake: FakeDingTalk, client: DingTalkClient) -> None:
    path = "/v1.0/todo/users/union+1/tasks"
    fake.script("POST", path, api_ok({"id": "task-9", "subject": "s", "done": False, "requestId": "r"}))

    todo_id = await client.create_todo("union+1", "請覆核資料分類", description="PDPA 第 8/2005 號法律",
                                       due_time_ms=1700000000000, detail_url="https://bot.example/r/1",
                                       source_id="reminder-1")

    assert todo_id == "task-9"
    [call] = fake.calls(path)
    assert call.query == {"operatorId": "union+1"}
    assert call.headers["x-acs-dingtalk-access-token"] == "tok-1"
    assert call.body == {
        "subject": "請覆核資料分類", "executorIds": ["union+1"], "description": "PDPA 第 8/2005 號法律",
        "dueTime": 1700000000000, "detailUrl": {"appUrl": "https://bot.example/r/1", "pcUrl": "https://bot.example/r/1"},
        "sourceId": "reminder-1",
    }
