"""Robot messages: batchSend in chunks of 20 with msgParam as a JSON string, and group sends."""

from __future__ import annotations

import json

import pytest
from aiohttp import web

from bot.dingtalk import DingTalkClient, DingTalkDeliveryError
from tests.bot.dingtalk.fakes import ROBOT_CODE, FakeDingTalk, api_ok

BATCH_SEND = "/v1.0/robot/oToMessages/batchSend"
GROUP_SEND = "/v1.0/robot/groupMessages/send"


async def echo_batch(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    invalid = [user for user in body["userIds"] if user.startswith("gone")]
    return web.json_response({"processQueryKey": f"pqk-{body['userIds'][0]}", "invalidStaffIdList": invalid,
                              "flowControlledStaffIdList": [], "filteredStaffIdList": []})


async def test_batch_send_chunks_45_users_into_20_20_5(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", BATCH_SEND, echo_batch)
    users = [f"user{i:02d}" for i in range(45)]

    results = await client.send_to_users(users, "sampleMarkdown", {"title": "提醒", "text": "## 請處理"})

    calls = fake.calls(BATCH_SEND)
    assert [len(call.body["userIds"]) for call in calls] == [20, 20, 5]
    assert [u for call in calls for u in call.body["userIds"]] == users
    for call in calls:
        assert call.body["robotCode"] == ROBOT_CODE and call.body["msgKey"] == "sampleMarkdown"
        assert isinstance(call.body["msgParam"], str)
        assert json.loads(call.body["msgParam"]) == {"title": "提醒", "text": "## 請處理"}
        assert call.headers["x-acs-dingtalk-access-token"] == "tok-1"
    assert [r.process_query_key for r in results] == ["pqk-user00", "pqk-user20", "pqk-user40"]


async def test_batch_send_reports_invalid_and_flow_controlled_users(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.script("POST", BATCH_SEND, api_ok({"processQueryKey": "pqk", "invalidStaffIdList": ["gone1"],
                                            "flowControlledStaffIdList": ["busy1"]}))

    [result] = await client.send_to_users(["ok1", "gone1", "busy1"], "sampleText", {"content": "hi"})

    assert result.invalid_user_ids == ("gone1",)
    assert result.flow_controlled_user_ids == ("busy1",)
    assert result.filtered_user_ids == ()


async def test_batch_send_to_only_invalid_users_is_a_delivery_error(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.script("POST", BATCH_SEND, echo_batch)

    with pytest.raises(DingTalkDeliveryError) as caught:
        await client.send_to_users(["gone1", "gone2"], "sampleText", {"content": "hi"})

    assert set(caught.value.failures) == {"gone1", "gone2"}
    assert caught.value.status == 200 and not caught.value.retryable


async def test_batch_send_drops_repeats_and_refuses_a_bare_string(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", BATCH_SEND, echo_batch)

    await client.send_to_users(["a", "b", "a"], "sampleText", {"content": "hi"})
    with pytest.raises(TypeError):
        await client.send_to_users("abc", "sampleText", {"content": "hi"})

    assert [call.body["userIds"] for call in fake.calls(BATCH_SEND)] == [["a", "b"]]


async def test_batch_send_to_nobody_sends_nothing(fake: FakeDingTalk, client: DingTalkClient) -> None:
    assert await client.send_to_users([], "sampleText", {"content": "hi"}) == []
    assert fake.requests == []


async def test_group_send_returns_the_process_query_key(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", GROUP_SEND, api_ok({"processQueryKey": "group-pqk"}))

    key = await client.send_to_group("cidXYZ==", "sampleText", {"content": "群通知"})

    assert key == "group-pqk"
    [call] = fake.calls(GROUP_SEND)
    assert call.body == {"robotCode": ROBOT_CODE, "openConversationId": "cidXYZ==", "msgKey": "sampleText",
                         "msgParam": '{"content":"群通知"}'}
