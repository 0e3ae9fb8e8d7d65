"""A file was shared where the bot can see it: record it and ask the sharer to classify it on a card."""

from __future__ import annotations

import uuid

from cards.render import render_message
from handlers.classification.card import card_for
from handlers.classification.suggest import suggest_level
from handlers.context import HandlerContext
from handlers.directory import display_name
from handlers.inbound import ChatMessage, SharedFile, UserId
from storage import classifications


async def ask_to_classify(ctx: HandlerContext, msg: ChatMessage, file: SharedFile, *, channel: str) -> None:
    """Record a file shared in a chat and send its sharer the question card (1:1, whatever the chat)."""
    title = msg.conversation_title if msg.is_group else ""
    await ask_about_file(ctx, sharer=msg.sender, file=file, channel=channel, conversation_id=msg.conversation_id,
                         conversation_title=title)
    if msg.is_group:
        await _tell_group(ctx, msg, file.file_name)


async def ask_about_file(ctx: HandlerContext, *, sharer: UserId, file: SharedFile, channel: str,
                         conversation_id: str, conversation_title: str = "") -> None:
    """Record the shared file and send `sharer` the question card."""
    shared = await classifications.add_shared_file(
        ctx.session,
        file_name=file.file_name or "?",
        dingtalk_file_id=file.file_id or None,
        space_id=file.space_id or None,
        download_code=file.download_code or None,
        shared_by=sharer,
        conversation_id=conversation_id,
        conversation_title=conversation_title,
        channel=channel,
        shared_at=ctx.now,
    )
    language = await ctx.language_of(sharer)
    policy = ctx.policy.classification
    prompt = await classifications.add_prompt(
        ctx.session,
        card_id=f"classify-{uuid.uuid4().hex[:24]}",
        file_id=shared.id,
        asked_user=sharer,
        suggested_level=suggest_level(shared.file_name, policy.keywords),
        language=language,
        asked_at=ctx.now,
        next_check_at=ctx.policy.calendar.add_working_time(ctx.now, policy.nudge_after),
    )
    await ctx.send_card(sharer, prompt.card_id, await card_for(ctx, prompt, shared))
    if shared.download_code:
        await ctx.digest_file(shared.id, shared.download_code)
    details = {"file": shared.file_name, "channel": channel, "conversation": conversation_id,
               "dingtalkFileId": shared.dingtalk_file_id, "card": prompt.card_id}
    await ctx.record(sharer, "file.shared", f"file:{shared.id}", details)


async def _tell_group(ctx: HandlerContext, msg: ChatMessage, file_name: str) -> None:
    # The group sees only that a question went out, in the asker's language; the card itself is private.
    language = await ctx.language_of(msg.sender)
    sharer = await display_name(ctx.session, msg.sender) if msg.sender else msg.sender_nick
    note = render_message("classify_group_note", language, sharer=sharer or msg.sender_nick, file_name=file_name)
    await ctx.send_to_group(msg.conversation_id, note)


async def quoted_file_unreadable(ctx: HandlerContext, msg: ChatMessage) -> None:
    """A quoted file without a download code: say plainly what to do instead."""
    language = await ctx.language_of(UserId(msg.sender))
    await ctx.send_to_group(msg.conversation_id, render_message("quoted_file_unreadable", language))
