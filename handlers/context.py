"""What every handler gets: a session in the frame's transaction, the time, and ways to reply and record."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cards.card import CardContent, param_map
from cards.render import Language, Markdown, coerce_language
from handlers.inbound import ConversationId, UserId
from handlers.worktime import WorkCalendar
from storage import audit, outbox, preferences

ROBOT_OTO = "robot.oto"
ROBOT_GROUP = "robot.group"
CARD_CREATE = "card.create"
CARD_UPDATE = "card.update"
FILE_DIGEST = "file.digest"


@dataclass(frozen=True)
class ClassificationPolicy:
    """When unanswered classification questions are nudged, escalated and closed, in working time."""

    nudge_after: timedelta = timedelta(hours=4)
    escalate_after: timedelta = timedelta(hours=8)
    expire_after: timedelta = timedelta(hours=40)
    keywords: tuple[str, ...] = ()  # the org's own words that suggest a Confidential file
    drive_events: bool = False


@dataclass(frozen=True)
class OrgPolicy:
    """The org-level settings handlers need."""

    admins: tuple[str, ...] = ()
    calendar: WorkCalendar = field(default_factory=WorkCalendar)
    card_template_id: str | None = None
    classification: ClassificationPolicy = field(default_factory=ClassificationPolicy)
    public_url: str = ""  # where people open the bot's pages (reports, certificates)
    link_key: bytes = b""  # signs those pages' links (handlers.links)


@dataclass
class HandlerContext:
    """One handler call. Writes go into `session`; the caller commits them with the frame's dedup record."""

    session: AsyncSession
    now: datetime
    origin: str  # the frame or job id, so the sends of one event are queued once however often it arrives
    policy: OrgPolicy
    # When queued messages may go out; `now` unless a dry run acts "as if it were" a later time.
    sends_due: datetime | None = None
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

    def card_params(self, content: CardContent) -> dict[str, str]:
        """The cardParamMap of `content` for the org's card template (used in callback acks)."""
        return param_map(content, self.policy.card_template_id)[1]

    async def send_card(self, user: UserId, card_id: str, content: CardContent) -> None:
        """Queue an interactive card to `user`'s 1:1 chat with the bot; clicks come back on the stream."""
        template, params = param_map(content, self.policy.card_template_id)
        await self._enqueue(CARD_CREATE, {"outTrackId": card_id, "templateId": template, "userId": user,
                                          "paramMap": params})

    async def update_card(self, card_id: str, content: CardContent) -> None:
        """Queue an update of the card for everyone who has it."""
        await self._enqueue(CARD_UPDATE, {"outTrackId": card_id, "paramMap": self.card_params(content)})

    async def digest_file(self, file_id: int, download_code: str) -> None:
        """Queue fetching a shared file's size and SHA-256 (the content itself is never stored)."""
        await self._enqueue(FILE_DIGEST, {"fileId": file_id, "downloadCode": download_code})

    async def record(self, actor: str, action: str, subject: str, details: dict[str, Any]) -> None:
        """Append an entry to the hash-chained audit log, in this transaction.

        The log is kept in real time order: a run "as if it were" another time notes that time instead.
        """
        at = self.sends_due or self.now
        if at != self.now:
            details = {**details, "asOf": self.now.isoformat()}
        await audit.append_audit(self.session, actor=actor, action=action, subject=subject, details=details, at=at)

    async def _enqueue(self, kind: str, payload: dict[str, Any]) -> None:
        self._queued += 1
        await outbox.enqueue(self.session, kind, payload, dedup_key=f"{self.origin}#{self._queued}",
                             at=self.sends_due or self.now)
