"""Delivers due reminder rows: claim, re-check, one digest card per person and instant, record the outcome.

Claims are leased rows (SKIP LOCKED on PostgreSQL), so two replicas never send the same reminder; a
digest's card id is derived from its rows, so a send retried after a crash cannot deliver a second card
(DingTalk answers `param.cardAlreadyExist`, which counts as delivered).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.dingtalk import CardDelivery, DingTalkClient, DingTalkError, RobotChat
from bot.outbox import retry_delay
from cards.card import CardContent, param_map
from cards.render import Trusted, coerce_language, escape_markdown, render_message
from handlers.context import HandlerContext, OrgPolicy
from handlers.directory import display_name
from handlers.inbound import UserId
from handlers.reminders.cards import basis_of, reminder_card
from handlers.reminders.schedule import effective_rule, recipients
from handlers.rules.active import current_pack
from storage import assessments, directory, preferences, reminders
from storage.models import Assessment, Reminder

log = logging.getLogger(__name__)

BATCH = 200
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 12
ALREADY_DELIVERED = "param.cardAlreadyExist"


@dataclass(frozen=True)
class Claimed:
    id: int
    assessment_id: int
    recipient: str
    kind: str
    attempts: int
    card_id: str
    claimed_until: datetime | None


@dataclass(frozen=True)
class DispatchReport:
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0


class ReminderDispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: DingTalkClient, policy: OrgPolicy,
                 clock: Callable[[], datetime], *, concurrency: int = 16, batch: int = BATCH,
                 lease: timedelta = LEASE, agent_id: int | None = None) -> None:
        self._sessions = sessions
        self._agent_id = agent_id  # work notifications need the app's agentId
        self._batch = batch
        self._lease = lease
        self._client = client
        self._policy = policy
        self._clock = clock
        self._slots = asyncio.Semaphore(concurrency)

    async def dispatch_due(self) -> DispatchReport:
        """Send everything due now, batch by batch; return what happened."""
        totals: dict[str, int] = defaultdict(int)
        while True:
            now = self._clock()
            async with self._sessions() as session, session.begin():
                rows = await self._claim(session, now)
            if not rows:
                return DispatchReport(**totals)
            groups: dict[str, list[Claimed]] = defaultdict(list)
            for row in rows:
                groups[row.card_id].append(row)
            for outcome in await asyncio.gather(*(self._deliver_isolated(group, now) for group in groups.values())):
                for key, count in outcome.items():
                    totals[key] += count

    async def _deliver_isolated(self, group: list[Claimed], now: datetime) -> dict[str, int]:
        """One person's card; a database error there leaves its rows to the lease and the others go on."""
        try:
            return await self._deliver(group[0].recipient, group, now)
        except SQLAlchemyError as exc:
            # The message may quote parameters (people's ids), so only the type is logged.
            log.error("reminders: a card of %d reminders could not be recorded (%s); they are retried once their "
                      "claim lapses", len(group), type(exc).__name__)
            return {"retried": len(group)}

    async def _claim(self, session: AsyncSession, now: datetime) -> list[Claimed]:
        """Claim due rows and fix which card each goes in, before anything is sent.

        A row keeps its card id across retries and crashes, so a card resent after a crash has the id
        DingTalk already knows and is not delivered twice.
        """
        claimed = await reminders.claim_due_reminders(session, now=now, limit=self._batch, lease=self._lease)
        promised = {str((r.delivery or {})["outTrackId"]) for r in claimed if (r.delivery or {}).get("outTrackId")}
        have = {r.id for r in claimed}
        for card_id in promised:  # a retried card goes out whole, or not at all
            extra = await reminders.claim_card_group(session, card_id, now=now, claimed_until=now + self._lease)
            claimed += [r for r in extra if r.id not in have]
        fresh: dict[str, list[Reminder]] = defaultdict(list)
        for row in claimed:
            if not (row.delivery or {}).get("outTrackId"):
                fresh[row.recipient].append(row)
        for recipient, group in fresh.items():
            ids = ",".join(str(r.id) for r in sorted(group, key=lambda r: r.id))
            card_id = "reminder-" + hashlib.sha256(f"{recipient}:{ids}".encode()).hexdigest()[:32]
            for row in group:
                row.delivery = {"outTrackId": card_id}
        await session.flush()
        return [Claimed(r.id, r.assessment_id, r.recipient, r.kind, r.attempts, str(r.delivery["outTrackId"]),
                        r.claimed_until) for r in claimed if r.delivery]

    async def _deliver(self, recipient: str, rows: list[Claimed], now: datetime) -> dict[str, int]:
        async with self._slots:
            due, stale = await self._recheck(recipient, rows)
            if stale:
                async with self._sessions() as session, session.begin():
                    await reminders.skip_reminders(session, [r.id for r in stale],
                                                   reason="done, waived or reassigned before it went out")
            if not due:
                return {"skipped": len(stale)}
            card_id = rows[0].card_id
            try:
                card, shown = await self._card(recipient, [item for _, item in due], now)
                if shown < len(due):  # no room in this card: those rows get a card of their own next round
                    await self._release(due[shown:], now)
                    due = due[:shown]
                delivery = await self._send(recipient, card_id, card, [item for _, item in due])
            except DingTalkError as exc:
                failed = await self._failed([r for r, _ in due], str(exc), exc.code, exc.retryable)
                return {"skipped": len(stale), **failed}
            except (ValueError, KeyError, TypeError) as exc:  # a card we can never build; keep the rows, tell admins
                log.exception("reminder card for %s could not be built", recipient)
                failed = await self._failed([r for r, _ in due], repr(exc), "unbuildable", False)
                return {"skipped": len(stale), **failed}
            sent = 0
            async with self._sessions() as session, session.begin():
                for row, _ in due:
                    sent += await reminders.mark_reminder_sent(session, row.id, at=self._clock(), delivery=delivery,
                                                               claimed_until=row.claimed_until)
            return {"skipped": len(stale), "sent": sent}

    async def _recheck(self, recipient: str, rows: list[Claimed]) -> tuple[list[tuple[Claimed, Assessment]],
                                                                           list[Claimed]]:
        due: list[tuple[Claimed, Assessment]] = []
        stale: list[Claimed] = []
        seen: set[int] = set()
        async with self._sessions() as session:
            for row in rows:
                assessment = await assessments.get_assessment(session, row.assessment_id)
                closed = assessment is None or assessment.status in ("done", "waived")
                reassigned = assessment is not None and row.kind.startswith(("lead:", "overdue:")) \
                    and assessment.owner != recipient
                if closed or reassigned or row.assessment_id in seen:
                    stale.append(row)
                elif assessment is not None:
                    seen.add(row.assessment_id)
                    due.append((row, assessment))
        return due, stale

    async def _card(self, recipient: str, items: list[Assessment], now: datetime) -> tuple[CardContent, int]:
        async with self._sessions() as session:
            language = coerce_language(await preferences.get_language(session, recipient))
            owners = {a.owner: await display_name(session, a.owner) for a in items}
            pack = await current_pack(session)
        return reminder_card(items, recipient=recipient, language=language, now=now,
                             timezone=self._policy.calendar.timezone, owners=owners, pack=pack)

    async def _release(self, rows: list[tuple[Claimed, Assessment]], now: datetime) -> None:
        async with self._sessions() as session, session.begin():
            for row, _ in rows:
                await reminders.release_to_new_card(session, row.id, next_attempt_at=now,
                                                    claimed_until=row.claimed_until)

    async def _send(self, recipient: str, card_id: str, content: CardContent,
                    items: list[Assessment]) -> dict[str, object]:
        async with self._sessions() as session:
            channel = (await effective_rule(session, items[0].type)).channel
            person = await directory.get_user(session, recipient)
            pack = await current_pack(session) if channel == "todo" else None  # the to-dos cite the law
        if channel == "work_notice" and self._agent_id:
            text = (content.markdown + "\n\n" + card_id[-8:])[:1800]  # DingTalk drops repeats of one text a day
            message = {"msgtype": "markdown", "markdown": {"title": content.title, "text": text}}
            task = await self._client.send_work_notification(self._agent_id, [recipient], message)
            return {"outTrackId": card_id, "channel": channel, "taskId": task}
        if channel == "todo" and person is not None and person.union_id:
            todos = [await self._client.create_todo(
                person.union_id, a.title, description=basis_of(a, pack), due_time_ms=int(a.due_at.timestamp() * 1000),
                source_id=f"{card_id}-{a.id}") for a in items]
            return {"outTrackId": card_id, "channel": channel, "todoIds": todos}
        template, params = param_map(content, self._policy.card_template_id)
        delivery = CardDelivery(card_template_id=template, out_track_id=card_id, space=RobotChat(recipient),
                                card_param_map=params)
        try:
            results = await self._client.create_and_deliver_card(delivery)
        except DingTalkError as exc:
            if exc.code != ALREADY_DELIVERED:
                raise
            results = []  # an earlier attempt delivered it before its outcome could be recorded
        return {"outTrackId": card_id, "channel": "card", "carrierIds": [r.carrier_id for r in results if r.success]}

    async def _failed(self, rows: list[Claimed], error: str, code: str, retryable: bool) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        # One retry time for the whole card, so its rows are claimed again together.
        retry_at = self._clock() + retry_delay(max(row.attempts for row in rows))
        async with self._sessions() as session, session.begin():
            for row in rows:
                if retryable and row.attempts < MAX_ATTEMPTS:
                    if await reminders.mark_reminder_retry(session, row.id, error=error, next_attempt_at=retry_at,
                                                           claimed_until=row.claimed_until):
                        counts["retried"] += 1
                elif await reminders.mark_reminder_failed(session, row.id, error=error,
                                                          claimed_until=row.claimed_until):
                    await self._tell_admins(session, row, code)
                    counts["failed"] += 1
        log.warning("reminders to one recipient not sent (%s): %s", dict(counts), error)
        return counts

    async def _tell_admins(self, session: AsyncSession, row: Claimed, code: str) -> None:
        """A reminder DingTalk will never take is reported to the admins (through the outbox)."""
        assessment = await assessments.get_assessment(session, row.assessment_id)
        ctx = HandlerContext(session=session, now=self._clock(), origin=f"reminder-failed:{row.id}",
                             policy=self._policy)
        title = escape_markdown(assessment.title if assessment else f"#{row.assessment_id}")
        for admin in await recipients(session, "admins", row.recipient, self._policy):
            language = await ctx.language_of(UserId(admin))
            await ctx.send_to_user(UserId(admin), render_message(
                "reminder_failed", language, recipient=await display_name(session, row.recipient),
                title_text=Trusted(title), error=code))
