"""Reminder channels besides the robot (dingtalk-wire.md 7): work notifications and DingTalk Todo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from pydantic import Field

from bot.dingtalk.core import ClientCore
from bot.dingtalk.models import WireModel
from bot.dingtalk.robot import unique_ids
from bot.dingtalk.transport import ApiRequest

WORK_NOTICE_ROUTE = "/topapi/message/corpconversation/asyncsend_v2"
TODO_CREATE_ROUTE = "/v1.0/todo/users/{unionId}/tasks"
WORK_NOTICE_MAX_USERS = 100


class _WorkNoticeAnswer(WireModel):
    task_id: int


class _TodoAnswer(WireModel):
    id: str = Field(min_length=1)


class ReminderApi(ClientCore):
    """Work notifications (oapi) and Todo tasks (new API)."""

    async def send_work_notification(self, agent_id: int, user_ids: Sequence[str], msg: Mapping[str, Any]) -> int:
        """Queue a work notification (snake_case `msg`, one msgtype) to up to 100 users; returns its task_id.

        DingTalk silently drops the same content to the same user within a day; vary the text.
        """
        recipients = unique_ids(user_ids)
        if not 1 <= len(recipients) <= WORK_NOTICE_MAX_USERS:
            raise ValueError(f"a work notification goes to 1 to {WORK_NOTICE_MAX_USERS} users")
        req = ApiRequest(host="oapi", method="POST", route=WORK_NOTICE_ROUTE, body={
            "agent_id": agent_id, "userid_list": ",".join(recipients), "to_all_user": False, "msg": dict(msg),
        })
        return self._parse(_WorkNoticeAnswer, await self._call(req), req).task_id

    async def create_todo(
        self,
        union_id: str,
        subject: str,
        *,
        description: str = "",
        due_time_ms: int | None = None,
        executor_union_ids: Sequence[str] = (),
        detail_url: str | None = None,
        source_id: str | None = None,
    ) -> str:
        """Create a Todo task owned by `union_id` (executors default to that person); returns its id."""
        body: dict[str, Any] = {
            "subject": subject,
            "executorIds": unique_ids(executor_union_ids) or [union_id],
        }
        if description:
            body["description"] = description
        if due_time_ms is not None:
            body["dueTime"] = due_time_ms
        if detail_url:
            body["detailUrl"] = {"appUrl": detail_url, "pcUrl": detail_url}
        if source_id:
            body["sourceId"] = source_id
        req = ApiRequest(host="api", method="POST", route=TODO_CREATE_ROUTE, body=body,
                         path=TODO_CREATE_ROUTE.replace("{unionId}", quote(union_id, safe="")),
                         query={"operatorId": union_id})
        return self._parse(_TodoAnswer, await self._call(req), req).id
