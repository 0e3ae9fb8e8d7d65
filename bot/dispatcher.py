"""One path for every inbound frame: parse, dedup, lock, handle, commit, ack.

`Dispatcher.dispatch(raw) -> DispatchResult` is transport-free, so tests can call it directly; the
stream connection only reads frames, calls it and writes the ack it returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from dingtalk_stream.card_callback import Card_Callback_Router_Topic
from dingtalk_stream.chatbot import ChatbotMessage
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import inbound
from bot.frames import (
    ACK_ERROR,
    ACK_NOT_FOUND,
    ACK_OK,
    Frame,
    FrameError,
    build_ack,
    fallback_message_id,
    parse_frame,
)
from handlers.card_actions import on_card_action
from handlers.chat import on_chat_message
from handlers.context import HandlerContext, OrgPolicy
from handlers.events import on_event
from storage import frames as frame_store

log = logging.getLogger(__name__)

TOPIC_BOT_MESSAGE: str = ChatbotMessage.TOPIC
TOPIC_CARD_CALLBACK: str = Card_Callback_Router_Topic
EVENT_OK = {"status": "SUCCESS", "message": "ok"}
EVENT_RETRY = {"status": "LATER", "message": "failed; please redeliver"}
MAX_RAW_KEPT = 64 * 1024

Route = Callable[[HandlerContext, Frame], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class DispatchResult:
    """The ack to write back (None when the frame cannot be answered) and what the connection must do."""

    ack: str | None
    disconnect: bool = False


async def _chat(ctx: HandlerContext, frame: Frame) -> dict[str, Any]:
    await on_chat_message(ctx, inbound.chat_message(frame))
    return {"response": None}


async def _card(ctx: HandlerContext, frame: Frame) -> dict[str, Any]:
    response = await on_card_action(ctx, inbound.card_action(frame))
    return {"response": response.ack_response()}


async def _event(ctx: HandlerContext, frame: Frame) -> dict[str, Any]:
    await on_event(ctx, inbound.stream_event(frame))
    return dict(EVENT_OK)


CALLBACK_ROUTES: dict[str, Route] = {TOPIC_BOT_MESSAGE: _chat, TOPIC_CARD_CALLBACK: _card}


class KeyedLocks:
    """One asyncio lock per key (a conversation, a card), dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


def _lock_key(frame: Frame) -> str:
    data = frame.data
    key = data.get("conversationId") or data.get("outTrackId") or frame.message_id
    return f"{frame.topic}:{key}"


