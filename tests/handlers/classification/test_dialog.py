"""The classification dialog as a table: (state, action) -> (outcome, next state)."""

from __future__ import annotations

import pytest

from handlers.classification.dialog import Action, Answer, DialogState, Expire, ReasonGiven, advance

OPEN = DialogState(status="open", version=1)
PARTIAL = DialogState(status="open", version=2, level="internal")
RESHARED = DialogState(status="open", version=1, previous_level="confidential")
WAITING = DialogState(status="open", version=2, level="public", previous_level="confidential", awaiting_reason=True)
DONE = DialogState(status="answered", version=2, level="public", personal_data="none", destination="macau")
EXPIRED = DialogState(status="expired", version=1)
FULL = {"level": "confidential", "personal_data": "customer", "destination": "mainland"}

CASES: list[tuple[str, DialogState, Action, str, dict[str, object]]] = [
    ("full answer in one click", OPEN, Answer(FULL), "complete",
     {"status": "answered", "version": 2, **FULL}),
    ("first step", OPEN, Answer({"level": "internal"}), "ask_more", {"level": "internal", "version": 2}),
    ("second step", PARTIAL, Answer({"personal_data": "staff"}, version=2), "ask_more",
     {"personal_data": "staff", "version": 3}),
    ("last step completes", DialogState(status="open", version=3, level="internal", personal_data="staff"),
     Answer({"destination": "macau"}, version=3), "complete", {"status": "answered"}),
    ("changing an answer before the end", PARTIAL, Answer({"level": "public"}), "ask_more", {"level": "public"}),
    ("old card version", PARTIAL, Answer({"personal_data": "staff"}, version=1), "stale", {"version": 2}),
    ("same click twice", PARTIAL, Answer({"level": "internal"}), "unchanged", {"version": 2}),
    ("unknown params are ignored", OPEN, Answer({"colour": "red"}), "unchanged", {"version": 1}),
    ("answered card", DONE, Answer(FULL), "already_answered", {"level": "public"}),
    ("expired card", EXPIRED, Answer(FULL), "expired", {"status": "expired"}),
    ("downgrade needs a reason", RESHARED, Answer({**FULL, "level": "public"}), "need_reason",
     {"awaiting_reason": True, "status": "open", "level": "public"}),
    ("downgrade with a reason in the card", RESHARED, Answer({**FULL, "level": "internal"}, reason="redacted"),
     "complete", {"reason": "redacted", "status": "answered"}),
    ("same level again is no downgrade", RESHARED, Answer(FULL), "complete", {"status": "answered"}),
    ("reason typed in chat", WAITING, ReasonGiven("names removed"), "ask_more",
     {"reason": "names removed", "awaiting_reason": False}),
    ("empty reason is not enough", WAITING, ReasonGiven("  "), "need_reason", {"awaiting_reason": True}),
    ("a reason nobody asked for", PARTIAL, ReasonGiven("why not"), "unchanged", {"reason": None}),
    ("raising the level instead of a reason", WAITING, Answer({"level": "confidential"}), "ask_more",
     {"awaiting_reason": False, "level": "confidential"}),
    ("expiry closes an open question", PARTIAL, Expire(), "expired", {"status": "expired"}),
    ("expiry leaves an answer alone", DONE, Expire(), "already_answered", {"status": "answered"}),
]


@pytest.mark.parametrize(("name", "state", "action", "outcome", "expected"), CASES, ids=[c[0] for c in CASES])
def test_advance(name: str, state: DialogState, action: Action, outcome: str, expected: dict[str, object]) -> None:
    transition = advance(state, action)
    assert transition.outcome == outcome
    for field, value in expected.items():
        assert getattr(transition.state, field) == value, field


def test_a_complete_answer_needs_all_three() -> None:
    state = DialogState(status="open", version=1)
    for question, value in FULL.items():
        transition = advance(state, Answer({question: value}, version=state.version))
        state = transition.state
    assert transition.outcome == "complete" and state.missing() == ()
