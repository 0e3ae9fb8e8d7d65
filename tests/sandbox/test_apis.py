"""The OpenAPI side: tokens and error shapes per host, robot sends, files, directory, faults and throttling."""

from __future__ import annotations

import base64
import json
from typing import Any

import aiohttp

from tests.sandbox.conftest import SandboxFactory
from tests.sandbox.streamclient import StreamClient, data_of

API = "/_sandbox/api/"
BATCH = "/v1.0/robot/oToMessages/batchSend"


def batch(user_ids: list[str], **extra: Any) -> dict[str, Any]:
    return {"robotCode": "sandbox-client-id", "userIds": user_ids, "msgKey": "sampleMarkdown",
            "msgParam": json.dumps({"title": "提醒", "text": "## 請簽署"}), **extra}


def auth(token: str) -> dict[str, str]:
    return {"x-acs-dingtalk-access-token": token}


async def test_new_api_token_errors(http: aiohttp.ClientSession, token: str) -> None:
    missing = await http.post(BATCH, json=batch(["lei.mei"]))
    assert missing.status == 400 and (await missing.json())["code"] == "AuthenticationFailed.MissingParameter"
    bad = await http.post(BATCH, json=batch(["lei.mei"]), headers=auth("bad"))
    assert bad.status == 400 and set(await bad.json()) == {"code", "message", "requestid"}
    assert (await http.post(BATCH, json=batch(["lei.mei"]), headers=auth(token))).status == 200
    await http.post(API + "tokens/revoke")
    revoked = await http.post(BATCH, json=batch(["lei.mei"]), headers=auth(token))
    assert revoked.status == 400 and (await revoked.json())["code"] == "InvalidAuthentication"


async def test_oapi_token_errors_are_http_200(http: aiohttp.ClientSession) -> None:
    response = await http.post("/topapi/v2/user/get", json={"userid": "lei.mei"}, params={"access_token": "bad"})
    body = await response.json()
    assert response.status == 200 and (body["errcode"], body["sub_code"]) == (88, "40014")
    blank = await (await http.post("/topapi/v2/user/get", json={"userid": "lei.mei"})).json()
    assert (blank["errcode"], blank["sub_code"]) == (88, "40000")


async def test_tokens_from_both_hosts(http: aiohttp.ClientSession) -> None:
    legacy = await (await http.get("/gettoken", params={"appkey": "sandbox-client-id",
                                                        "appsecret": "sandbox-client-secret"})).json()
    assert legacy["errcode"] == 0 and legacy["expires_in"] == 7200
    wrong = await (await http.get("/gettoken", params={"appkey": "x", "appsecret": "y"})).json()
    assert wrong["errcode"] == 40096
    bad = await http.post("/v1.0/oauth2/accessToken", json={"appKey": "x", "appSecret": "y"})
    assert bad.status == 400 and (await bad.json())["code"] == "invalidClientIdOrSecret"
    new = await (await http.post("/v1.0/oauth2/accessToken", json={"appKey": "sandbox-client-id",
                                                                  "appSecret": "sandbox-client-secret"})).json()
    assert new == {"accessToken": legacy["access_token"], "expireIn": 7200}


async def test_batch_send_validations(http: aiohttp.ClientSession, token: str) -> None:
    wrong_robot = await http.post(BATCH, json=batch(["lei.mei"], robotCode="other"), headers=auth(token))
    assert (await wrong_robot.json())["code"] == "invalidParameter.robotCode.auth"
    too_many = await http.post(BATCH, json=batch(["lei.mei"] * 21), headers=auth(token))
    assert too_many.status == 400
    not_string = await http.post(BATCH, json=batch(["lei.mei"], msgParam={"title": "t"}), headers=auth(token))
    assert (await not_string.json())["code"] == "invalidParameter.msgParam.invalid"
    ok = await (await http.post(BATCH, json=batch(["lei.mei", "ghost"]), headers=auth(token))).json()
    assert ok["invalidStaffIdList"] == ["ghost"] and ok["processQueryKey"]
    chat = await (await http.get(API + "chats/lei.mei")).json()
    assert chat["entries"][-1]["display"] == {"type": "markdown", "title": "提醒", "text": "## 請簽署"}


