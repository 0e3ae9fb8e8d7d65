"""The snapshot a sign-off campaign freezes: plain JSON data about the register, and its SHA-256."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.rules.active import current_pack
from handlers.rules.answers import ClassificationAnswer, UnknownAnswerError
from handlers.rules.evaluate import evaluate
from handlers.rules.models import RulesPack
from handlers.signoff.tally import (
    LatestAnswers,
    Pair,
    latest_answers,
    open_obligation_counts,
    pairs_of,
    pending_by_id,
)
from storage.assessments import ACTIVE_STATUSES
from storage.audit import audit_timestamp, canonical_json
from storage.models import (
    ASSESSMENT_STATUSES,
    PROMPT_STATUSES,
    Assessment,
    ClassificationPrompt,
    PendingObligation,
    SharedFile,
)

_ROUTE_TYPE: Final = "transfer_route"


async def take_snapshot(session: AsyncSession, *, now: datetime, campaign: Mapping[str, object]) -> dict[str, Any]:
    """The register as it stands at `now`, as JSON-able data in a deterministic order."""
    pack = await current_pack(session)
    latest = await latest_answers(session)
    assessments = list(await session.scalars(select(Assessment).order_by(Assessment.id)))
    return {
        "taken_at": audit_timestamp(now),
        "campaign": _campaign(campaign),
        "policy_version": _optional_text(campaign.get("policy_version")),
        "rules_pack": {"name": pack.pack, "version": pack.version},
        "classifications": await _classification_counts(session, pack, latest),
        "register": await data_flow_register(session, pack, latest, assessments),
        "assessments": _assessment_counts(assessments, now),
        "obligations": _open_obligations(pack, await open_obligation_counts(session)),
    }


def snapshot_sha256(data: Mapping[str, Any]) -> str:
    """Hex SHA-256 of the canonical JSON of `data` (sorted keys, no spaces, UTF-8)."""
    return hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def _campaign(campaign: Mapping[str, object]) -> dict[str, Any]:
    round_ = campaign.get("round", 1)
    return {
        "id": _json_id(campaign.get("id")),
        "year": int(str(campaign["year"])),
        "title": str(campaign.get("title", "")),
        "round": int(str(round_)),
    }


def _json_id(value: object) -> int | str | None:
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


def _optional_text(value: object) -> str | None:
    return None if value is None else str(value)


def _ordered_counts(counts: Counter[str], known: Iterable[str]) -> dict[str, int]:
    """Every known value (zero included) in vocabulary order, then values the pack no longer knows."""
    ordered = {value: counts.get(value, 0) for value in known}
    for value in sorted(set(counts) - set(ordered)):
        ordered[value] = counts[value]
    return ordered


async def _classification_counts(session: AsyncSession, pack: RulesPack, latest: LatestAnswers) -> dict[str, Any]:
    files = int(await session.scalar(select(func.count(SharedFile.id))) or 0)
    rows = await session.execute(
        select(ClassificationPrompt.status, func.count(ClassificationPrompt.id)).group_by(ClassificationPrompt.status)
    )
    questions = Counter({str(status): int(count) for status, count in rows.all()})
    return {
        "files": files,
        "classified": latest.classified,
        "unclassified": max(files - latest.classified, 0),
        "by_level": _ordered_counts(latest.count_by(2), pack.vocabulary.levels),
        "by_personal_data": _ordered_counts(latest.count_by(1), pack.vocabulary.personal_data),
        "questions": _ordered_counts(questions, PROMPT_STATUSES),
    }


def _routes(pack: RulesPack, pair: Pair, levels: Iterable[str], recorded: set[str]) -> list[dict[str, Any]]:
    """The transfer-route obligations the pack attaches to this flow's answers (at each of their levels), plus
    those recorded for them."""
    found = set(recorded)
    destination, personal = pair
    for level in levels:
        try:
            answer = ClassificationAnswer(level, personal, destination)
            found.update(item.id for item in evaluate(pack, answer).flow)
        except UnknownAnswerError:
            continue  # answered under an older pack; its recorded flow obligations still count
    routes = [i for i, o in pack.obligations.items() if i in found and o.assessment_type == _ROUTE_TYPE]
    return [{"id": i, "cite": pack.obligations[i].cite, "options": list(pack.obligations[i].options)} for i in routes]


async def flow_classifications(session: AsyncSession, assessments: Iterable[Assessment]) -> dict[int, int]:
    """Assessment id -> the classification whose data flow it is about, for those about one."""
    listed = list(assessments)
    pending = await pending_by_id(session, (a.pending_obligation_id for a in listed))
    found = {a.id: flow_classification(a, pending) for a in listed}
    return {assessment_id: cid for assessment_id, cid in found.items() if cid is not None}


def flow_classification(assessment: Assessment, pending: Mapping[int, PendingObligation]) -> int | None:
    """The classification whose data flow an assessment is about, if it is about one."""
    source = pending.get(assessment.pending_obligation_id or -1)
    if source is not None:
        return source.classification_id if source.scope == "flow" else None
    return linked_classification(assessment.data_flow)


def linked_classification(data_flow: Mapping[str, Any]) -> int | None:
    """The classification id a hand-made assessment's `data_flow` names, if it names one (an integer)."""
    linked = data_flow.get("classification")
    return linked if isinstance(linked, int) and not isinstance(linked, bool) else None


