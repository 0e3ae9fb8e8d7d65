"""Secrets, tokens and message bodies never reach the logs or the errors."""

from __future__ import annotations

import logging

import pytest
from aiohttp import web

from bot.dingtalk import DingTalkClient, DingTalkError
from tests.bot.dingtalk.fakes import CLIENT_SECRET, TOKEN_ROUTE, ClientFactory, FakeDingTalk, api_ok, oapi_ok

GROUP_SEND = "/v1.0/robot/groupMessages/send"
USER_GET = "/topapi/v2/user/get"
GATEWAY = "/v1.0/gateway/connections/open"
TOKEN = "tok-VERY-SECRET-TOKEN"
BODY_TEXT = "confidential-message-body"


def ours(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.dingtalk"))


async def echo_secrets(request: web.Request) -> web.StreamResponse:
    """A misbehaving server that quotes credentials back in its error message."""
    seen = request.headers.get("x-acs-dingtalk-access-token") or request.query.get("access_token", "")
    return web.json_response({"code": "invalidParameter", "requestid": "r",
                              "message": f"bad request with {seen} and {CLIENT_SECRET}"}, status=400)


async def echo_secrets_oapi(request: web.Request) -> web.StreamResponse:
    return web.json_response({"errcode": 33, "errmsg": f"token {request.query.get('access_token')} {CLIENT_SECRET}"})


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="bot.dingtalk")


async def test_one_debug_line_per_call_without_secrets(
    fake: FakeDingTalk, client: DingTalkClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script("POST", TOKEN_ROUTE, api_ok({"accessToken": TOKEN, "expireIn": 7200}))
    fake.script("POST", GROUP_SEND, api_ok({"processQueryKey": "pqk"}))
    fake.script("POST", USER_GET, oapi_ok(result={"userid": "u1"}))
    fake.script("POST", GATEWAY, api_ok({"endpoint": "wss://x", "ticket": "ticket-123"}))

    await client.send_to_group("cid1", "sampleText", {"content": BODY_TEXT})
    await client.get_user("u1")
    await client.open_stream_connection([], "ua", "10.0.0.1")

    lines = [r for r in caplog.records if r.name.startswith("bot.dingtalk")]
    assert len(lines) == 4  # token, send, user, gateway
    assert all(r.levelno == logging.DEBUG for r in lines)
    assert "POST api /v1.0/robot/groupMessages/send -> 200" in lines[1].getMessage()
    assert " ms" in lines[1].getMessage()
    text = ours(caplog)
    for secret in (TOKEN, CLIENT_SECRET, BODY_TEXT, "ticket-123"):
        assert secret not in text


async def test_errors_redact_what_the_server_echoes(
    fake: FakeDingTalk, client: DingTalkClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script("POST", TOKEN_ROUTE, api_ok({"accessToken": TOKEN, "expireIn": 7200}))
    fake.script("POST", GROUP_SEND, echo_secrets)
    fake.script("POST", USER_GET, echo_secrets_oapi)

    errors: list[DingTalkError] = []
    for call in (client.send_to_group("cid1", "sampleText", {"content": BODY_TEXT}), client.get_user("u1")):
        with pytest.raises(DingTalkError) as caught:
            await call
        errors.append(caught.value)

    for error in errors:
        rendered = f"{error} {error.message} {error!r} {error.args}"
        assert "***" in rendered
        for secret in (TOKEN, CLIENT_SECRET, BODY_TEXT):
            assert secret not in rendered
    assert TOKEN not in ours(caplog) and CLIENT_SECRET not in ours(caplog)


async def test_network_errors_on_oapi_do_not_leak_the_query_token(
    fake: FakeDingTalk, make_client: ClientFactory, unused_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    fake.script("POST", TOKEN_ROUTE, api_ok({"accessToken": TOKEN, "expireIn": 7200}))
    client = make_client(oapi_endpoint=f"http://127.0.0.1:{unused_port}", max_attempts=2)

    with pytest.raises(DingTalkError) as caught:
        await client.get_user("u1")

    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert TOKEN not in str(caught.value) and TOKEN not in ours(caplog)


async def test_bad_credentials_error_does_not_name_the_secret(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.script("POST", TOKEN_ROUTE, echo_secrets)

    with pytest.raises(DingTalkError) as caught:
        await client.access_token()

    assert CLIENT_SECRET not in str(caught.value)


def test_client_repr_hides_the_secret(client: DingTalkClient) -> None:
    assert CLIENT_SECRET not in repr(client)
