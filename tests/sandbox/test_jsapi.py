"""The stand-in for DingTalk's JSAPI script: served with the org's corpId, and the picker's two control routes
open to the pages' origin (a preflight, then the answer), the rest of the control API not."""

from __future__ import annotations

import aiohttp

from sandbox import Sandbox

PAGE = "http://127.0.0.1:8080"  # the bot's admin pages, another origin


async def test_dd_js_is_served_with_the_sandboxs_corp_id(http: aiohttp.ClientSession, sandbox: Sandbox) -> None:
    async with http.get("/_sandbox/dd.js") as response:
        text = await response.text()
        assert response.status == 200 and response.content_type == "text/javascript"
    assert f'var CORP_ID = "{sandbox.config.corp_id}";' in text
    assert "requestAuthCode" in text and "runtime" in text and "__CORP_ID__" not in text


async def test_the_picker_may_list_the_org_and_mint_a_code_from_another_origin(http: aiohttp.ClientSession) -> None:
    preflight = {"Origin": PAGE, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"}
    async with http.options("/_sandbox/api/auth-codes", headers=preflight) as response:
        assert response.status == 204
        assert response.headers["Access-Control-Allow-Origin"] == PAGE
        assert "POST" in response.headers["Access-Control-Allow-Methods"]
    async with http.post("/_sandbox/api/auth-codes", json={"userId": "admin.wong"},
                         headers={"Origin": PAGE}) as response:
        assert response.status == 200 and response.headers["Access-Control-Allow-Origin"] == PAGE
        assert (await response.json())["authCode"]
    async with http.get("/_sandbox/api/org", headers={"Origin": PAGE}) as response:
        assert response.headers["Access-Control-Allow-Origin"] == PAGE
        assert any(user["userId"] == "admin.wong" for user in (await response.json())["users"])
    async with http.post("/_sandbox/api/reset", headers={"Origin": PAGE}) as response:
        assert "Access-Control-Allow-Origin" not in response.headers