async def test_session_webhook_reply_and_expiry(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    await http.post(API + "messages", json={"userId": "lam.siuyin", "text": "hello"})
    webhook = data_of(await bot.frame())["sessionWebhook"]
    reply = await http.post(webhook, json={"msgtype": "text", "text": {"content": "收到"}})
    assert await reply.json() == {"errcode": 0, "errmsg": "ok"}
    chat = await (await http.get(API + "chats/lam.siuyin")).json()
    assert chat["entries"][-1]["display"] == {"type": "text", "text": "收到"}
    await http.post(API + "clock/advance", json={"seconds": 91 * 60})
    late = await (await http.post(webhook, json={"msgtype": "text", "text": {"content": "x"}})).json()
    assert late["errcode"] != 0


async def test_group_messages_reach_the_bot_only_when_at(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    cid = "cidHRteamSandbox0001Q=="
    quiet = await (await http.post(API + "group-messages", json={"conversationId": cid, "userId": "lei.mei",
                                                                  "text": "lunch?", "atBot": False})).json()
    assert quiet["messageId"] is None
    replied = {"msgType": "file", "msgId": "msgX", "content": {"fileName": "a.pdf", "downloadCode": "dc"}}
    await http.post(API + "group-messages", json={"conversationId": cid, "userId": "lei.mei", "text": "看看",
                                                  "atBot": True, "repliedMsg": replied})
    data = data_of(await bot.frame())
    assert data["conversationType"] == "2" and data["isInAtList"] is True and data["conversationTitle"]
    assert data["text"]["content"] == " 看看" and data["text"]["repliedMsg"] == replied


async def test_file_download_round_trip(http: aiohttp.ClientSession, token: str, bot: StreamClient) -> None:
    content = "員工名單 staff list\n".encode() * 100
    await http.post(API + "messages", json={"userId": "lei.mei", "file": {
        "fileName": "名單.xlsx", "contentBase64": base64.b64encode(content).decode()}})
    data = data_of(await bot.frame())
    assert data["msgtype"] == "file" and set(data["content"]) == {"spaceId", "fileName", "downloadCode", "fileId"}
    response = await http.post("/v1.0/robot/messageFiles/download", headers=auth(token),
                               json={"downloadCode": data["content"]["downloadCode"],
                                     "robotCode": "sandbox-client-id"})
    url = (await response.json())["downloadUrl"]
    async with aiohttp.ClientSession() as plain:  # no token header, as on DingTalk
        assert await (await plain.get(url)).read() == content


async def test_multipart_upload_from_the_page(http: aiohttp.ClientSession, bot: StreamClient) -> None:
    form = aiohttp.FormData()
    form.add_field("userId", "lei.mei")
    form.add_field("file", b"%PDF-1.4", filename="policy.pdf")
    body = await (await http.post(API + "messages", data=form)).json()
    assert body["delivered"] is True
    assert data_of(await bot.frame())["content"]["fileName"] == "policy.pdf"


async def test_directory(http: aiohttp.ClientSession, token: str) -> None:
    async def call(path: str, body: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await (await http.post(path, json=body, params={"access_token": token})).json()
        return result

    assert (await call("/topapi/v2/user/get", {"userid": "ghost"}))["errcode"] == 60121
    user = (await call("/topapi/v2/user/get", {"userid": "cheang.kawai"}))["result"]
    assert user["manager_userid"] == "lei.mei" and user["unionid"] == "union-cheang-kawai"
    dept = (await call("/topapi/v2/department/get", {"dept_id": 5}))["result"]
    assert dept["dept_manager_userid_list"] == ["ho.sioklan"] and dept["parent_id"] == 1
    assert (await call("/topapi/v2/department/listsubid", {"dept_id": 5}))["result"] == {"dept_id_list": [6]}
    subs = (await call("/topapi/v2/department/listsub", {"dept_id": 1}))["result"]
    assert [d["dept_id"] for d in subs] == [2, 3, 4, 5]
    page1 = (await call("/topapi/v2/user/list", {"dept_id": 3, "cursor": 0, "size": 2}))["result"]
    page2 = (await call("/topapi/v2/user/list", {"dept_id": 3, "cursor": page1["next_cursor"], "size": 2}))["result"]
    assert page1["has_more"] is True and page2["has_more"] is False
    assert len(page1["list"]) + len(page2["list"]) == 3
    parents = (await call("/topapi/v2/department/listparentbyuser", {"userid": "ieong.weng"}))["result"]
    assert parents == {"parent_list": [{"parent_dept_id_list": [6, 5, 1]}]}
    by_union = (await call("/topapi/user/getbyunionid", {"unionid": "union-lei-mei"}))["result"]
    assert by_union == {"contact_type": 0, "userid": "lei.mei"}


async def test_free_login_code_is_single_use_and_expires(http: aiohttp.ClientSession, token: str) -> None:
    path, params = "/topapi/v2/user/getuserinfo", {"access_token": token}
    code = (await (await http.post(API + "auth-codes", json={"userId": "admin.wong"})).json())["authCode"]
    first = await (await http.post(path, json={"code": code}, params=params)).json()
    assert first["result"]["userid"] == "admin.wong" and first["result"]["sys_level"] == 1
    assert (await (await http.post(path, json={"code": code}, params=params)).json())["errcode"] != 0
    stale = (await (await http.post(API + "auth-codes", json={"userId": "lei.mei"})).json())["authCode"]
    await http.post(API + "clock/advance", json={"seconds": 301})
    assert (await (await http.post(path, json={"code": stale}, params=params)).json())["errcode"] != 0


async def test_faults_per_host(http: aiohttp.ClientSession, token: str) -> None:
    await http.post(API + "faults", json={"method": "POST", "path": BATCH, "kind": "server_error", "count": 1})
    await http.post(API + "faults", json={"path": "/topapi/v2/user/get", "kind": "throttle", "count": 1})
    await http.post(API + "faults", json={"path": "/v1.0/card/instances", "status": 503, "body": {"x": 1}})
    failed = await http.post(BATCH, json=batch(["lei.mei"]), headers=auth(token))
    assert failed.status == 500 and (await failed.json())["code"] == "system.busy"
    assert (await http.post(BATCH, json=batch(["lei.mei"]), headers=auth(token))).status == 200
    throttled = await http.post("/topapi/v2/user/get", json={"userid": "lei.mei"}, params={"access_token": token})
    assert throttled.status == 200 and (await throttled.json())["errcode"] == 90018
    raw = await http.put("/v1.0/card/instances", json={}, headers=auth(token))
    assert raw.status == 503 and await raw.json() == {"x": 1}
    await http.post(API + "faults", json={"path": BATCH, "kind": "invalid_token"})
    await http.delete(API + "faults")
    assert (await http.post(BATCH, json=batch(["lei.mei"]), headers=auth(token))).status == 200


async def test_rate_limit_gives_the_real_throttling_error(make_sandbox: SandboxFactory) -> None:
    sandbox = await make_sandbox(rate_limits={BATCH: 2.0})
    async with aiohttp.ClientSession(base_url=sandbox.url) as http:
        token = (await (await http.post("/v1.0/oauth2/accessToken", json={
            "appKey": "sandbox-client-id", "appSecret": "sandbox-client-secret"})).json())["accessToken"]
        statuses = [(await http.post(BATCH, json=batch(["lei.mei"]), headers=auth(token))).status for _ in range(4)]
        assert statuses[:2] == [200, 200] and 403 in statuses[2:]
        calls = await (await http.get(API + "calls", params={"path": BATCH})).json()
        throttled = [c for c in calls["calls"] if c["status"] == 403]
        assert throttled[0]["response"]["code"] == "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"


async def test_unknown_paths_per_host(http: aiohttp.ClientSession, token: str) -> None:
    api = await http.post("/v1.0/robot/nothing", json={}, headers=auth(token))
    assert api.status == 404
    oapi = await http.post("/topapi/v2/user/notexist", json={}, params={"access_token": token})
    assert oapi.status == 200 and (await oapi.json())["errcode"] == 22


async def test_notice_and_todo_stubs(http: aiohttp.ClientSession, token: str) -> None:
    notice = await (await http.post("/topapi/message/corpconversation/asyncsend_v2", params={"access_token": token},
                                    json={"agent_id": 1, "userid_list": "lei.mei",
                                          "msg": {"msgtype": "text", "text": {"content": "提醒"}}})).json()
    assert notice["errcode"] == 0 and isinstance(notice["task_id"], int)
    todo = await (await http.post("/v1.0/todo/users/union-lei-mei/tasks", headers=auth(token),
                                  params={"operatorId": "union-lei-mei"},
                                  json={"subject": "簽署", "executorIds": ["union-lei-mei"]})).json()
    assert todo["id"] and todo["done"] is False and todo["subject"] == "簽署"


async def test_calls_are_recorded_and_waitable(http: aiohttp.ClientSession, token: str) -> None:
    since = (await (await http.get(API + "calls")).json())["next"]
    timeout = await http.post(API + "wait", json={"path": BATCH, "since": since, "timeout": 0.05})
    assert timeout.status == 408
    await http.post(BATCH, json=batch(["lei.mei"]), headers=auth(token))
    waited = await (await http.post(API + "wait", json={"path": BATCH, "method": "POST", "since": since})).json()
    call = waited["calls"][0]
    assert call["body"]["userIds"] == ["lei.mei"] and call["status"] == 200 and "processQueryKey" in call["response"]
