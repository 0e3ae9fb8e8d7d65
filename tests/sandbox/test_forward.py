"""Forwarding a card to a colleague, who can then see it, click it and get its updates."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from tests.sandbox.streamclient import StreamClient, data_of
from tests.sandbox.test_cards import _create, _post, robot_card

API = "/_sandbox/api/"
FORWARDABLE: dict[str, Any] = {"imRobotOpenSpaceModel": {"supportForward": True}}


async def _forward(http: aiohttp.ClientSession, card: str, from_user: str,
                   to_user: str) -> tuple[int, dict[str, Any]]:
    response = await http.post(API + f"cards/{card}/forward", json={"fromUserId": from_user, "toUserId": to_user})
    return response.status, await response.json()


async def _click(http: aiohttp.ClientSession, bot: StreamClient, card: str,
                 user: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """``user`` clicks a public-template button (an id, no params); returns the callback data and the result."""
    async def answer() -> dict[str, Any]:
        frame = await bot.frame()
        await bot.ack(frame)
        return frame

    async with asyncio.TaskGroup() as group:
        answering = group.create_task(answer())
        response = await http.post(API + f"cards/{card}/click",
                                   json={"userId": user, "actionIds": ["classify?level=internal&version=1"]})
    return data_of(answering.result()), await response.json()


async def test_a_forwarded_card_shows_in_the_colleagues_chat(http: aiohttp.ClientSession, token: str) -> None:
    await _create(http, token, robot_card("f1", **FORWARDABLE))
    status, body = await _forward(http, "f1", "lei.mei", "cheang.kawai")
    assert status == 200
    assert body["fromUserId"] == "lei.mei" and body["toUserId"] == "cheang.kawai"
    assert body["spaceType"] == "IM_SINGLE" and body["spaceId"].startswith("cid")
    chat = await (await http.get(API + "chats/cheang.kawai")).json()
    entry = chat["entries"][-1]
    assert entry["kind"] == "card" and entry["forwardedBy"] == "lei.mei"
    assert entry["card"]["data"] == {"title": "私隱政策", "status": "pending"}  # not lei.mei's private data
    assert entry["card"]["forwards"][0]["toUserId"] == "cheang.kawai"


@pytest.mark.parametrize(("card", "from_user", "to_user", "status"), [
    ("f2", "lei.mei", "cheang.kawai", 200),
    ("nope", "lei.mei", "cheang.kawai", 404),
    ("f2", "lei.mei", "nobody", 404),
    ("f2", "lam.siuyin", "cheang.kawai", 403),
    ("f2", "lei.mei", "lei.mei", 400),
])
async def test_forward_refusals(http: aiohttp.ClientSession, token: str, card: str, from_user: str,
                                to_user: str, status: int) -> None:
    await _create(http, token, robot_card("f2", **FORWARDABLE))
    assert (await _forward(http, card, from_user, to_user))[0] == status


async def test_a_card_without_support_forward_cannot_be_forwarded(http: aiohttp.ClientSession,
                                                                  token: str) -> None:
    await _create(http, token, robot_card("f3"))  # supportForward: false
    status, body = await _forward(http, "f3", "lei.mei", "cheang.kawai")
    assert status == 409 and "supportForward" in body["error"]
    assert (await (await http.get(API + "cards/f3?as=lei.mei")).json())["forwardable"] is False
    chat = await (await http.get(API + "chats/cheang.kawai")).json()
    assert chat["entries"] == []


async def test_the_new_user_clicks_arrive_with_their_user_id(http: aiohttp.ClientSession, token: str,
                                                             bot: StreamClient) -> None:
    await _create(http, token, robot_card("f4", **FORWARDABLE))
    before = await http.post(API + "cards/f4/click", json={"userId": "cheang.kawai", "actionIds": ["x"]})
    assert before.status == 403
    _, forwarded = await _forward(http, "f4", "lei.mei", "cheang.kawai")
    data, result = await _click(http, bot, "f4", "cheang.kawai")
    assert result["acked"] is True
    assert data["userId"] == "cheang.kawai" and data["outTrackId"] == "f4"
    assert (data["spaceType"], data["spaceId"]) == ("IM_SINGLE", forwarded["spaceId"])
    assert json.loads(data["content"]) == {"cardPrivateData": {"actionIds": ["classify?level=internal&version=1"],
                                                               "params": {}}}
    own, _ = await _click(http, bot, "f4", "lei.mei")
    assert (own["userId"], own["spaceType"], own["spaceId"]) == ("lei.mei", "IM_ROBOT", "lei.mei")


async def test_updates_reach_the_forwarded_copy(http: aiohttp.ClientSession, token: str) -> None:
    await _create(http, token, robot_card("f5", **FORWARDABLE))
    await _forward(http, "f5", "lei.mei", "cheang.kawai")
    update = {"outTrackId": "f5", "cardData": {"cardParamMap": {"status": "answered"}},
              "cardUpdateOptions": {"updateCardDataByKey": True}}
    assert (await _post(http, token, "/v1.0/card/instances", update, "PUT"))[0] == 200
    chat = await (await http.get(API + "chats/cheang.kawai")).json()
    assert chat["entries"][-1]["card"]["data"] == {"title": "私隱政策", "status": "answered"}


async def test_forwarding_on_from_a_group_and_with_union_ids(http: aiohttp.ClientSession, token: str,
                                                             bot: StreamClient) -> None:
    body = {**robot_card("f6", user="union-lei-mei"), "userIdType": 2, "privateData": {},
            "openSpaceId": "dtv1.card//IM_GROUP.cidHRteamSandbox0001Q==",
            "imGroupOpenSpaceModel": {"supportForward": True},
            "imGroupOpenDeliverModel": {"robotCode": "sandbox-client-id", "recipients": ["union-lei-mei"]}}
    assert (await _create(http, token, body))[0] == 200
    assert (await _forward(http, "f6", "cheang.kawai", "lam.siuyin"))[0] == 403  # not a recipient
    assert (await _forward(http, "f6", "lei.mei", "cheang.kawai"))[0] == 200
    assert (await _forward(http, "f6", "cheang.kawai", "lam.siuyin"))[0] == 200  # a forwarded copy goes on
    data, _ = await _click(http, bot, "f6", "lam.siuyin")
    assert data["userId"] == "union-lam-siuyin" and data["userIdType"] == 2 and data["spaceType"] == "IM_SINGLE"
