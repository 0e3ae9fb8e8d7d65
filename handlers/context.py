"""What every handler gets: a session in the frame's transaction, the time, and ways to reply and record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from cards.render import Language, Markdown, coerce_language
from handlers.inbound import ConversationId, UserId
from storage import audit, outbox, preferences

ROBOT_OTO = "robot.oto"
ROBOT_GROUP = "robot.group"


@dataclass(frozen=True)
class OrgPolicy:
    """The org-level settings handlers need."""

    admins: tuple[str, ...] = ()
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Macau"))


@dataclass
class HandlerContext:
    """One handler call. Writes go into `session`; the caller commits them with the frame's dedup record."""

    session: AsyncSession
    now: datetime
    origin: str  # the frame id, so the replies of one frame are queued once however often it arrives
    policy: OrgPolicy
    _queued: int = 0

    async def language_of(self, user: UserId) -> Language:
        return coerce_language(await preferences.get_language(self.session, user))

    async def send_to_user(self, user: UserId, message: Markdown) -> None:
        """Queue a 1:1 robot message; it is sent after the commit, and retried until DingTalk takes it."""
        await self._enqueue(ROBOT_OTO, {"userIds": [user], "msgKey": "sampleMarkdown",
                                        "msgParam": message.robot_param()})

    async def send_to_group(self, conversation: ConversationId, message: Markdown) -> None:
        await self._enqueue(ROBOT_GROUP, {"openConversationId": conversation, "msgKey": "sampleMarkdown",
                                          "msgParam": message.robot_param()})

    async def record(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        """Append an entry to the hash-chained audit log, in this transaction."""
        await audit.append_audit(self.session, actor=actor, action=action, subject=subject, details=details,
                                 at=self.now)

    async def _enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        self._queued += 1
        await outbox.enqueue(self.session, kind, payload, dedup_key=f"{self.origin}#{self._queued}",
                             at=self.now)
