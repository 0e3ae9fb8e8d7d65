"""Card create, deliver, update and click, with the validations of wire reference 4 and 13."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.sandbox.streamclient import StreamClient, data_of

API = "/_sandbox/api/"
TEMPLATE = "sandbox-template.schema"


def robot_card(out_track_id: str, user: str = "lei.mei", **extra: Any) -> dict[str, Any]:
    return {
        "cardTemplateId": TEMPLATE,
        "outTrackId": out_track_id,
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": {"title": "私隱政策", "status": "pending"}},
        "privateData": {user: {"cardParamMap": {"canSign": "true"}}},
        "openSpaceId": f"dtv1.card//IM_ROBOT.{user}",
        "imRobotOpenSpaceModel": {"supportForward": False},
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
        "userIdType": 1,
        **extra,
    }


async def _post(http: aiohttp.ClientSession, token: str, path: str, body: dict[str, Any],
                method: str = "POST") -> tuple[int, dict[str, Any]]:
    response = await http.request(method, path, json=body, headers={"x-acs-dingtalk-access-token": token})
    return response.status, await response.json()


async def _create(http: aiohttp.ClientSession, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    return await _post(http, token, "/v1.0/card/instances/createAndDeliver", body)


async def test_create_and_deliver_shows_in_the_users_chat(http: aiohttp.ClientSession, token: str) -> None:
    status, body = await _create(http, token, robot_card("c1"))
    assert status == 200 and body["success"] is True
    result = body["result"]["deliverResults"][0]
    assert result["spaceType"] == "IM_ROBOT" and result["spaceId"] == "lei.mei" and result["success"] is True
    chat = await (await http.get(API + "chats/lei.mei")).json()
    card = chat["entries"][-1]["card"]
    assert card["data"] == {"title": "私隱政策", "status": "pending", "canSign": "true"}
    other = await (await http.get(API + "cards/c1?as=cheang.kawai")).json()
    assert "canSign" not in other["data"]


@pytest.mark.parametrize(("change", "code"), [
    ({"cardData": {"cardParamMap": {"count": 3}}}, "param.invalid"),
    ({"outTrackId": ""}, "param.outTrackIdEmpty"),
    ({"openSpaceId": "dtv1.card//NOPE.x"}, "param.openSpaceIdInvalid"),
    ({"openSpaceId": ""}, "param.openSpaceIdEmpty"),
    ({"imRobotOpenSpaceModel": {}}, "param.openSpaceModelInvalid"),
    ({"imRobotOpenDeliverModel": None}, "param.openDeliverModelEmpty"),
    ({"cardTemplateId": ""}, "param.cardTemplateIdEmpty"),
])
async def test_create_validations(http: aiohttp.ClientSession, token: str, change: dict[str, Any],
                                  code: str) -> None:
    status, body = await _create(http, token, {**robot_card("bad"), **change})
    assert status == 400 and body["code"] == code


async def test_duplicate_and_missing_cards(http: aiohttp.ClientSession, token: str) -> None:
    assert (await _create(http, token, robot_card("dup")))[0] == 200
    status, body = await _create(http, token, robot_card("dup"))
    assert (status, body["code"]) == (400, "param.cardAlreadyExist")
    status, body = await _post(http, token, "/v1.0/card/instances",
                               {"outTrackId": "ghost", "cardData": {"cardParamMap": {"a": "b"}}}, "PUT")
    assert (status, body["code"]) == (400, "param.cardNotExist")


async def test_lower_case_space_and_partial_delivery(http: aiohttp.ClientSession, token: str) -> None:
    status, body = await _create(http, token, robot_card(
        "multi", openSpaceId="dtv1.card//im_robot.lei.mei;dtv1.card//IM_ROBOT.nobody"))
    results = body["result"]["deliverResults"]
    assert status == 200 and [r["success"] for r in results] == [True, False]
    assert results[1]["errorMsg"]


async def test_robot_deliver_model_without_space_type_fails_delivery(http: aiohttp.ClientSession,
                                                                     token: str) -> None:
    _, body = await _create(http, token, robot_card("nospace", imRobotOpenDeliverModel={"robotCode": "x"}))
    assert body["result"]["deliverResults"][0]["success"] is False


async def test_two_step_create_then_deliver_to_a_group(http: aiohttp.ClientSession, token: str) -> None:
    create = {"cardTemplateId": TEMPLATE, "outTrackId": "g1", "callbackType": "STREAM",
              "cardData": {"cardParamMap": {"title": "t"}}, "imGroupOpenSpaceModel": {"supportForward": True},
              "imRobotOpenSpaceModel": {"supportForward": True}}
    status, body = await _post(http, token, "/v1.0/card/instances", create)
    assert (status, body) == (200, {"success": True, "result": "g1"})
    deliver = {"outTrackId": "g1", "openSpaceId": "dtv1.card//IM_GROUP.cidHRteamSandbox0001Q==", "userIdType": 1,
               "imGroupOpenDeliverModel": {"robotCode": "sandbox-client-id"}}
    status, body = await _post(http, token, "/v1.0/card/instances/deliver", deliver)
    assert status == 200 and body["result"][0]["success"] is True
    group = await (await http.get(API + "groups/cidHRteamSandbox0001Q==")).json()
    assert group["entries"][-1]["card"]["outTrackId"] == "g1"


async def test_update_overwrites_unless_by_key(http: aiohttp.ClientSession, token: str) -> None:
    await _create(http, token, robot_card("u1"))
    update = {"outTrackId": "u1", "cardData": {"cardParamMap": {"status": "signed"}},
              "cardUpdateOptions": {"updateCardDataByKey": True}}
    assert (await _post(http, token, "/v1.0/card/instances", update, "PUT")) == (200, {"success": True,
                                                                                     "result": True})
    card = await (await http.get(API + "cards/u1")).json()
    assert card["public"] == {"title": "私隱政策", "status": "signed"}
    await _post(http, token, "/v1.0/card/instances", {"outTrackId": "u1",
                                                     "cardData": {"cardParamMap": {"status": "x"}}}, "PUT")
    assert (await (await http.get(API + "cards/u1")).json())["public"] == {"status": "x"}
    status, body = await _post(http, token, "/v1.0/card/instances", {"outTrackId": "u1"}, "PUT")
    assert (status, body["code"]) == (400, "param.cardDataAndPrivateDataBothEmpty")


async def test_click_with_fast_ack_updates_the_clickers_view(http: aiohttp.ClientSession, token: str,
                                                             bot: StreamClient) -> None:
    await _create(http, token, robot_card("k1"))

    async def answer() -> dict[str, Any]:
        frame = await bot.frame()
        await bot.ack(frame, response={
            "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
            "cardData": {"cardParamMap": {"status": "signed"}},
            "userPrivateData": {"cardParamMap": {"canSign": "false"}},
        })
        return frame

    async with asyncio.TaskGroup() as group:
        answering = group.create_task(answer())
        response = await http.post(API + "cards/k1/click", json={"userId": "lei.mei", "params": {"action": "sign"},
                                                                  "actionIds": ["sign_btn"]})
    frame = answering.result()
    body = await response.json()
    assert body["acked"] is True and body["applied"] is True and body["elapsed"] < 0.3
    assert body["card"]["data"] == {"title": "私隱政策", "status": "signed", "canSign": "false"}
    assert frame["headers"]["topic"] == "/v1.0/card/instances/callback"
    data = data_of(frame)
    assert data["type"] == "actionCallback" and data["userId"] == "lei.mei" and data["spaceType"] == "IM_ROBOT"
    assert json.loads(data["content"]) == {"cardPrivateData": {"actionIds": ["sign_btn"],
                                                               "params": {"action": "sign"}}}
    public = await (await http.get(API + "cards/k1")).json()
    assert public["public"]["status"] == "pending"  # a callback response only reaches the clicker


async def test_click_with_late_ack_fails_and_is_not_applied(http: aiohttp.ClientSession, token: str,
                                                            bot: StreamClient) -> None:
    await _create(http, token, robot_card("k2"))
    response = await http.post(API + "cards/k2/click", json={"userId": "lei.mei", "params": {"a": "b"}})
    body = await response.json()
    assert body["acked"] is False and body["delivered"] is True and body["elapsed"] >= 0.3
    frame = await bot.frame()
    await bot.ack(frame, response={"cardData": {"cardParamMap": {"status": "late"}}})
    await http.post(API + "wait-ack", json={"messageId": frame["headers"]["messageId"]})
    card = await (await http.get(API + "cards/k2?as=lei.mei")).json()
    assert card["data"]["status"] == "pending"


async def test_click_needs_a_stream_card(http: aiohttp.ClientSession, token: str) -> None:
    await _create(http, token, robot_card("k3", callbackType="HTTP"))
    response = await http.post(API + "cards/k3/click", json={"userId": "lei.mei"})
    assert response.status == 409
