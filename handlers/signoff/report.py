"""The sign-off's printable HTML: the annual report rendered from a snapshot, and the signers' certificate.

Rendering is pure and deterministic (times are passed in, nothing reads the clock), so the SHA-256 of a
rendering can be stored and recomputed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import cache
from typing import Any, Final
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from cards.render import Language
from handlers.reminders.cards import TYPE_LABELS
from handlers.rules.answers import AnswerKind, terms_of
from handlers.rules.models import RulesPack
from handlers.rules.pack import default_pack
from handlers.signoff.snapshot import snapshot_sha256

ORG_TIMEZONE: Final = "Asia/Macau"
STATUS_LABELS: Final[dict[str, dict[Language, str]]] = {
    "open": {"en": "open", "zh-Hant": "待處理", "pt": "aberta"},
    "in_progress": {"en": "in progress", "zh-Hant": "處理中", "pt": "em curso"},
    "done": {"en": "done", "zh-Hant": "已完成", "pt": "concluída"},
    "waived": {"en": "waived", "zh-Hant": "已豁免", "pt": "dispensada"},
}
APPROVED: Final = frozenset({"approved", "approve"})
# One stylesheet for every page: readable on a phone, tidy on paper, no external assets.
STYLE: Final = Markup("""
*{box-sizing:border-box}
body{margin:0;padding:16px;font:15px/1.5 -apple-system,"Segoe UI","PingFang TC","Microsoft JhengHei",
"Noto Sans CJK TC",Roboto,Arial,sans-serif;color:#1f2328;background:#fff}
main{max-width:960px;margin:0 auto}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.15em;margin:28px 0 8px;border-bottom:1px solid #d0d7de}
.sub{color:#59636e;margin:0 0 16px}
.figures{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px;margin:0;padding:0}
.figures div{border:1px solid #d0d7de;border-radius:6px;padding:8px 10px}
.figures dt{color:#59636e;font-size:.85em}.figures dd{margin:0;font-size:1.4em;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.n{text-align:right;white-space:nowrap}
ul{margin:0;padding-left:1.2em}
.yes{color:#9a3412;font-weight:600}.muted{color:#59636e}.overdue{color:#b42318;font-weight:600}
.hash{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all}
.statement{border:2px solid #1f2328;border-radius:8px;padding:12px 16px;margin:16px 0}
footer{margin-top:32px;padding-top:8px;border-top:1px solid #d0d7de;color:#59636e;font-size:.85em}
@media print{body{padding:0;font-size:11pt}.scroll{overflow:visible}a{color:inherit}
h2{break-after:avoid}tr{break-inside:avoid}}
""".strip())


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("cards", "templates"),
        autoescape=True,  # file names, titles and names are user-supplied
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _render(name: str, language: Language, **context: Any) -> str:
    template = _environment().get_template(f"{language}/{name}.html.j2")
    return template.render(style=STYLE, **context)


def html_sha256(html: str) -> str:
    """Hex SHA-256 of a rendering's UTF-8 bytes, as stored beside it."""
    return hashlib.sha256(html.encode("utf-8")).hexdigest()


def local_time(at: datetime | str, timezone: str = ORG_TIMEZONE) -> str:
    """An aware datetime or ISO 8601 text as `YYYY-MM-DD HH:MM` in `timezone`."""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive time {moment.isoformat()} given; pass an aware datetime")
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _label(pack: RulesPack, kind: AnswerKind, value: str, language: Language) -> str:
    term = terms_of(pack, kind).get(value)
    return term.label.get(language) if term is not None else value


def _obligation(pack: RulesPack, item: Mapping[str, Any], language: Language) -> dict[str, Any]:
    obligation = pack.obligations.get(str(item["id"]))
    return {
        "id": item["id"],
        "title": obligation.title.get(language) if obligation is not None else item["id"],
        "citation": obligation.citation(language) if obligation is not None else (item.get("cite") or ""),
        "needs_counsel": obligation.needs_counsel if obligation is not None else False,
        "counsel": pack.messages.counsel.get(language),
        "legal": (obligation.basis if obligation is not None else item.get("basis")) == "legal",
        "count": item.get("count", 0),
    }


def _assessment(item: Mapping[str, Any], language: Language, timezone: str) -> dict[str, Any]:
    kind, status = str(item.get("type", "")), str(item.get("status", ""))
    return {
        "id": item["id"], "title": item["title"], "owner": item["owner"],
        "type": TYPE_LABELS.get(kind, {}).get(language, kind),
        "status": STATUS_LABELS.get(status, {}).get(language, status),
        "due": local_time(str(item["due"]), timezone) if item.get("due") else "",
    }


def _register_row(pack: RulesPack, row: Mapping[str, Any], language: Language, timezone: str) -> dict[str, Any]:
    return {
        "destination": _label(pack, "destination", str(row["destination"]), language),
        "personal_data": _label(pack, "personal_data", str(row["personal_data"]), language),
        "files": row["files"],
        "leaves_macau": row["leaves_macau"],
        "routes": [_obligation(pack, route, language) for route in row["routes"]],
        "assessments": [_assessment(a, language, timezone) for a in row["assessments"]],
    }


def headline_figures(data: Mapping[str, Any]) -> dict[str, int]:
    """The headline numbers of a snapshot, as the report and the signer's card show them."""
    counts, assessments = data["classifications"], data["assessments"]
    by_status = assessments["by_status"]
    leaving = [r for r in data["register"] if r["leaves_macau"] and r["personal_data"] != "none"]
    return {
        "files": counts["files"],
        "classified": counts["classified"],
        "unclassified": counts["unclassified"],
        "expired": counts["questions"].get("expired", 0),
        "confidential": counts["by_level"].get("confidential", 0),
        "flows_leaving": len(leaving),
        "files_leaving": sum(int(r["files"]) for r in leaving),
        "active_assessments": by_status.get("open", 0) + by_status.get("in_progress", 0),
        "overdue": len(assessments["overdue"]),
        "open_obligations": len(data["obligations"]),
    }


# Kept for callers written against the first draft.


def render_report(data: Mapping[str, Any], language: Language, *, timezone: str = ORG_TIMEZONE,
                  pack: RulesPack | None = None) -> str:
    """The annual compliance report for a snapshot's `data`, as one self-contained HTML page.

    `pack` is the one the snapshot was taken with (`data["rules_pack"]`); the shipped pack if not given.
    """
    pack = pack or default_pack()
    counts = data["classifications"]
    return _render(
        "signoff_report", language,
        campaign=data["campaign"],
        taken_at=local_time(str(data["taken_at"]), timezone),
        timezone=timezone,
        figures=headline_figures(data),
        levels=[(_label(pack, "level", v, language), n) for v, n in counts["by_level"].items()],
        personal_data=[(_label(pack, "personal_data", v, language), n) for v, n in counts["by_personal_data"].items()],
        questions=counts["questions"],
        register=[_register_row(pack, row, language, timezone) for row in data["register"]],
        by_status=[(STATUS_LABELS.get(s, {}).get(language, s), n) for s, n in data["assessments"]["by_status"].items()],
        overdue=[_assessment(item, language, timezone) for item in data["assessments"]["overdue"]],
        obligations=[_obligation(pack, item, language) for item in data["obligations"]],
        rules_pack=data["rules_pack"],
        policy_version=data.get("policy_version"),
        sha256=snapshot_sha256(data),
    )


def _signer(signer: Mapping[str, Any], timezone: str) -> dict[str, Any]:
    def field(*names: str) -> str:
        return next((str(signer[n]) for n in names if signer.get(n) is not None), "")

    decided_at = signer.get("decided_at", signer.get("decidedAt"))
    return {
        "name": field("name"),
        "user_id": field("user_id", "userId"),
        "union_id": field("union_id", "unionId"),
        "decided_at": local_time(decided_at, timezone) if decided_at is not None else "",
    }


def render_certificate(
    campaign: Mapping[str, Any], signers: Sequence[Mapping[str, Any]], snapshot_sha256: str, language: Language,
    *, timezone: str = ORG_TIMEZONE,
) -> str:
    """The certificate that every signer approved the report whose snapshot has `snapshot_sha256`.

    Signers are listed in the order given (their position). Raises ValueError unless every one approved:
    the page states an approval and must never say so for anyone who did not give it.
    """
    if not signers:
        raise ValueError("a certificate needs at least one signer")
    refused = [str(s.get("user_id", s.get("userId", "?"))) for s in signers if s.get("decision") not in APPROVED]
    if refused:
        raise ValueError(f"not every signer approved: {', '.join(refused)}")
    return _render(
        "signoff_certificate", language,
        campaign={"id": campaign.get("id"), "year": campaign["year"], "title": campaign.get("title", ""),
                  "round": campaign.get("round", 1)},
        signers=[_signer(signer, timezone) for signer in signers],
        sha256=snapshot_sha256,
        timezone=timezone,
    )
