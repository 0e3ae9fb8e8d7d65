"""The question card about one shared file, built from its dialog state and the rules pack's vocabulary."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from cards.card import CardButton, CardContent
from cards.render import Language, Trusted, coerce_language, render_card
from handlers.classification.dialog import DialogState
from handlers.context import HandlerContext
from handlers.directory import display_name
from handlers.rules.active import current_pack
from handlers.rules.answers import terms_of
from handlers.rules.models import RulesPack, Term
from storage.models import ClassificationPrompt, SharedFile

ACTION = "classify"


def terms(pack: RulesPack, question: str) -> Mapping[str, Term]:
    return terms_of(pack, question)  # type: ignore[arg-type]


def label(pack: RulesPack, question: str, value: str | None, language: Language) -> str | None:
    if value is None:
        return None
    term = terms(pack, question).get(value)
    return term.label.get(language) if term else value


def state_of(prompt: ClassificationPrompt) -> DialogState:
    return DialogState(
        status=prompt.status, version=prompt.version, level=prompt.level, personal_data=prompt.personal_data,
        destination=prompt.destination, previous_level=prompt.previous_level,
        awaiting_reason=prompt.awaiting_reason, reason=prompt.reason,
    )


def _buttons(pack: RulesPack, state: DialogState, suggested: str | None, language: Language) -> tuple[CardButton, ...]:
    missing = state.missing()
    if state.status != "open" or state.awaiting_reason or not missing:
        return ()
    question = missing[0]
    return tuple(
        CardButton(text=term.label.get(language),
                   params={"action": ACTION, question: value, "version": str(state.version)},
                   style="primary" if question == "level" and value == suggested else "default")
        for value, term in terms(pack, question).items()
    )


def local_time(ctx: HandlerContext, at: datetime | None) -> str:
    return at.astimezone(ctx.policy.calendar.timezone).strftime("%Y-%m-%d %H:%M") if at else ""


def shared_where(shared: SharedFile, language: Language) -> str:
    if shared.channel == "group_quote":
        title = shared.conversation_title or shared.conversation_id
        return {"en": f"in the group {title}", "pt": f"no grupo {title}", "zh-Hant": f"群組「{title}」"}[language]
    return {"en": "with the bot", "pt": "com o bot", "zh-Hant": "與機器人的單聊"}[language]


async def card_for(
    ctx: HandlerContext, prompt: ClassificationPrompt, shared: SharedFile, *, answered_by: str | None = None
) -> CardContent:
    """The card as it should look now, in the language of the person it was sent to."""
    pack = await current_pack(ctx.session)
    language = coerce_language(prompt.language)
    state = state_of(prompt)
    name = await display_name(ctx.session, answered_by or prompt.asked_user)
    return render_card(
        "classify_card", language,
        status=state.status,
        buttons=_buttons(pack, state, prompt.suggested_level, language),
        file_name=shared.file_name,
        shared_where=shared_where(shared, language),
        shared_at=local_time(ctx, shared.shared_at),
        level=label(pack, "level", state.level, language),
        personal_data=label(pack, "personal_data", state.personal_data, language),
        destination=label(pack, "destination", state.destination, language),
        suggested_level=label(pack, "level", prompt.suggested_level, language),
        previous_level=label(pack, "level", state.previous_level, language),
        awaiting_reason=state.awaiting_reason,
        next_question=Trusted(state.missing()[0]) if state.missing() else None,
        reason=state.reason,
        answered_by=name,
        answered_at=local_time(ctx, prompt.closed_at),
    )
