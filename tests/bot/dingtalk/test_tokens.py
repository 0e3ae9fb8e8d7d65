"""The access token: fetched once, shared, refreshed before expiry, refetched once when refused."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from bot.dingtalk import DingTalkAuthError, DingTalkClient, DingTalkTokenError
from tests.bot.dingtalk.fakes import (
    CLIENT_ID,
    CLIENT_SECRET,
    TOKEN_ROUTE,
    ClientFactory,
    FakeDingTalk,
    VirtualClock,
    api_error,
    api_ok,
    oapi_error,
    oapi_ok,
)

GROUP_SEND = "/v1.0/robot/groupMessages/send"
USER_GET = "/topapi/v2/user/get"


async def test_token_is_fetched_once_and_shared_by_concurrent_callers(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    async def slow_token(_: web.Request) -> web.StreamResponse:
        await asyncio.sleep(0.05)  # keeps the refresh in flight while the other callers arrive
        return web.json_response({"accessToken": "tok-shared", "expireIn": 7200})

    fake.script("POST", TOKEN_ROUTE, slow_token)
    fake.script("POST", GROUP_SEND, api_ok({"processQueryKey": "pqk"}))

    keys = await asyncio.gather(*(client.send_to_group("cid1", "sampleText", {"content": "hi"}) for _ in range(10)))

    assert keys == ["pqk"] * 10
    token_calls = fake.calls(TOKEN_ROUTE)
    assert len(token_calls) == 1
    assert token_calls[0].body == {"appKey": CLIENT_ID, "appSecret": CLIENT_SECRET}
    assert {r.headers["x-acs-dingtalk-access-token"] for r in fake.calls(GROUP_SEND)} == {"tok-shared"}


async def test_token_is_refreshed_a_few_minutes_before_expiry(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock
) -> None:
    fake.script("POST", GROUP_SEND, api_ok({"processQueryKey": "pqk"}))

    await client.send_to_group("cid1", "sampleText", {"content": "1"})
    clock.advance(7200 - 300 - 1)
    await client.send_to_group("cid1", "sampleText", {"content": "2"})
    clock.advance(2)
    await client.send_to_group("cid1", "sampleText", {"content": "3"})

    assert [r.token for r in fake.calls(GROUP_SEND)] == ["tok-1", "tok-1", "tok-2"]
    assert len(fake.calls(TOKEN_ROUTE)) == 2


async def test_public_access_token_uses_the_cache(fake: FakeDingTalk, client: DingTalkClient) -> None:
    assert await client.access_token() == "tok-1"
    assert await client.access_token() == "tok-1"
    assert len(fake.calls(TOKEN_ROUTE)) == 1


@pytest.mark.parametrize("status", [400, 401])
async def test_refused_token_on_new_api_is_dropped_and_the_call_retried_once(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock, status: int
) -> None:
    fake.script("POST", GROUP_SEND, api_error(status, "InvalidAuthentication", "不合法的access_token"),
                api_ok({"processQueryKey": "pqk"}))

    assert await client.send_to_group("cid1", "sampleText", {"content": "hi"}) == "pqk"

    assert [r.token for r in fake.calls(GROUP_SEND)] == ["tok-1", "tok-2"]
    assert clock.sleeps == []  # a refresh is not a backoff


@pytest.mark.parametrize(("errcode", "sub_code"), [(88, "40014"), (40014, None), (42001, None)])
async def test_refused_token_on_oapi_is_dropped_and_the_call_retried_once(
    fake: FakeDingTalk, client: DingTalkClient, errcode: int, sub_code: str | None
) -> None:
    fake.script("POST", USER_GET, oapi_error(errcode, "不合法的access_token", sub_code=sub_code),
                oapi_ok(result={"userid": "u1", "name": "張三"}))

    user = await client.get_user("u1")

    assert user.name == "張三"
    assert [r.query["access_token"] for r in fake.calls(USER_GET)] == ["tok-1", "tok-2"]


async def test_token_refused_twice_raises_without_more_attempts(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", GROUP_SEND, api_error(400, "InvalidAuthentication"))

    with pytest.raises(DingTalkTokenError) as caught:
        await client.send_to_group("cid1", "sampleText", {"content": "hi"})

    assert len(fake.calls(GROUP_SEND)) == 2
    assert len(fake.calls(TOKEN_ROUTE)) == 2
    assert caught.value.status == 400 and caught.value.code == "InvalidAuthentication"


async def test_bad_credentials_raise_auth_error_without_retry(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock
) -> None:
    fake.script("POST", TOKEN_ROUTE, api_error(400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"))

    with pytest.raises(DingTalkAuthError) as caught:
        await client.send_to_group("cid1", "sampleText", {"content": "hi"})

    assert not isinstance(caught.value, DingTalkTokenError)
    assert caught.value.code == "invalidClientIdOrSecret" and not caught.value.retryable
    assert len(fake.calls(TOKEN_ROUTE)) == 1
    assert fake.calls(GROUP_SEND) == []
    assert clock.sleeps == []


async def test_oapi_bad_credentials_code_is_an_auth_error(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", USER_GET, oapi_error(40096, "不合法的appKey或appSecret"))

    with pytest.raises(DingTalkAuthError) as caught:
        await client.get_user("u1")

    assert caught.value.code == "40096" and caught.value.status == 200
    assert len(fake.calls(USER_GET)) == 1


async def test_short_lived_token_refreshes_at_half_life(
    fake: FakeDingTalk, make_client: ClientFactory, clock: VirtualClock
) -> None:
    fake.script("POST", TOKEN_ROUTE, api_ok({"accessToken": "short", "expireIn": 60}),
                api_ok({"accessToken": "next", "expireIn": 60}))
    client = make_client()

    assert await client.access_token() == "short"
    clock.advance(29)
    assert await client.access_token() == "short"
    clock.advance(2)
    assert await client.access_token() == "next"


async def test_malformed_token_answer_is_transient_and_retried(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock
) -> None:
    fake.script("POST", TOKEN_ROUTE, api_ok({"accessToken": "", "expireIn": 7200}),
                api_ok({"accessToken": "good", "expireIn": 7200}))

    assert await client.access_token() == "good"
    assert len(clock.sleeps) == 1