class Dispatcher:
    """Runs each frame through dedup, a per-conversation lock, its handler and one transaction."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        policy: OrgPolicy,
        clock: Callable[[], datetime],
        on_committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._clock = clock
        self._on_committed = on_committed
        self._locks = KeyedLocks()

    async def dispatch(self, raw: str | bytes) -> DispatchResult:
        """Handle one raw frame and return the ack to send."""
        try:
            frame = parse_frame(raw)
        except FrameError as exc:
            return await self._reject(raw, exc)
        if frame.type == "SYSTEM":
            return self._system(frame)
        route = _event if frame.type == "EVENT" else CALLBACK_ROUTES.get(frame.topic)
        if route is None:
            error = FrameError(f"no handler for topic {frame.topic!r}", code=ACK_NOT_FOUND,
                               message_id=frame.message_id, topic=frame.topic)
            return await self._reject(raw, error)
        async with self._locks.hold(_lock_key(frame)):
            return await self._handle(frame, route)

    def _system(self, frame: Frame) -> DispatchResult:
        if frame.topic == "ping":
            return DispatchResult(build_ack(frame.message_id, ACK_OK, "OK", frame.data))
        if frame.topic == "disconnect":
            log.info("DingTalk asked us to reconnect: %s", frame.data.get("reason", "no reason given"))
            return DispatchResult(build_ack(frame.message_id, ACK_OK, "OK", {}), disconnect=True)
        log.debug("ignoring system topic %r", frame.topic)
        return DispatchResult(build_ack(frame.message_id, ACK_OK, "OK", {}))

    async def _handle(self, frame: Frame, route: Route) -> DispatchResult:
        for attempt in range(2):  # a lost insert race is retried once, and then replays the winner's outcome
            try:
                return await self._handle_once(frame, route)
            except IntegrityError as exc:
                if attempt == 1:  # not a race on the frame id: the handler's own writes conflict
                    log.exception("handler writes conflict for frame %s (%s)", frame.message_id, frame.topic)
                    await self._record_failure(frame, exc)
                    break
                log.info("frame %s was handled concurrently elsewhere; replaying its outcome", frame.message_id)
            except FrameError as exc:
                return await self._reject(frame.raw, exc)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the error boundary: log, keep the frame, ask for redelivery
                log.exception("handler failed for frame %s (%s)", frame.message_id, frame.topic)
                await self._record_failure(frame, exc)
                data = EVENT_RETRY if frame.type == "EVENT" else {"response": None}
                return DispatchResult(build_ack(frame.message_id, ACK_ERROR, "handler failed", data))
        data = EVENT_RETRY if frame.type == "EVENT" else {"response": None}
        return DispatchResult(build_ack(frame.message_id, ACK_ERROR, "handler failed", data))

    async def _handle_once(self, frame: Frame, route: Route) -> DispatchResult:
        async with self._sessions() as session, session.begin():
            done = await frame_store.get_processed_frame(session, frame.message_id)
            if done is not None and done.status != "failed":
                log.info("duplicate frame %s; replaying the stored ack", frame.message_id)
                return DispatchResult(build_ack(done.message_id, done.ack_code, done.ack_message, done.ack_data))
            if done is not None:
                await session.delete(done)
                await session.flush()
            ctx = HandlerContext(session=session, now=self._clock(), origin=frame.message_id, policy=self._policy)
            ack_data = await route(ctx, frame)
            await frame_store.record_frame(
                session, message_id=frame.message_id, topic=frame.topic, frame_type=frame.type,
                status="handled", ack_code=ACK_OK, ack_message="OK", ack_data=ack_data, received_at=ctx.now,
            )
        self._on_committed()
        return DispatchResult(build_ack(frame.message_id, ACK_OK, "OK", ack_data))

    async def _reject(self, raw: str | bytes, error: FrameError) -> DispatchResult:
        """Ack a frame we cannot handle with an error, and keep it for inspection."""
        text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
        message_id = error.message_id or fallback_message_id(raw)
        log.warning("rejected frame %s (%s): %s", message_id, error.topic or "no topic", error)
        try:
            async with self._sessions() as session, session.begin():
                if await frame_store.get_processed_frame(session, message_id) is None:
                    await frame_store.record_frame(
                        session, message_id=message_id, topic=error.topic, frame_type="REJECTED",
                        status="rejected", ack_code=error.code, ack_message=str(error), ack_data=None,
                        error=str(error), raw=text[:MAX_RAW_KEPT], received_at=self._clock(),
                    )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not record rejected frame %s", message_id)
        if not error.message_id:
            return DispatchResult(None)  # nothing to echo: DingTalk cannot match an ack without its id
        return DispatchResult(build_ack(message_id, error.code, str(error), None))

    async def _record_failure(self, frame: Frame, exc: Exception) -> None:
        try:
            async with self._sessions() as session, session.begin():
                done = await frame_store.get_processed_frame(session, frame.message_id)
                if done is not None:
                    done.error = repr(exc)[:2000]
                    return
                await frame_store.record_frame(
                    session, message_id=frame.message_id, topic=frame.topic, frame_type=frame.type,
                    status="failed", ack_code=ACK_ERROR, ack_message="handler failed", ack_data=None,
                    error=repr(exc)[:2000], raw=frame.raw[:MAX_RAW_KEPT], received_at=self._clock(),
                )
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not record the failure of frame %s", frame.message_id)
