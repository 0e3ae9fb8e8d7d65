"""The real dingtalk-stream 0.24.3 client against the sandbox (run in a thread: the SDK blocks its own loop)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import dingtalk_stream
import dingtalk_stream.stream
import pytest
from dingtalk_stream import AckMessage, CallbackHandler, CallbackMessage, ChatbotHandler, ChatbotMessage

from sandbox import SandboxConfig, ThreadedSandbox

API = "/_sandbox/api/"


class EchoBot(ChatbotHandler):  # type: ignore[misc]
    async def process(self, callback: CallbackMessage) -> tuple[int, str]:
        message = ChatbotMessage.from_dict(callback.data)
        self.reply_text("echo: " + message.text.content.strip(), message)
        return AckMessage.STATUS_OK, "OK"


class SignButton(CallbackHandler):  # type: ignore[misc]
    async def process(self, callback: CallbackMessage) -> tuple[int, dict[str, Any]]:
        action = json.loads(callback.data["content"])["cardPrivateData"]["params"]["action"]
        return AckMessage.STATUS_OK, {"cardUpdateOptions": {"updateCardDataByKey": True},
                                      "cardData": {"cardParamMap": {"status": action}}}


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedSandbox]:
    config = SandboxConfig(ack_timeout=5.0, ping_interval=0.0, card_callback_budget=2.0)
    with ThreadedSandbox(config) as sandbox:
        # the SDK reads DINGTALK_OPENAPI_ENDPOINT at import time, so point its copies at the sandbox
        monkeypatch.setattr(dingtalk_stream.DingTalkStreamClient, "OPEN_CONNECTION_API",
                            sandbox.url + "/v1.0/gateway/connections/open")
        monkeypatch.setattr(dingtalk_stream.stream, "DINGTALK_OPENAPI_ENDPOINT", sandbox.url)
        monkeypatch.setattr(dingtalk_stream.card_replier, "DINGTALK_OPENAPI_ENDPOINT", sandbox.url)
        yield sandbox


@pytest.fixture
async def sdk_client(threaded: ThreadedSandbox) -> AsyncIterator[dingtalk_stream.DingTalkStreamClient]:
    client = dingtalk_stream.DingTalkStreamClient(
        dingtalk_stream.Credential("sandbox-client-id", "sandbox-client-secret"))
    client.register_callback_handler(ChatbotMessage.TOPIC, EchoBot())
    client.register_callback_handler(CallbackHandler.TOPIC_CARD_CALLBACK, SignButton())
    running = asyncio.get_running_loop().create_task(client.start())
    yield client
    # 0.24.3 catches the first CancelledError and sleeps, so it takes more than one cancel to stop it.
    while not running.done():
        running.cancel()
        await asyncio.wait([running], timeout=0.5)


async def test_real_client_receives_acks_and_replies(threaded: ThreadedSandbox,
                                                     sdk_client: dingtalk_stream.DingTalkStreamClient) -> None:
    async with aiohttp.ClientSession(base_url=threaded.url) as http:
        assert (await http.post(API + "wait-connected", json={"timeout": 5})).status == 200
        injected = await (await http.post(API + "messages", json={"userId": "lei.mei", "text": "hello"})).json()
        acked = await (await http.post(API + "wait-ack", json={"messageId": injected["messageId"]})).json()
        assert acked["acks"][0]["code"] == 200 and acked["acks"][0]["problems"] == []
        await http.post(API + "wait", json={"path": "/robot/sendBySession", "timeout": 5})
        chat = await (await http.get(API + "chats/lei.mei")).json()
        assert chat["entries"][-1]["display"] == {"type": "text", "text": "echo: hello"}


async def test_real_client_card_click(threaded: ThreadedSandbox,
                                      sdk_client: dingtalk_stream.DingTalkStreamClient) -> None:
    async with aiohttp.ClientSession(base_url=threaded.url) as http:
        await http.post(API + "wait-connected", json={"timeout": 5})
        token = sdk_client.get_access_token()  # the SDK's own (blocking) token call, served by the sandbox thread
        await http.post("/v1.0/card/instances/createAndDeliver", headers={"x-acs-dingtalk-access-token": token},
                        json={"cardTemplateId": "t.schema", "outTrackId": "real1", "callbackType": "STREAM",
                              "cardData": {"cardParamMap": {"status": "pending"}},
                              "imRobotOpenSpaceModel": {"supportForward": True},
                              "imRobotOpenDeliverModel": {"spaceType": "IM_ROBOT"},
                              "openSpaceId": "dtv1.card//IM_ROBOT.lei.mei"})
        click = await (await http.post(API + "cards/real1/click",
                                       json={"userId": "lei.mei", "params": {"action": "signed"}})).json()
        assert click["acked"] is True and click["applied"] is True
        assert click["card"]["data"]["status"] == "signed"
