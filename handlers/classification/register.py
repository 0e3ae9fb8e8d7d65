"""`my files`: the sharer's pending and recent classifications."""

from __future__ import annotations

from cards.render import coerce_language, escape_markdown, render_message
from handlers.classification.card import label, local_time
from handlers.context import HandlerContext
from handlers.inbound import ChatMessage
from handlers.rules.active import current_pack
from storage import classifications

MARKS = {"open": "⏳", "answered": "✅", "expired": "⌛"}
STATUS_TEXT = {
    "open": {"en": "waiting for your answer", "zh-Hant": "等待你作答", "pt": "à espera da sua resposta"},
    "expired": {"en": "expired, unclassified", "zh-Hant": "已逾期，未分類", "pt": "expirou, por classificar"},
}


async def show_my_files(ctx: HandlerContext, msg: ChatMessage, _argument: str) -> None:
    language = await ctx.language_of(msg.sender)
    pack = await current_pack(ctx.session)
    rows = await classifications.prompts_of_user(ctx.session, msg.sender, limit=10)
    items = []
    for prompt, shared, record in rows:
        if record is not None:
            summary = " · ".join(filter(None, (
                label(pack, "level", record.level, language),
                label(pack, "personal_data", record.personal_data, language),
                label(pack, "destination", record.destination, language))))
        else:
            summary = STATUS_TEXT.get(prompt.status, STATUS_TEXT["open"])[language]
        items.append({"mark": MARKS[prompt.status], "file_name": escape_markdown(shared.file_name),
                      "when": local_time(ctx, shared.shared_at), "summary": summary})
    pending = sum(1 for prompt, _, _ in rows if prompt.status == "open")
    reply = render_message("my_files", coerce_language(language), items=items, pending=pending)
    await ctx.send_to_user(msg.sender, reply)  # never to a group: the list is the sender's own business
