"""The reminder card: one digest per person per instant, with buttons to act on each assessment."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from cards.card import MAX_VALUE_BYTES, CardButton, CardContent
from cards.render import Language, Trusted, escape_markdown, render_card
from handlers.rules.models import RulesPack
from handlers.rules.pack import default_pack
from storage.models import Assessment

ACTION = "reminder"
# DingTalk caps each card parameter at 1 KB: buttons for the first item only, the rest act in chat by number.
MAX_ITEMS_WITH_BUTTONS = 1

TYPE_LABELS: dict[str, dict[Language, str]] = {
    "transfer_route": {"en": "cross-border transfer route", "zh-Hant": "跨境轉移途徑", "pt": "via de transferência"},
    "notification": {"en": "notification to DSPDP", "zh-Hant": "向個人資料保護局通知", "pt": "notificação à DSPDP"},
    "prior_authorisation": {"en": "prior authorisation", "zh-Hant": "事先許可", "pt": "autorização prévia"},
    "processor_contract": {"en": "processor contract", "zh-Hant": "資料處理合約", "pt": "contrato de subcontratação"},
    "impact_assessment": {"en": "impact assessment", "zh-Hant": "影響評估", "pt": "avaliação de impacto"},
    "simplified_notification_renewal": {"en": "simplified notification renewal", "zh-Hant": "簡化通知續期",
                                        "pt": "renovação da notificação simplificada"},
    "self_assessment": {"en": "self-assessment step", "zh-Hant": "自我評估步驟", "pt": "passo da auto-avaliação"},
}
# Where an assessment did not come from a rules-pack obligation, its type says which law asks for it.
TYPE_BASIS = {
    "transfer_route": "Law 8/2005 Arts. 19, 20",
    "notification": "Law 8/2005 Arts. 21, 23",
    "prior_authorisation": "Law 8/2005 Art. 22",
    "processor_contract": "Law 8/2005 Art. 17 (to be confirmed with counsel)",
    "impact_assessment": "good practice; PIPL Arts. 55-56 where PIPL applies",
    "simplified_notification_renewal": "DSPDP notification instructions (every 3 years)",
    "self_assessment": "good practice (five-step self-assessment)",
}
BUTTON_TEXT: dict[str, dict[Language, str]] = {
    "done": {"en": "Done", "zh-Hant": "完成", "pt": "Concluída"},
    "snooze1": {"en": "Snooze 1 day", "zh-Hant": "延後 1 天", "pt": "Adiar 1 dia"},
    "snooze3": {"en": "Snooze 3 days", "zh-Hant": "延後 3 天", "pt": "Adiar 3 dias"},
}


def basis_of(assessment: Assessment, pack: RulesPack | None = None) -> str:
    """The law an assessment answers to: its obligation's citation in `pack` (the active one; default: shipped)."""
    obligation = (pack or default_pack()).obligations.get(assessment.obligation_id or "")
    return obligation.cite if obligation is not None else TYPE_BASIS[assessment.type]


def local(at: datetime, timezone: ZoneInfo) -> str:
    return at.astimezone(timezone).strftime("%Y-%m-%d %H:%M")


def reminder_card(
    items: Sequence[Assessment], *, recipient: str, language: Language, now: datetime, timezone: ZoneInfo,
    owners: dict[str, str], status: str = "open", note: str = "", pack: RulesPack | None = None,
) -> tuple[CardContent, int]:
    """The digest for `recipient` and how many of `items` it shows (as many as fit, the first first).

    Items they do not own name their owner (escalations). The items not shown go in a later card."""
    shown = [
        {"title": escape_markdown(a.title), "type": TYPE_LABELS[a.type][language], "number": str(a.id),
         "due": local(a.due_at, timezone), "overdue": a.due_at <= now, "basis": basis_of(a, pack),
         "owner": escape_markdown(owners.get(a.owner, a.owner)) if a.owner != recipient else ""}
        for a in items
    ]
    buttons: list[CardButton] = []
    if status == "open":
        for assessment in list(items)[:MAX_ITEMS_WITH_BUTTONS]:
            suffix = f" #{assessment.id}" if len(items) > 1 else ""
            params = {"action": ACTION, "assessment": str(assessment.id)}
            buttons += [
                CardButton(BUTTON_TEXT["done"][language] + suffix, {**params, "do": "done"}, "primary"),
                CardButton(BUTTON_TEXT["snooze1"][language] + suffix, {**params, "do": "snooze", "days": "1"}),
                CardButton(BUTTON_TEXT["snooze3"][language] + suffix, {**params, "do": "snooze", "days": "3"}),
            ]
    for count in range(len(shown), 0, -1):  # as many items as fit in DingTalk's 1 KB, the most urgent first
        content = render_card("reminder_card", language, status=status, buttons=tuple(buttons),
                              items=shown[:count], more=len(shown) - count, note=Trusted(note))
        if len(content.markdown.encode("utf-8")) <= MAX_VALUE_BYTES - 24:
            return content, count
    return content, 1
