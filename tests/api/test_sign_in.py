"""POST /auth/dingtalk: free-login codes from the sandbox, single use, rate limited, never logged."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from bot.api.limits import RateLimit
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient

SIGN_IN = "/auth/dingtalk"


async def test_a_code_becomes_a_token_for_the_person_with_their_role(api: ApiClient) -> None:
    for user_id, role in ((EMPLOYEE, "employee"), (MANAGER, "manager"), (ADMIN, "admin")):
        status, body, _ = await api.call("POST", SIGN_IN, json={"authCode": await api.auth_code(user_id)})
        assert status == 200, body
        assert body["tokenType"] == "Bearer" and body["user"]["userId"] == user_id and body["user"]["role"] == role
        expires = datetime.fromisoformat(body["expiresAt"])
        assert abs((expires - datetime.now(UTC)).total_seconds() - 8 * 3600) < 5
        assert abs(body["expiresIn"] - 8 * 3600) < 5
        me = await api.call("GET", "/me", token=body["token"])
        assert me[0] == 200 and me[1]["role"] == role


async def test_a_bad_code_and_a_replayed_code_get_401(
    api: ApiClient, make_api: Callable[..., Awaitable[ApiClient]]
) -> None:
    status, body, _ = await api.call("POST", SIGN_IN, json={"authCode": "not-a-code"})
    assert status == 401 and "invalid, expired or already used" in body["detail"]

    code = await api.auth_code(EMPLOYEE)
    assert (await api.call("POST", SIGN_IN, json={"authCode": code}))[0] == 200
    assert (await api.call("POST", SIGN_IN, json={"authCode": code}))[0] == 401  # refused by this API itself
    calls = await api.control.calls("/topapi/v2/user/getuserinfo")
    assert len(calls) == 2  # the bad code and the first use; the replay never reached DingTalk

    # Another replica has not seen the code: DingTalk (here the sandbox) refuses it there.
    other = await make_api()
    assert (await other.call("POST", SIGN_IN, json={"authCode": code}))[0] == 401


async def test_sign_in_requests_are_validated(api: ApiClient) -> None:
    status, body, _ = await api.call("POST", SIGN_IN, json={})
    assert status == 400 and body["errors"] == [{"field": "authCode", "in": "body", "message": "is required"}]
    status, body, _ = await api.call("POST", SIGN_IN, json={"authCode": "x", "extra": 1})
    assert status == 400 and [e["field"] for e in body["errors"]] == ["extra"]
    status, body, _ = await api.call("POST", SIGN_IN, data=b"{not json", headers={"Content-Type": "application/json"})
    assert status == 400 and body["errors"][0]["in"] == "body"
    status, body, _ = await api.call("POST", SIGN_IN, data=b"authCode=x",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 415


async def test_sign_in_is_rate_limited_per_address(make_api: Callable[..., Awaitable[ApiClient]]) -> None:
    api = await make_api(sign_in_limit=RateLimit(burst=2, per_minute=1))
    for _ in range(2):
        assert (await api.call("POST", SIGN_IN, json={"authCode": "nope"}))[0] == 401
    status, body, response = await api.call("POST", SIGN_IN, json={"authCode": await api.auth_code(EMPLOYEE)})
    assert status == 429 and int(response.headers["Retry-After"]) > 0
    assert (await api.call("GET", "/openapi.json"))[0] == 200  # only the sign-in route is limited


async def test_no_code_token_key_or_personal_field_reaches_the_log(
    api: ApiClient, signing_key: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = await api.auth_code(MANAGER)
    status, body, _ = await api.call("POST", SIGN_IN, json={"authCode": code})
    assert status == 200
    token = body["token"]
    await api.call("POST", SIGN_IN, json={"authCode": code})  # replayed
    await api.call("GET", "/me", token=token)
    await api.call("GET", "/classifications", token=token, params={"person": EMPLOYEE})
    await api.call("GET", "/me", token=token[:-4] + "AAAA")  # tampered
    # Ours, that is: the bot's loggers. (aiosqlite's DEBUG lines quote SQL parameters, and a test server's
    # access log quotes query strings; the bot runs with access logs off and libraries at WARNING.)
    ours = [record for record in caplog.records if record.name.split(".")[0] in ("bot", "handlers", "storage")]
    logged = "\n".join(record.getMessage() for record in ours)
    assert "api sign-in: token" in logged  # something is logged, by token id
    for secret in (code, token, token.split(".")[2], signing_key, MANAGER, EMPLOYEE, "李美", "Lei Mei"):
        assert secret not in logged, secret
