"""Labels for the codes the handlers return (reminder kinds and statuses, audit actions), in the page's language.

A code without a label is shown as it is rather than failing the page: new kinds and actions can appear in the
handlers before they get words here.
"""

from __future__ import annotations

from bot.admin.render import Words


def reminder_kind(words: Words, kind: str) -> str:
    """`lead:30`, `overdue:2`, `escalate:manager` as the reminder rule's form words them."""
    category, _, value = kind.partition(":")
    if category == "lead" and value.isdigit():
        return words("reminder.kind.lead", days=int(value))
    if category == "overdue" and value.isdigit():
        return words("reminder.kind.overdue", count=int(value))
    if category == "escalate" and words.has(f"rules.to.{value}"):
        return words("reminder.kind.escalate", to=words(f"rules.to.{value}"))
    return kind


def labelled(words: Words, prefix: str, code: str) -> str:
    """The words for `prefix.code` (a reminder status, an audit action), or the code when there are none."""
    key = f"{prefix}.{code}"
    return words(key) if words.has(key) else code
