"""Messages from users to the bot (wire reference 2.2, 2.3), pushed on ``/v1.0/im/bot/messages/get``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sandbox import frames, ids
from sandbox.hub import Delivery
from sandbox.org import Group, User
from sandbox.state import SandboxState
from sandbox.store import StoredFile
from sandbox.timeline import group_key, user_key


@dataclass(frozen=True)
class Injected:
    delivery: Delivery | None
    msg_id: str
    conversation_id: str

    def public(self) -> dict[str, Any]:
        delivery = self.delivery
        return {
            "messageId": delivery.message_id if delivery else None,
            "msgId": self.msg_id,
            "conversationId": self.conversation_id,
            "delivered": bool(delivery and delivery.state == "sent"),
            "queued": bool(delivery and delivery.state == "queued"),
        }


def conversation_of(user: User) -> str:
    """The 1:1 conversation between ``user`` and the bot, stable per user."""
    return ids.stable_cid("im-robot:" + user.userid)


def _common(state: SandboxState, user: User, cid: str, kind: str, session_key: str) -> dict[str, Any]:
    now = state.clock.now_ms()
    session = state.sessions.touch(kind, session_key, now)
    return {
        "conversationId": cid,
        "chatbotCorpId": state.config.corp_id,
        "chatbotUserId": ids.encrypted_id("bot:" + state.config.client_id),
        "robotCode": state.config.client_id,
        "msgId": ids.msg_id(),
        "createAt": now,
        "senderId": ids.encrypted_id(user.userid),
        "senderNick": user.name,
        "senderStaffId": user.userid,
        "senderUnionId": user.unionid,
        "senderCorpId": state.config.corp_id,
        "senderPlatform": "Web",
        "isAdmin": user.admin,
        "sessionWebhook": f"{state.base_url}/robot/sendBySession?session={session.token}",
        "sessionWebhookExpiredTime": session.expires_ms,
    }


def _push(state: SandboxState, payload: dict[str, Any]) -> Delivery:
    frame = frames.data_frame("CALLBACK", frames.BOT_MESSAGE_TOPIC, payload, state.app_id, state.clock.now_ms())
    return state.hub.publish(frame)


def direct_text(state: SandboxState, user: User, text: str) -> Injected:
    cid = conversation_of(user)
    payload = {**_common(state, user, cid, "user", user.userid), "conversationType": "1", "msgtype": "text",
               "text": {"content": text}}
    delivery = _push(state, payload)
    state.timeline.add(user_key(user.userid), {"kind": "user", "from": user.userid, "msgtype": "text",
                                               "text": text, "messageId": delivery.message_id,
                                               "msgId": payload["msgId"]})
    return Injected(delivery, payload["msgId"], cid)


def direct_file(state: SandboxState, user: User, stored: StoredFile) -> Injected:
    cid = conversation_of(user)
    content = {"spaceId": stored.space_id, "fileName": stored.file_name, "downloadCode": stored.download_code,
               "fileId": stored.file_id}
    payload = {**_common(state, user, cid, "user", user.userid), "conversationType": "1", "msgtype": "file",
               "content": content}
    delivery = _push(state, payload)
    state.timeline.add(user_key(user.userid), {
        "kind": "user", "from": user.userid, "msgtype": "file", "messageId": delivery.message_id,
        "msgId": payload["msgId"], "file": {"fileName": stored.file_name, "size": len(stored.content),
                                            "downloadCode": stored.download_code},
    })
    return Injected(delivery, payload["msgId"], cid)


def group_text(state: SandboxState, group: Group, user: User, text: str, at_bot: bool,
               replied: dict[str, Any] | None) -> Injected:
    """A group message; DingTalk only pushes it to the bot when the bot is @-mentioned."""
    payload = {**_common(state, user, group.conversation_id, "group", group.conversation_id),
               "conversationType": "2", "conversationTitle": group.title, "msgtype": "text",
               "isInAtList": at_bot,
               "atUsers": [{"dingtalkId": ids.encrypted_id("bot:" + state.config.client_id)}] if at_bot else [],
               "text": {"content": (" " + text) if at_bot else text}}
    if replied is not None:
        payload["text"] = {**payload["text"], "isReplyMsg": True, "repliedMsg": replied}
    delivery = _push(state, payload) if at_bot else None
    state.timeline.add(group_key(group.conversation_id), {
        "kind": "user", "from": user.userid, "msgtype": "text", "text": text, "atBot": at_bot,
        "messageId": delivery.message_id if delivery else None, "msgId": payload["msgId"],
    })
    return Injected(delivery, payload["msgId"], group.conversation_id)
