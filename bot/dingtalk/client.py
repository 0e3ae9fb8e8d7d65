"""`DingTalkClient`: the bot's one way out to DingTalk, on one aiohttp session for both hosts."""

from __future__ import annotations

from collections.abc import Sequence

from bot.dingtalk.cards import CardApi
from bot.dingtalk.directory import DirectoryApi
from bot.dingtalk.files import FilesApi
from bot.dingtalk.models import StreamTicket, Subscription
from bot.dingtalk.reminders import ReminderApi
from bot.dingtalk.robot import RobotMessagesApi
from bot.dingtalk.transport import ApiRequest

GATEWAY_ROUTE = "/v1.0/gateway/connections/open"


class DingTalkClient(RobotMessagesApi, CardApi, FilesApi, DirectoryApi, ReminderApi):
    """The outbound DingTalk OpenAPI client; see `bot.dingtalk` for behaviour and errors.

    Use as `async with DingTalkClient(...) as client:` or call `close()`. Pass `session` to share an
    existing aiohttp session (then the caller closes it); `clock` and `sleep` are injectable for tests.
    """

    async def open_stream_connection(self, subscriptions: Sequence[Subscription], ua: str,
                                     local_ip: str) -> StreamTicket:
        """Register a stream connection; the ticket is for one websocket, within 90 s."""
        req = ApiRequest(host="api", method="POST", route=GATEWAY_ROUTE, auth=False, body={
            "clientId": self.client_id,
            "clientSecret": self._client_secret,
            "subscriptions": [{"type": s.type, "topic": s.topic} for s in subscriptions],
            "ua": ua,
            "localIp": local_ip,
        })
        ticket = self._parse(StreamTicket, await self._call(req), req)
        if not ticket.endpoint or not ticket.ticket:
            raise self._malformed(req, "the gateway returned an empty endpoint or ticket")
        return ticket
