"""Registering a stream connection: credentials in the body, no token, JSON asked for explicitly."""

from __future__ import annotations

import pytest

from bot.dingtalk import DingTalkAuthError, DingTalkClient, DingTalkTransientError, Subscription
from tests.bot.dingtalk.fakes import CLIENT_ID, CLIENT_SECRET, TOKEN_ROUTE, FakeDingTalk, api_error, api_ok

GATEWAY = "/v1.0/gateway/connections/open"
SUBSCRIPTIONS = [Subscription("EVENT", "*"), Subscription("CALLBACK", "/v1.0/im/bot/messages/get")]


async def test_open_stream_connection(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", GATEWAY, api_ok({"endpoint": "wss://example/connect", "ticket": "7724109a"}))

    ticket = await client.open_stream_connection(SUBSCRIPTIONS, "compliance-bot/0.1", "10.0.0.5")

    assert (ticket.endpoint, ticket.ticket) == ("wss://example/connect", "7724109a")
    assert "7724109a" not in repr(ticket)
    [call] = fake.calls(GATEWAY)
    assert call.body == {
        "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
        "subscriptions": [{"type": "EVENT", "topic": "*"}, {"type": "CALLBACK", "topic": "/v1.0/im/bot/messages/get"}],
        "ua": "compliance-bot/0.1", "localIp": "10.0.0.5",
    }
    assert call.headers["accept"] == "application/json"
    assert call.headers["content-type"].startswith("application/json")
    assert call.token is None
    assert fake.calls(TOKEN_ROUTE) == []


async def test_empty_ticket_is_transient(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", GATEWAY, api_ok({"endpoint": "wss://example/connect", "ticket": ""}))

    with pytest.raises(DingTalkTransientError):
        await client.open_stream_connection(SUBSCRIPTIONS, "ua", "10.0.0.5")


async def test_bad_credentials_on_the_gateway(fake: FakeDingTalk, client: DingTalkClient) -> None:
    fake.script("POST", GATEWAY, api_error(401, "invalidClientIdOrSecret", "无效的clientId或者clientSecret"))

    with pytest.raises(DingTalkAuthError):
        await client.open_stream_connection(SUBSCRIPTIONS, "ua", "10.0.0.5")
    assert len(fake.calls(GATEWAY)) == 1
