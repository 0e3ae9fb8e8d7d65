"""GET /data-flows: the register of data flows, one row per (destination, personal data kind), as far as the
caller may see.

The rows come from the sign-off snapshot's register (`data_flow_register`), so the route, the exports and the
annual report agree on what a flow is, which transfer routes it needs and which assessments cover it. Managers
see the flows that arise from their team's classifications (`visible_people`), with only the assessments taken
up for those classifications; admins see the whole register, as the snapshot does.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, Field, WithJsonSchema
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from handlers.api.caller import Caller
from handlers.api.classifications import visible_people
from handlers.api.models import QueryModel, WireModel
from handlers.rules.active import current_pack
from handlers.rules.models import RulesPack
from handlers.rules.pack import default_pack
from handlers.signoff.snapshot import data_flow_register, flow_classifications
from handlers.signoff.tally import latest_answers, pairs_of
from storage.directory import names_of
from storage.models import Assessment, Classification, ClassificationPrompt

DESTINATIONS: Final = tuple(default_pack().vocabulary.destinations)
CoverageFilter = Literal["open", "in_progress", "done", "waived", "none"]


def _known_destination(value: str) -> str:
    if value not in DESTINATIONS:
        raise ValueError(f"must be one of {', '.join(DESTINATIONS)}")
    return value


DestinationName = Annotated[str, AfterValidator(_known_destination),
                            WithJsonSchema({"type": "string", "enum": list(DESTINATIONS)})]


class DataFlowQuery(QueryModel):
    destination: DestinationName | None = None
    assessment_status: CoverageFilter | None = Field(
        default=None, description="flows with a covering assessment in this status; `none`: flows with none")


class DataFlowRoute(WireModel):
    """A transfer-route obligation the flow needs, as the rules pack states it."""

    id: str = Field(description="the obligation's id in the rules pack, e.g. MO-XFER-ROUTE-MAINLAND")
    title: str = Field(description="English title from the rules pack")
    cite: str = Field(description="the legal citation, e.g. Law 8/2005 Arts. 19, 20")
    basis: str = Field(description="legal or good_practice")
    options: list[str] = Field(description="obligation ids that can satisfy the route, the default first")


class DataFlowAssessment(WireModel):
    """An assessment taken up for one of the flow's classifications."""

    id: int
    title: str
    type: str
    status: str
    owner_id: str
    owner_name: str


class DataFlowItem(WireModel):
    destination: str = Field(description="destination id from the rules pack")
    destination_label: str = Field(description="English label from the rules pack")
    leaves_macau: bool | None = Field(description="null for a destination the current pack no longer knows")
    personal_data: str = Field(description="personal data kind id from the rules pack")
    personal_data_label: str
    files: int = Field(description="files whose latest answer is this flow")
    classifications: int = Field(description="answers naming this flow, reclassifications included")
    first_seen: datetime = Field(description="the first such answer")
    last_seen: datetime = Field(description="the latest such answer")
    routes: list[DataFlowRoute] = Field(description="transfer routes to decide; empty when the data stays in Macau")
    assessments: list[DataFlowAssessment] = Field(description="assessments covering the flow, oldest first")


class DataFlowRegister(WireModel):
    """The whole register: at most one row per destination x personal data kind, so it is never paged."""

    rules_pack: str = Field(description="name and version of the rules pack the routes come from")
    items: list[DataFlowItem]


async def list_data_flows(
    session: AsyncSession, caller: Caller, query: DataFlowQuery, pack: RulesPack | None = None
) -> DataFlowRegister:
    """The register of data flows `caller` may see, filtered as `query` asks."""
    pack = pack or await current_pack(session)  # the pack the sign-off snapshot uses too
    people = await visible_people(session, caller)
    latest = await latest_answers(session, people)
    assessments = list(await session.scalars(select(Assessment).order_by(Assessment.id)))
    if people is not None:  # only assessments taken up for the team's own answers
        covered = await flow_classifications(session, assessments)
        visible = await pairs_of(session, covered.values(), people)
        assessments = [a for a in assessments if covered.get(a.id) in visible]
    rows = await data_flow_register(session, pack, latest, assessments)
    stats = await _pair_stats(session, people)
    names = await names_of(session, {a["owner"] for row in rows for a in row["assessments"]})
    items = [_item(pack, row, stats[(row["destination"], row["personal_data"])], names) for row in rows]
    return DataFlowRegister(rules_pack=f"{pack.pack} {pack.version}",
                            items=[item for item in items if _wanted(item, query)])


def _people_filter(stmt: Any, people: Collection[str] | None) -> Any:
    if people is None:
        return stmt
    return (stmt.join(ClassificationPrompt, ClassificationPrompt.id == Classification.prompt_id)
            .where(ClassificationPrompt.asked_user.in_(sorted(people))))


async def _pair_stats(
    session: AsyncSession, people: Collection[str] | None
) -> dict[tuple[str, str], tuple[int, datetime, datetime]]:
    """(destination, personal data) -> (answers, first, last), counted in the database."""
    stmt = _people_filter(select(
        Classification.destination, Classification.personal_data, func.count(Classification.id),
        func.min(Classification.classified_at), func.max(Classification.classified_at),
    ), people).group_by(Classification.destination, Classification.personal_data)
    return {(d, p): (int(n), first, last) for d, p, n, first, last in (await session.execute(stmt)).all()}


def _item(pack: RulesPack, row: Mapping[str, Any], stats: tuple[int, datetime, datetime],
          names: Mapping[str, str]) -> DataFlowItem:
    destination, personal = row["destination"], row["personal_data"]
    where, kind = pack.vocabulary.destinations.get(destination), pack.vocabulary.personal_data.get(personal)
    count, first, last = stats
    return DataFlowItem(
        destination=destination, destination_label=where.label.en if where else destination,
        leaves_macau=row["leaves_macau"], personal_data=personal,
        personal_data_label=kind.label.en if kind else personal, files=row["files"], classifications=count,
        first_seen=first, last_seen=last, routes=list(_routes(pack, row["routes"])),
        assessments=[DataFlowAssessment(id=a["id"], title=a["title"], type=a["type"], status=a["status"],
                                        owner_id=a["owner"], owner_name=names.get(a["owner"], a["owner"]))
                     for a in row["assessments"]],
    )


def _routes(pack: RulesPack, routes: Iterable[Mapping[str, Any]]) -> Iterable[DataFlowRoute]:
    for route in routes:
        obligation = pack.obligations[route["id"]]
        yield DataFlowRoute(id=route["id"], title=obligation.title.en, cite=route["cite"],
                            basis=obligation.basis, options=route["options"])


def _wanted(item: DataFlowItem, query: DataFlowQuery) -> bool:
    if query.destination is not None and item.destination != query.destination:
        return False
    if query.assessment_status == "none":
        return not item.assessments
    return query.assessment_status is None or any(a.status == query.assessment_status for a in item.assessments)