async def data_flow_register(
    session: AsyncSession, pack: RulesPack, latest: LatestAnswers, assessments: list[Assessment]
) -> list[dict[str, Any]]:
    """One row per (destination, personal data) pair, in vocabulary order, with routes and assessments."""
    covered = await flow_classifications(session, assessments)
    pair_of = await pairs_of(session, covered.values())
    linked: dict[Pair, list[Assessment]] = {}
    for assessment in assessments:
        pair = pair_of.get(covered.get(assessment.id) or -1)
        if pair is not None:
            linked.setdefault(pair, []).append(assessment)
    levels: dict[Pair, list[str]] = {}
    files: Counter[Pair] = Counter()
    for (destination, personal, level), count in latest.files.items():
        levels.setdefault((destination, personal), []).append(level)
        files[(destination, personal)] += count
    destinations, kinds = list(pack.vocabulary.destinations), list(pack.vocabulary.personal_data)

    def order(pair: tuple[str, str]) -> tuple[int, str, int, str]:
        d, p = pair
        return (destinations.index(d) if d in destinations else len(destinations), d,
                kinds.index(p) if p in kinds else len(kinds), p)

    rows = []
    for pair in sorted(latest.pairs(), key=order):
        destination, personal = pair
        term = pack.vocabulary.destinations.get(destination)
        rows.append({
            "destination": destination,
            "personal_data": personal,
            "files": files[pair],
            "leaves_macau": term.leaves_macau if term is not None else None,
            "routes": _routes(pack, pair, sorted(levels[pair]), latest.flow_obligations.get(pair, set())),
            "assessments": [
                {"id": a.id, "title": a.title, "type": a.type, "status": a.status, "owner": a.owner}
                for a in linked.get(pair, [])
            ],
        })
    return rows


def _assessment_counts(assessments: list[Assessment], now: datetime) -> dict[str, Any]:
    overdue = sorted(
        (a for a in assessments if a.status in ACTIVE_STATUSES and a.due_at < now), key=lambda a: (a.due_at, a.id)
    )
    return {
        "total": len(assessments),
        "by_status": _ordered_counts(Counter(a.status for a in assessments), ASSESSMENT_STATUSES),
        "overdue": [
            {"id": a.id, "title": a.title, "type": a.type, "status": a.status, "owner": a.owner,
             "due": audit_timestamp(a.due_at)}
            for a in overdue
        ],
    }


def _open_obligations(pack: RulesPack, counts: Mapping[str, tuple[int, set[str]]]) -> list[dict[str, Any]]:
    """Obligations still open, one entry per obligation id in pack order, with how many times each is open."""
    known = [i for i in pack.obligations if i in counts]
    result = []
    for obligation_id in known + sorted(set(counts) - set(known)):
        obligation = pack.obligations.get(obligation_id)
        count, scopes = counts[obligation_id]
        result.append({
            "id": obligation_id,
            "count": count,
            "scope": "/".join(sorted(scopes)),
            "cite": obligation.cite if obligation is not None else None,
            "basis": obligation.basis if obligation is not None else None,
        })
    return result
