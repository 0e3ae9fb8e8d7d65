"""What the bot does with a chat message: text commands, answered in the sender's language."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial

from cards.render import parse_language, render_message
from handlers.classification.answer import on_reason_message
from handlers.classification.register import show_my_files
from handlers.classification.share import ask_to_classify, quoted_file_unreadable
from handlers.context import HandlerContext
from handlers.inbound import ChatMessage
from handlers.reminders.actions import on_reminder_command
from handlers.signoff.decide import on_signoff_reason
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


async def reminder_command(ctx: HandlerContext, msg: ChatMessage, argument: str, *, verb: str) -> None:
    await on_reminder_command(ctx, msg, argument, verb)


COMMANDS: dict[str, Command] = {
    "help": show_help, "幫助": show_help, "帮助": show_help, "ajuda": show_help, "?": show_help,
    "language": change_language, "lang": change_language, "語言": change_language, "语言": change_language,
    "idioma": change_language, "língua": change_language,
    "my files": show_my_files, "myfiles": show_my_files, "我的檔案": show_my_files, "我的文件": show_my_files,
    "meus ficheiros": show_my_files, "os meus ficheiros": show_my_files,
    "done": partial(reminder_command, verb="done"), "完成": partial(reminder_command, verb="done"),
    "snooze": partial(reminder_command, verb="snooze"), "延後": partial(reminder_command, verb="snooze"),
    "delegate": partial(reminder_command, verb="delegate"), "轉交": partial(reminder_command, verb="delegate"),
}
_SPLIT = re.compile(r"\s+")


def parse_command(text: str) -> tuple[str, str]:
    """`Language  EN` -> ("language", "EN"); `my files` -> ("my files", ""); a leading slash is allowed."""
    words = _SPLIT.sub(" ", text.strip()).lstrip("/")
    lowered = words.lower()
    for name in sorted((n for n in COMMANDS if " " in n), key=len, reverse=True):
        if lowered == name or lowered.startswith(name + " "):
            return name, words[len(name):].strip()
    head, _, rest = words.partition(" ")
    return head.lower(), rest.strip()


async def on_chat_message(ctx: HandlerContext, msg: ChatMessage) -> None:
    """Answer one chat message: a shared file gets a question card, text is a command or a reason."""
    if msg.msgtype == "file" and msg.file is not None and not msg.is_group:
        await ask_to_classify(ctx, msg, msg.file, channel="direct")
        return
    if msg.msgtype != "text":
        await _reply(ctx, msg, "unsupported_message", msgtype=msg.msgtype)
        return
    if msg.is_group and msg.quoted_file is not None:
        await ask_to_classify(ctx, msg, msg.quoted_file, channel="group_quote")
        return
    if msg.is_group and msg.quotes_unreadable_file:
        await quoted_file_unreadable(ctx, msg)
        return
    name, argument = parse_command(msg.text)
    command = COMMANDS.get(name)
    if command is not None:
        await command(ctx, msg, argument)
    elif msg.is_group or not await _took_as_reason(ctx, msg):
        await _reply(ctx, msg, "unknown_command", text=msg.text[:200])


async def _took_as_reason(ctx: HandlerContext, msg: ChatMessage) -> bool:
    """Text that answers the bot's question "why?" (a sign-off rejection, a lowered level)."""
    return await on_signoff_reason(ctx, msg.sender, msg.text) or await on_reason_message(ctx, msg.sender, msg.text)
