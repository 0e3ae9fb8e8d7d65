"""The classification dialog as a pure transition function: `advance(state, action) -> Transition`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

QUESTIONS = ("level", "personal_data", "destination")
# Ordered from least to most protected, so a lower index is a lower level.
LEVEL_ORDER = ("public", "internal", "confidential")

Status = Literal["open", "answered", "expired"]
Outcome = Literal["ask_more", "need_reason", "complete", "already_answered", "expired", "stale", "unchanged"]


@dataclass(frozen=True)
class DialogState:
    status: Status
    version: int
    level: str | None = None
    personal_data: str | None = None
    destination: str | None = None
    previous_level: str | None = None
    awaiting_reason: bool = False
    reason: str | None = None

    def missing(self) -> tuple[str, ...]:
        return tuple(q for q in QUESTIONS if getattr(self, q) is None)

    @property
    def is_downgrade(self) -> bool:
        if self.level is None or self.previous_level not in LEVEL_ORDER or self.level not in LEVEL_ORDER:
            return False
        return LEVEL_ORDER.index(self.level) < LEVEL_ORDER.index(str(self.previous_level))


@dataclass(frozen=True)
class Answer:
    """A click or form submit: any of the three answers (already validated), maybe a reason, the card version."""

    values: dict[str, str]
    reason: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class ReasonGiven:
    """A reason typed as a chat message after the bot asked for one."""

    text: str


@dataclass(frozen=True)
class Expire:
    """The question went unanswered for too long."""


Action = Answer | ReasonGiven | Expire


@dataclass(frozen=True)
class Transition:
    state: DialogState
    outcome: Outcome


def advance(state: DialogState, action: Action) -> Transition:
    """The next state and what happened; a closed or stale question never changes."""
    if state.status == "answered":
        return Transition(state, "already_answered")
    if state.status == "expired":
        return Transition(state, "expired")
    if isinstance(action, Expire):
        return Transition(replace(state, status="expired", awaiting_reason=False), "expired")
    if isinstance(action, ReasonGiven):
        return _with_reason(state, action.text)
    if action.version is not None and action.version != state.version:
        return Transition(state, "stale")
    values = {q: v for q, v in action.values.items() if q in QUESTIONS and v}
    merged = replace(state, **values)  # type: ignore[arg-type]
    reason = (action.reason or "").strip() or merged.reason
    if merged == state and not action.reason:
        return Transition(state, "unchanged")
    return _settle(replace(merged, reason=reason, version=state.version + 1))


def _with_reason(state: DialogState, text: str) -> Transition:
    if not state.awaiting_reason:
        return Transition(state, "unchanged")
    reason = text.strip()
    if not reason:
        return Transition(state, "need_reason")
    return _settle(replace(state, reason=reason, version=state.version + 1))


def _settle(state: DialogState) -> Transition:
    if state.is_downgrade and not state.reason:
        return Transition(replace(state, awaiting_reason=True), "need_reason")
    state = replace(state, awaiting_reason=False)
    if state.missing():
        return Transition(state, "ask_more")
    return Transition(replace(state, status="answered"), "complete")
