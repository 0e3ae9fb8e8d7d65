"""The register's figures counted in the database: with a million classifications, loading each answer (or
each pending obligation) to count it in Python took half a minute and two gigabytes, on the event loop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.assessments import ACTIVE_STATUSES
from storage.models import Assessment, Classification, ClassificationPrompt, PendingObligation

Pair = tuple[str, str]  # (destination, personal data)
OPEN_OBLIGATION_STATUSES: Final = ("pending", "noted")  # not taken up yet, or only listed
_CHUNK: Final = 5000  # ids per IN list: SQLite allows 32,766 parameters a statement


@dataclass
class LatestAnswers:
    """Each file's latest answer, tallied: files by (destination, personal data, level), and the flow
    obligations recorded for those answers by (destination, personal data)."""

    files: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    flow_obligations: dict[Pair, set[str]] = field(default_factory=dict)

    @property
    def classified(self) -> int:
        return sum(self.files.values())

    def pairs(self) -> set[Pair]:
        return {(destination, personal) for destination, personal, _ in self.files}

    def count_by(self, index: int) -> Counter[str]:
        """Files by level (index 2) or by personal data (index 1)."""
        counts: Counter[str] = Counter()
        for key, files in self.files.items():
            counts[key[index]] += files
        return counts


async def latest_answers(session: AsyncSession, people: Collection[str] | None = None) -> LatestAnswers:
    """Each file's latest answer (latest classified_at, then id) among answers to questions asked of `people`
    (everyone's for None), tallied in the database."""
    answer = Classification
    latest_first = (answer.classified_at.desc(), answer.id.desc())
    ranked = select(answer.id, answer.destination, answer.personal_data, answer.level,
                    func.row_number().over(partition_by=answer.file_id, order_by=latest_first).label("rank"))
    if people is not None:
        ranked = ranked.join(ClassificationPrompt, ClassificationPrompt.id == answer.prompt_id).where(
            ClassificationPrompt.asked_user.in_(sorted(people)))
    latest = ranked.subquery()
    tallies = select(latest.c.destination, latest.c.personal_data, latest.c.level, func.count()).where(
        latest.c.rank == 1).group_by(latest.c.destination, latest.c.personal_data, latest.c.level)
    result = LatestAnswers()
    for destination, personal, level, files in (await session.execute(tallies)).all():
        result.files[(destination, personal, level)] = int(files)
    # Classification.obligation_ids mixes in org-wide ones (DingTalk's own transfer); only flow rows say whose.
    recorded = select(latest.c.destination, latest.c.personal_data, PendingObligation.obligation_id).join(
        PendingObligation, PendingObligation.classification_id == latest.c.id).where(
        latest.c.rank == 1, PendingObligation.scope == "flow").distinct()
    for destination, personal, obligation_id in (await session.execute(recorded)).all():
        result.flow_obligations.setdefault((destination, personal), set()).add(obligation_id)
    return result


async def pending_by_id(session: AsyncSession, ids: Iterable[int | None]) -> dict[int, PendingObligation]:
    """The pending obligations with these ids (those assessments were taken up for)."""
    wanted = sorted({i for i in ids if i is not None})
    found: dict[int, PendingObligation] = {}
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(PendingObligation).where(PendingObligation.id.in_(wanted[start:start + _CHUNK]))
        found.update((row.id, row) for row in await session.scalars(stmt))
    return found


async def pairs_of(session: AsyncSession, classification_ids: Iterable[int | None],
                   people: Collection[str] | None = None) -> dict[int, Pair]:
    """(destination, personal data) of these classifications; with `people`, only answers they were asked."""
    wanted = sorted({i for i in classification_ids if i is not None})
    found: dict[int, Pair] = {}
    for start in range(0, len(wanted), _CHUNK):
        stmt = select(Classification.id, Classification.destination, Classification.personal_data).where(
            Classification.id.in_(wanted[start:start + _CHUNK]))
        if people is not None:
            stmt = stmt.join(ClassificationPrompt, ClassificationPrompt.id == Classification.prompt_id).where(
                ClassificationPrompt.asked_user.in_(sorted(people)))
        found.update((cid, (destination, personal)) for cid, destination, personal in (await session.execute(stmt)))
    return found


async def open_obligation_counts(session: AsyncSession) -> dict[str, tuple[int, set[str]]]:
    """Obligation id -> (how many times it is open, its scopes): pending or noted, or taken up by an assessment
    still open or in progress."""
    row = PendingObligation
    live = exists().where(Assessment.pending_obligation_id == row.id, Assessment.status.in_(ACTIVE_STATUSES))
    stmt: Any = select(row.obligation_id, row.scope, func.count()).where(
        or_(row.status.in_(OPEN_OBLIGATION_STATUSES), and_(row.status == "assessed", live))
    ).group_by(row.obligation_id, row.scope)
    counts: dict[str, tuple[int, set[str]]] = {}
    for obligation_id, scope, count in (await session.execute(stmt)).all():
        total, scopes = counts.get(obligation_id, (0, set()))
        counts[obligation_id] = (total + int(count), scopes | {scope})
    return counts
