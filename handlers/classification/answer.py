"""Answers to the question card: clicks (`action: classify`) and reasons typed in chat."""

from __future__ import annotations

import logging
from dataclasses import replace

from cards.render import Language, Trusted, coerce_language, render_message
from handlers.classification.card import card_for, label, state_of
from handlers.classification.dialog import QUESTIONS, Action, Answer, ReasonGiven, Transition, advance
from handlers.classification.record import record_classification
from handlers.context import HandlerContext
from handlers.directory import display_name
from handlers.inbound import CardAction, CardResponse, UserId
from handlers.rules.active import current_pack
from handlers.rules.answers import parse_answer_value
from handlers.rules.models import RulesPack
from storage import classifications
from storage.models import ClassificationPrompt, SharedFile

log = logging.getLogger(__name__)


async def on_classify(ctx: HandlerContext, click: CardAction) -> CardResponse:
    """Honour a click from the person the card was sent to; refuse anyone else privately."""
    prompt = await classifications.prompt_by_card(ctx.session, click.card_id)
    if prompt is None:
        return await _unknown_card(ctx, click)
    shared = await classifications.shared_file(ctx.session, prompt.file_id)
    if click.user != prompt.asked_user:
        return await _refuse(ctx, click, prompt, shared)
    values, invalid = _answers(click, await current_pack(ctx.session))
    if invalid:
        await _tell(ctx, click.user, "invalid_answer", value=invalid)
        return CardResponse(card_data=ctx.card_params(await card_for(ctx, prompt, shared)))
    reason = click.params.get("reason")
    action = Answer(values, reason=str(reason) if reason else None, version=_version(click))
    return await _apply(ctx, prompt, shared, action)


async def on_reason_message(ctx: HandlerContext, user: UserId, text: str) -> bool:
    """Take a chat message as the reason the user's card asked for; False when no card is waiting."""
    prompt = await classifications.prompt_awaiting_reason(ctx.session, user)
    if prompt is None:
        return False
    shared = await classifications.shared_file(ctx.session, prompt.file_id)
    await _apply(ctx, prompt, shared, ReasonGiven(text))  # queues the card update for everyone
    return True


async def _apply(ctx: HandlerContext, prompt: ClassificationPrompt, shared: SharedFile, action: Action) -> CardResponse:
    state = state_of(prompt)
    if state.status == "open":
        # The file's hash may have arrived since the card was sent, so look its history up at each answer.
        state = replace(state, previous_level=await classifications.previous_level(ctx.session, shared))
    transition = advance(state, action)
    _store(prompt, transition, ctx)
    outcome = transition.outcome
    if outcome in ("already_answered", "expired"):
        await _tell(ctx, prompt.asked_user, "classify_closed", file_name=shared.file_name,
                    closed=Trusted(outcome if outcome == "expired" else "answered"))
    elif outcome == "stale":
        await _tell(ctx, prompt.asked_user, "classify_stale", file_name=shared.file_name)
    elif outcome == "need_reason":
        language = coerce_language(prompt.language)
        pack = await current_pack(ctx.session)
        await _tell(ctx, prompt.asked_user, "classify_need_reason", file_name=shared.file_name,
                    level=label(pack, "level", transition.state.level, language),
                    previous_level=label(pack, "level", transition.state.previous_level, language))
    elif outcome == "complete":
        await record_classification(ctx, prompt, shared)
    content = await card_for(ctx, prompt, shared)
    if outcome in ("ask_more", "need_reason", "complete"):
        await ctx.update_card(prompt.card_id, content)  # the ack updates the clicker; this updates everyone
        await ctx.record(prompt.asked_user, f"classification.{outcome}", f"file:{shared.id}",
                         {"card": prompt.card_id, "version": prompt.version, "answers": _answers_of(prompt)})
    return CardResponse(card_data=ctx.card_params(content))


def _store(prompt: ClassificationPrompt, transition: Transition, ctx: HandlerContext) -> None:
    state = transition.state
    prompt.status = state.status
    prompt.version = state.version
    prompt.level, prompt.personal_data, prompt.destination = state.level, state.personal_data, state.destination
    prompt.previous_level = state.previous_level
    prompt.awaiting_reason = state.awaiting_reason
    prompt.reason = state.reason
    if state.status != "open" and prompt.closed_at is None:
        prompt.closed_at = ctx.now
        prompt.next_check_at = None


def _answers(click: CardAction, pack: RulesPack) -> tuple[dict[str, str], str | None]:
    values: dict[str, str] = {}
    for question in QUESTIONS:
        raw = click.params.get(question)
        if raw in (None, ""):
            continue
        value = parse_answer_value(question, str(raw), pack)  # type: ignore[arg-type]
        if value is None:
            return {}, str(raw)[:80]
        values[question] = value
    return values, None


def _version(click: CardAction) -> int | None:
    raw = click.params.get("version")
    try:
        return int(str(raw)) if raw not in (None, "") else None
    except ValueError:
        return None


def _answers_of(prompt: ClassificationPrompt) -> dict[str, str | None]:
    return {"level": prompt.level, "personal_data": prompt.personal_data, "destination": prompt.destination}


async def _refuse(ctx: HandlerContext, click: CardAction, prompt: ClassificationPrompt,
                  shared: SharedFile) -> CardResponse:
    log.warning("refused a click by %s on card %s sent to %s", click.user, click.card_id, prompt.asked_user)
    await ctx.record(click.user, "classification.refused", f"file:{shared.id}",
                     {"card": prompt.card_id, "askedUser": prompt.asked_user, "params": sorted(click.params)})
    owner = await display_name(ctx.session, prompt.asked_user)
    await _tell(ctx, click.user, "classify_refused", file_name=shared.file_name, owner=owner)
    return CardResponse()


async def _unknown_card(ctx: HandlerContext, click: CardAction) -> CardResponse:
    await ctx.record(click.user, "card.unknown", click.card_id, {"action": click.action})
    await _tell(ctx, click.user, "unknown_card_action")
    return CardResponse()


async def _tell(ctx: HandlerContext, user: str, template: str, **values: object) -> None:
    language: Language = await ctx.language_of(UserId(user))
    await ctx.send_to_user(UserId(user), render_message(template, language, **values))

