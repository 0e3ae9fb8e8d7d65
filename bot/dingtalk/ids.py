"""DingTalk's identifiers, kept apart so a userId is never passed where a unionId belongs."""

from __future__ import annotations

from typing import NewType

UserId = NewType("UserId", str)
"""An org-scoped staff id (`userid`, `senderStaffId`): for robot sends, cards and the directory."""

UnionId = NewType("UnionId", str)
"""A cross-app person id (`unionid`): for Todo and Drive."""

OpenConversationId = NewType("OpenConversationId", str)
"""A group chat's `openConversationId` (`cid...`)."""

DeptId = NewType("DeptId", int)
"""A department id; the root department is 1."""

ROOT_DEPT = DeptId(1)
