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
from storage.assessments import ACTIVE_STATUSES
from storage.audit import audit_timestamp, canonical_json
from storage.models import (
    ASSESSMENT_STATUSES,
    PROMPT_STATUSES,
    Assessment,
    Classification,
    ClassificationPrompt,
    PendingObligation,
    SharedFile,
)

# Pending obligations nobody has closed: not taken up yet, only listed, or taken up by live work.
_OPEN_OBLIGATION_STATUSES: Final = ("pending", "noted")
_ROUTE_TYPE: Final = "transfer_route"


async def take_snapshot(session: AsyncSession, *, now: datetime, campaign: Mapping[str, object]) -> dict[str, Any]:
    """The register as it stands at `now`, as JSON-able data in a deterministic order."""
    pack = await current_pack(session)
    latest = await _latest_classifications(session)
    assessments = list(await session.scalars(select(Assessment).order_by(Assessment.id)))
    pending = list(await session.scalars(select(PendingObligation).order_by(PendingObligation.id)))
    return {
        "taken_at": audit_timestamp(now),
        "campaign": _campaign(campaign),
        "policy_version": _optional_text(campaign.get("policy_version")),
        "rules_pack": {"name": pack.pack, "version": pack.version},
        "classifications": await _classification_counts(session, pack, latest),
        "register": await data_flow_register(session, pack, latest, assessments, pending),
        "assessments": _assessment_counts(assessments, now),
        "obligations": _open_obligations(pack, pending, assessments),
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


async def _latest_classifications(session: AsyncSession) -> list[Classification]:
    """Each file's latest answer, by file id: a reclassified file counts once, as it stands now."""
    stmt = select(Classification).order_by(Classification.classified_at, Classification.id)
    by_file = {record.file_id: record for record in await session.scalars(stmt)}
    return [by_file[file_id] for file_id in sorted(by_file)]


def _ordered_counts(counts: Counter[str], known: Iterable[str]) -> dict[str, int]:
    """Every known value (zero included) in vocabulary order, then values the pack no longer knows."""
    ordered = {value: counts.get(value, 0) for value in known}
    for value in sorted(set(counts) - set(ordered)):
        ordered[value] = counts[value]
    return ordered


async def _classification_counts(
    session: AsyncSession, pack: RulesPack, latest: list[Classification]
) -> dict[str, Any]:
    files = int(await session.scalar(select(func.count(SharedFile.id))) or 0)
    rows = await session.execute(
        select(ClassificationPrompt.status, func.count(ClassificationPrompt.id)).group_by(ClassificationPrompt.status)
    )
    questions = Counter({str(status): int(count) for status, count in rows.all()})
    return {
        "files": files,
        "classified": len(latest),
        "unclassified": max(files - len(latest), 0),
        "by_level": _ordered_counts(Counter(r.level for r in latest), pack.vocabulary.levels),
        "by_personal_data": _ordered_counts(Counter(r.personal_data for r in latest), pack.vocabulary.personal_data),
        "questions": _ordered_counts(questions, PROMPT_STATUSES),
    }


def _routes(pack: RulesPack, records: list[Classification], flow: Mapping[int, set[str]]) -> list[dict[str, Any]]:
    """The transfer-route obligations the pack attaches to these answers, plus those recorded for their flow."""
    found: set[str] = set()
    for record in records:
        found.update(flow.get(record.id, ()))
        try:
            answer = ClassificationAnswer(record.level, record.personal_data, record.destination)
            found.update(item.id for item in evaluate(pack, answer).flow)
        except UnknownAnswerError:
            continue  # answered under an older pack; its recorded flow obligations still count
    routes = [i for i, o in pack.obligations.items() if i in found and o.assessment_type == _ROUTE_TYPE]
    return [{"id": i, "cite": pack.obligations[i].cite, "options": list(pack.obligations[i].options)} for i in routes]


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
    session: AsyncSession, pack: RulesPack, latest: list[Classification], assessments: list[Assessment],
    pending: list[PendingObligation],
) -> list[dict[str, Any]]:
    """One row per (destination, personal data) pair, in vocabulary order, with routes and assessments."""
    pairs: dict[tuple[str, str], list[Classification]] = {}
    for record in latest:
        pairs.setdefault((record.destination, record.personal_data), []).append(record)
    every = await session.execute(select(Classification.id, Classification.destination, Classification.personal_data))
    pair_of = {cid: (destination, personal) for cid, destination, personal in every.all()}
    by_pending = {row.id: row for row in pending}
    # Classification.obligation_ids mixes in org-wide ones (DingTalk's own transfer); only flow rows say whose.
    flow: dict[int, set[str]] = {}
    for row in pending:
        if row.scope == "flow" and row.classification_id is not None:
            flow.setdefault(row.classification_id, set()).add(row.obligation_id)
    linked: dict[tuple[str, str], list[Assessment]] = {}
    for assessment in assessments:
        pair = pair_of.get(flow_classification(assessment, by_pending) or -1)
        if pair is not None:
            linked.setdefault(pair, []).append(assessment)
    destinations, kinds = list(pack.vocabulary.destinations), list(pack.vocabulary.personal_data)

    def order(pair: tuple[str, str]) -> tuple[int, str, int, str]:
        d, p = pair
        return (destinations.index(d) if d in destinations else len(destinations), d,
                kinds.index(p) if p in kinds else len(kinds), p)

    rows = []
    for pair in sorted(pairs, key=order):
        destination, personal = pair
        term = pack.vocabulary.destinations.get(destination)
        rows.append({
            "destination": destination,
            "personal_data": personal,
            "files": len(pairs[pair]),
            "leaves_macau": term.leaves_macau if term is not None else None,
            "routes": _routes(pack, pairs[pair], flow),
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


def _open_obligations(
    pack: RulesPack, pending: list[PendingObligation], assessments: list[Assessment]
) -> list[dict[str, Any]]:
    """Obligations still open, one entry per obligation id in pack order, with how many times each is open."""
    live = {a.pending_obligation_id for a in assessments if a.status in ACTIVE_STATUSES}
    counts: Counter[str] = Counter()
    scopes: dict[str, set[str]] = {}
    for row in pending:
        if row.status in _OPEN_OBLIGATION_STATUSES or (row.status == "assessed" and row.id in live):
            counts[row.obligation_id] += 1
            scopes.setdefault(row.obligation_id, set()).add(row.scope)
    known = [i for i in pack.obligations if i in counts]
    result = []
    for obligation_id in known + sorted(set(counts) - set(known)):
        obligation = pack.obligations.get(obligation_id)
        result.append({
            "id": obligation_id,
            "count": counts[obligation_id],
            "scope": "/".join(sorted(scopes[obligation_id])),
            "cite": obligation.cite if obligation is not None else None,
            "basis": obligation.basis if obligation is not None else None,
        })
    return result
