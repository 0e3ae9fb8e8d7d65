"""Error mapping per host, and what is retried: throttling and transient failures, never permanent ones."""

from __future__ import annotations

import asyncio

import pytest

from bot.dingtalk import (
    DingTalkClient,
    DingTalkError,
    DingTalkNotFoundError,
    DingTalkQuotaError,
    DingTalkRequestError,
    DingTalkThrottledError,
    DingTalkTransientError,
)
from tests.bot.dingtalk.fakes import (
    TOKEN_ROUTE,
    ClientFactory,
    FakeDingTalk,
    Reply,
    VirtualClock,
    api_error,
    api_ok,
    oapi_error,
    oapi_ok,
    raw,
)

GROUP_SEND = "/v1.0/robot/groupMessages/send"
USER_GET = "/topapi/v2/user/get"
SENT = api_ok({"processQueryKey": "pqk"})
USER = oapi_ok(result={"userid": "u1"})


async def send(client: DingTalkClient) -> str:
    return await client.send_to_group("cid1", "sampleText", {"content": "hi"})


@pytest.mark.parametrize("throttle", [
    api_error(403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi"),
    api_error(429, "Throttling"),
])
async def test_new_api_throttling_is_retried_then_succeeds(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock, throttle: Reply
) -> None:
    fake.script("POST", GROUP_SEND, throttle, throttle, SENT)

    assert await send(client) == "pqk"
    assert len(fake.calls(GROUP_SEND)) == 3
    assert len(clock.sleeps) == 2


@pytest.mark.parametrize("errcode", [90018, 90019, 90002])
async def test_oapi_throttling_is_retried_then_succeeds(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock, errcode: int
) -> None:
    fake.script("POST", USER_GET, oapi_error(errcode, "请求的api已经超过调用频率限制"), USER)

    assert (await client.get_user("u1")).userid == "u1"
    assert len(fake.calls(USER_GET)) == 2
    assert len(clock.sleeps) == 1


async def test_server_errors_are_retried_up_to_max_attempts_with_capped_full_jitter(
    fake: FakeDingTalk, make_client: ClientFactory, clock: VirtualClock
) -> None:
    fake.script("POST", GROUP_SEND, api_error(500, "system.busy", "系统繁忙"))
    client = make_client(max_attempts=4)

    with pytest.raises(DingTalkTransientError) as caught:
        await send(client)

    assert len(fake.calls(GROUP_SEND)) == 4
    assert caught.value.retryable and caught.value.status == 500 and caught.value.code == "system.busy"
    assert len(clock.sleeps) == 3
    for attempt, delay in enumerate(clock.sleeps, start=1):
        assert 0 <= delay <= 0.5 * 2 ** (attempt - 1)


async def test_retry_after_header_sets_the_delay(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock
) -> None:
    fake.script("POST", GROUP_SEND, api_error(429, "Throttling", headers={"Retry-After": "3"}), SENT)

    assert await send(client) == "pqk"
    assert clock.sleeps == [3.0]


async def test_retry_after_beyond_the_cap_is_not_waited_for(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock
) -> None:
    fake.script("POST", GROUP_SEND, api_error(429, "Throttling", headers={"Retry-After": "600"}))

    with pytest.raises(DingTalkThrottledError) as caught:
        await send(client)

    assert caught.value.retry_after == 600.0
    assert len(fake.calls(GROUP_SEND)) == 1 and clock.sleeps == []


@pytest.mark.parametrize(("reply", "error", "code"), [
    (api_error(400, "invalidParameter.msgKey.invalid", "msgKey无效"), DingTalkRequestError,
     "invalidParameter.msgKey.invalid"),
    (api_error(403, "Forbidden.AccessDenied.AccessTokenPermissionDenied"), DingTalkRequestError,
     "Forbidden.AccessDenied.AccessTokenPermissionDenied"),
    (api_error(403, "Forbidden.AccessDenied.ApiCountLimitForOrg"), DingTalkQuotaError,
     "Forbidden.AccessDenied.ApiCountLimitForOrg"),
    (api_error(404, "ResourceNotFound.TaskNotExist"), DingTalkNotFoundError, "ResourceNotFound.TaskNotExist"),
])
async def test_permanent_new_api_errors_are_not_retried(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock, reply: Reply, error: type[DingTalkError],
    code: str,
) -> None:
    fake.script("POST", GROUP_SEND, reply)

    with pytest.raises(error) as caught:
        await send(client)

    assert caught.value.code == code and not caught.value.retryable
    assert caught.value.host == "api" and caught.value.method == "POST" and caught.value.path == GROUP_SEND
    assert caught.value.request_id == "REQ-1"
    assert len(fake.calls(GROUP_SEND)) == 1 and clock.sleeps == []


@pytest.mark.parametrize(("errcode", "error"), [
    (60121, DingTalkNotFoundError),
    (90020, DingTalkQuotaError),
    (88, DingTalkRequestError),  # 88 without a token sub_code: missing permission
    (22, DingTalkRequestError),
])
async def test_permanent_oapi_errors_are_not_retried(
    fake: FakeDingTalk, client: DingTalkClient, errcode: int, error: type[DingTalkError]
) -> None:
    fake.script("POST", USER_GET, oapi_error(errcode, "找不到该用户", sub_code="60011" if errcode == 88 else None))

    with pytest.raises(error) as caught:
        await client.get_user("nobody")

    assert caught.value.code == str(errcode) and caught.value.status == 200 and caught.value.host == "oapi"
    assert caught.value.request_id == "oapi-req"
    assert len(fake.calls(USER_GET)) == 1


async def test_oapi_system_busy_is_retried(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", USER_GET, oapi_error(-1, "系统繁忙"), USER)

    assert (await client.get_user("u1")).userid == "u1"


async def test_timeout_is_transient(fake: FakeDingTalk, make_client: ClientFactory) -> None:
    fake.script("POST", GROUP_SEND, fake.hang())
    client = make_client(timeout=0.1, max_attempts=2)

    with pytest.raises(DingTalkTransientError) as caught:
        await send(client)

    assert caught.value.status is None and "Timeout" in caught.value.code
    assert len(fake.calls(GROUP_SEND)) == 2


async def test_connection_refused_is_transient(
    fake: FakeDingTalk, make_client: ClientFactory, unused_port: int
) -> None:
    client = make_client(oapi_endpoint=f"http://127.0.0.1:{unused_port}", max_attempts=2)

    with pytest.raises(DingTalkTransientError) as caught:
        await client.get_user("u1")

    assert caught.value.host == "oapi" and caught.value.status is None


@pytest.mark.parametrize("reply", [
    raw(b"<html><body>502 Bad Gateway</body></html>", status=502),
    raw(b"<?xml version='1.0'?><error/>", status=200, content_type="application/xml"),
])
async def test_non_json_bodies_are_transient_and_retried(
    fake: FakeDingTalk, client: DingTalkClient, reply: Reply
) -> None:
    fake.script("POST", GROUP_SEND, reply, reply, SENT)

    assert await send(client) == "pqk"
    assert len(fake.calls(GROUP_SEND)) == 3


async def test_non_json_body_reports_a_trimmed_snippet(fake: FakeDingTalk, make_client: ClientFactory) -> None:
    fake.script("POST", GROUP_SEND, raw(b"<html>" + b"x" * 5000 + b"</html>", status=503))

    with pytest.raises(DingTalkTransientError) as caught:
        await send(make_client(max_attempts=1))

    assert "<html>" in caught.value.message and len(caught.value.message) <= 300


async def test_anti_abuse_page_is_transient_but_not_hammered(
    fake: FakeDingTalk, client: DingTalkClient, clock: VirtualClock
) -> None:
    fake.script("POST", USER_GET, api_ok({"status": 1111, "wait": 5, "message": "ip banned"}))

    with pytest.raises(DingTalkTransientError) as caught:
        await client.get_user("u1")

    assert caught.value.retry_after == 300.0
    assert len(fake.calls(USER_GET)) == 1 and clock.sleeps == []


async def test_malformed_success_is_transient_and_not_resent(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.script("POST", GROUP_SEND, api_ok({"unexpected": True}))

    with pytest.raises(DingTalkTransientError) as caught:
        await send(client)

    assert caught.value.code == "malformedAnswer" and "processQueryKey" in caught.value.message
    assert len(fake.calls(GROUP_SEND)) == 1


async def test_closed_client_refuses_calls(client: DingTalkClient) -> None:
    await client.close()

    with pytest.raises(RuntimeError):
        await client.access_token()


async def test_context_manager_closes_its_own_session(fake: FakeDingTalk, make_client: ClientFactory) -> None:
    async with make_client() as client:
        assert await client.access_token() == "tok-1"

    with pytest.raises(RuntimeError):
        await client.access_token()


async def wait_for_request(fake: FakeDingTalk, path: str) -> None:
    for _ in range(200):
        if fake.calls(path):
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"no request to {path}")


async def test_cancellation_propagates_and_leaves_the_client_usable(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.script("POST", TOKEN_ROUTE, fake.hang())
    task = asyncio.create_task(send(client))
    await wait_for_request(fake, TOKEN_ROUTE)

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    fake.script("POST", TOKEN_ROUTE, api_ok({"accessToken": "after", "expireIn": 7200}))
    fake.script("POST", GROUP_SEND, SENT)
    assert await send(client) == "pqk"  # the token lock was released
