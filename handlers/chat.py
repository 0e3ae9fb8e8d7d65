"""What the bot does with a chat message: text commands, answered in the sender's language."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from cards.render import parse_language, render_message
from handlers.context import HandlerContext
from handlers.inbound import ChatMessage
from storage import preferences

Command = Callable[[HandlerContext, ChatMessage, str], Awaitable[None]]


async def _reply(ctx: HandlerContext, msg: ChatMessage, template: str, **values: object) -> None:
    language = await ctx.language_of(msg.sender)
    message = render_message(template, language, **values)
    if msg.is_group:
        await ctx.send_to_group(msg.conversation_id, message)
    else:
        await ctx.send_to_user(msg.sender, message)


async def show_help(ctx: HandlerContext, msg: ChatMessage, _argument: str) -> None:
    await _reply(ctx, msg, "help", admins=", ".join(ctx.policy.admins))


async def change_language(ctx: HandlerContext, msg: ChatMessage, argument: str) -> None:
    language = parse_language(argument)
    if language is None:
        await _reply(ctx, msg, "language_usage", requested=argument or "?")
        return
    await preferences.set_language(ctx.session, msg.sender, language, at=ctx.now)
    await ctx.record(msg.sender, "preference.language", msg.sender, {"language": language})
    await _reply(ctx, msg, "language_set")


COMMANDS: dict[str, Command] = {
    "help": show_help, "幫助": show_help, "帮助": show_help, "ajuda": show_help, "?": show_help,
    "language": change_language, "lang": change_language, "語言": change_language, "语言": change_language,
    "idioma": change_language, "língua": change_language,
}
_SPLIT = re.compile(r"\s+")


def parse_command(text: str) -> tuple[str, str]:
    """`Language  EN` -> ("language", "EN"); a leading slash is allowed."""
    head, _, rest = _SPLIT.sub(" ", text.strip()).partition(" ")
    return head.lstrip("/").lower(), rest.strip()


async def on_chat_message(ctx: HandlerContext, msg: ChatMessage) -> None:
    """Answer one chat message."""
    if msg.msgtype != "text":
        await _reply(ctx, msg, "unsupported_message", msgtype=msg.msgtype)
        return
    name, argument = parse_command(msg.text)
    command = COMMANDS.get(name)
    if command is None:
        await _reply(ctx, msg, "unknown_command", text=msg.text[:200])
        return
    await command(ctx, msg, argument)
