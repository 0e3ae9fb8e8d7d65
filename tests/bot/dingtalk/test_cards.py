"""Cards: the createAndDeliver and update bodies, string-only parameters, and delivery results."""

from __future__ import annotations

from typing import Any

import pytest

from bot.dingtalk import (
    CardDelivery,
    DingTalkClient,
    DingTalkDeliveryError,
    GroupChat,
    RobotChat,
    group_space_id,
    robot_space_id,
)
from tests.bot.dingtalk.fakes import ROBOT_CODE, FakeDingTalk, api_ok

CREATE = "/v1.0/card/instances/createAndDeliver"
UPDATE = "/v1.0/card/instances"


def delivered(space_type: str, space_id: str, *, success: bool = True, error: str = "") -> dict[str, Any]:
    return {"success": True, "result": {"outTrackId": "t-1", "deliverResults": [
        {"spaceType": space_type, "spaceId": space_id, "success": success, "carrierId": "carrier-1" if success else "",
         "errorMsg": error},
    ]}}


def test_space_ids() -> None:
    assert robot_space_id("manager1234") == "dtv1.card//IM_ROBOT.manager1234"
    assert group_space_id("cidp4Gh==") == "dtv1.card//IM_GROUP.cidp4Gh=="


async def test_card_to_a_robot_chat(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", CREATE, api_ok(delivered("IM_ROBOT", "manager1234")))
    delivery = CardDelivery(
        card_template_id="tpl.schema", out_track_id="t-1", space=RobotChat("manager1234"),
        card_param_map={"title": "待分類", "count": "3"}, private_data={"manager1234": {"canApprove": "true"}},
    )

    [result] = await client.create_and_deliver_card(delivery)

    assert result.success and result.carrier_id == "carrier-1" and result.space_id == "manager1234"
    [call] = fake.calls(CREATE)
    assert call.body == {
        "cardTemplateId": "tpl.schema",
        "outTrackId": "t-1",
        "callbackType": "STREAM",
        "cardData": {"cardParamMap": {"title": "待分類", "count": "3"}},
        "privateData": {"manager1234": {"cardParamMap": {"canApprove": "true"}}},
        "openSpaceId": "dtv1.card//IM_ROBOT.manager1234",
        "imRobotOpenSpaceModel": {"supportForward": True},
        "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT", "robotCode": ROBOT_CODE},
        "userIdType": 1,
    }


async def test_card_to_a_group_with_recipients_and_mentions(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", CREATE, api_ok(delivered("IM_GROUP", "cid1")))
    delivery = CardDelivery(
        card_template_id="tpl.schema", out_track_id="t-2",
        space=GroupChat("cid1", recipients=("u1", "u2"), at_user_ids={"u1": "張三"}),
        card_param_map={"k": "v"}, support_forward=False, last_message_i18n={"ZH_CN": "合規提醒"},
    )

    await client.create_and_deliver_card(delivery)

    [call] = fake.calls(CREATE)
    assert call.body["openSpaceId"] == "dtv1.card//IM_GROUP.cid1"
    assert call.body["imGroupOpenSpaceModel"] == {"supportForward": False, "lastMessageI18n": {"ZH_CN": "合規提醒"}}
    assert call.body["imGroupOpenDeliverModel"] == {"robotCode": ROBOT_CODE, "recipients": ["u1", "u2"],
                                                    "atUserIds": {"u1": "張三"}}
    assert "privateData" not in call.body and "imRobotOpenDeliverModel" not in call.body


@pytest.mark.parametrize(("params", "private"), [
    ({"count": 3}, {}),
    ({"flag": True}, {}),
    ({"items": ["a"]}, {}),
    ({"ok": "yes"}, {"u1": {"canApprove": False}}),
])
async def test_non_string_card_values_are_refused_before_sending(
    fake: FakeDingTalk, client: DingTalkClient, params: dict[str, Any], private: dict[str, Any]
) -> None:
    delivery = CardDelivery(card_template_id="tpl", out_track_id="t-3", space=RobotChat("u1"),
                            card_param_map=params, private_data=private)

    with pytest.raises(ValueError, match="must map str to str"):
        await client.create_and_deliver_card(delivery)

    assert fake.requests == []


async def test_overlong_out_track_id_is_refused(fake: FakeDingTalk, client: DingTalkClient) -> None:
    delivery = CardDelivery(card_template_id="tpl", out_track_id="x" * 65, space=RobotChat("u1"), card_param_map={})

    with pytest.raises(ValueError, match="out_track_id"):
        await client.create_and_deliver_card(delivery)


async def test_failed_delivery_behind_http_200_raises(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", CREATE, api_ok(delivered("IM_ROBOT", "u1", success=False, error="user not in range")))
    delivery = CardDelivery(card_template_id="tpl", out_track_id="t-4", space=RobotChat("u1"),
                            card_param_map={"k": "v"})

    with pytest.raises(DingTalkDeliveryError) as caught:
        await client.create_and_deliver_card(delivery)

    assert "user not in range" in str(caught.value)
    assert caught.value.failures == ("u1",)
    assert len(fake.calls(CREATE)) == 1


async def test_update_card_merges_by_key(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("PUT", UPDATE, api_ok({"success": True, "result": True}))

    await client.update_card("t-1", {"status": "已同意"}, {"u1": {"canApprove": "false"}})

    [call] = fake.calls(UPDATE)
    assert call.method == "PUT"
    assert call.body == {
        "outTrackId": "t-1",
        "cardData": {"cardParamMap": {"status": "已同意"}},
        "privateData": {"u1": {"cardParamMap": {"canApprove": "false"}}},
        "cardUpdateOptions": {"updateCardDataByKey": True, "updatePrivateDataByKey": True},
        "userIdType": 1,
    }


async def test_update_card_validates_and_reports_a_refused_update(
    fake: FakeDingTalk, client: DingTalkClient
) -> None:
    fake.script("PUT", UPDATE, api_ok({"success": True, "result": False}))

    with pytest.raises(ValueError):
        await client.update_card("t-1")
    with pytest.raises(ValueError):
        await client.update_card("t-1", {"n": 1})
    with pytest.raises(DingTalkDeliveryError):
        await client.update_card("t-1", {"n": "1"}, by_key=False)

    [call] = fake.calls(UPDATE)
    assert call.body["cardUpdateOptions"] == {"updateCardDataByKey": False, "updatePrivateDataByKey": False}
