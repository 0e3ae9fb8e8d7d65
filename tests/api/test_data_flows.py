"""GET /data-flows: the register of data flows, per role, with its routes, assessments and filters."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from handlers.api.caller import Caller
from handlers.api.data_flows import DataFlowQuery, list_data_flows
from handlers.signoff.snapshot import take_snapshot
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient
from tests.api.register_seed import T0, seed


def pairs(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(item["destination"], item["personalData"]) for item in body["items"]]


async def test_admins_see_the_whole_register_as_the_snapshot_does(api: ApiClient) -> None:
    seeded = await seed(api.sessions)
    status, body, _ = await api.call("GET", "/data-flows", token=await api.sign_in(ADMIN))
    assert status == 200, body
    assert body["rulesPack"].startswith("macau-pdpa ")
    assert pairs(body) == [("macau", "none"), ("mainland", "customer"), ("mainland_gba", "staff"),
                           ("hong_kong", "staff")]
    async with api.sessions() as session:
        snapshot = await take_snapshot(session, now=T0 + timedelta(days=1), campaign={"year": 2026})
    register = snapshot["register"]
    assert [(r["destination"], r["personal_data"], r["files"]) for r in register] == [
        (i["destination"], i["personalData"], i["files"]) for i in body["items"]]
    assert [[a["id"] for a in r["assessments"]] for r in register] == [
        [a["id"] for a in i["assessments"]] for i in body["items"]]

    hong_kong = body["items"][3]
    assert (hong_kong["files"], hong_kong["classifications"], hong_kong["leavesMacau"]) == (2, 2, True)
    assert hong_kong["destinationLabel"] == "Hong Kong" and hong_kong["personalDataLabel"] == "Staff data"
    assert datetime.fromisoformat(hong_kong["firstSeen"]) == T0 + timedelta(hours=1, minutes=1)
    assert datetime.fromisoformat(hong_kong["lastSeen"]) == T0 + timedelta(hours=2, minutes=1)
    [route] = hong_kong["routes"]
    assert route == {"id": "MO-XFER-ROUTE", "title": "Transfer route outside Macau", "cite": "Law 8/2005 Arts. 19, 20",
                     "basis": "legal", "options": ["MO-XFER-20-2", "MO-XFER-20-1"]}
    assert [(a["id"], a["status"], a["ownerId"], a["ownerName"]) for a in hong_kong["assessments"]] == [
        (seeded.assessments["payroll"], "done", EMPLOYEE, "鄭家慧"),
        (seeded.assessments["outsider"], "open", ADMIN, "黃志明")]
    assert body["items"][0]["routes"] == [] and body["items"][0]["leavesMacau"] is False


async def test_managers_see_only_the_flows_and_assessments_of_their_team(api: ApiClient) -> None:
    seeded = await seed(api.sessions)
    status, body, _ = await api.call("GET", "/data-flows", token=await api.sign_in(MANAGER))
    assert status == 200, body
    assert pairs(body) == [("mainland", "customer"), ("hong_kong", "staff")]
    mainland, hong_kong = body["items"]
    assert [a["id"] for a in mainland["assessments"]] == [seeded.assessments["customers"]]
    # lam.siuyin's file to Hong Kong, and the assessment taken up for it, are not the manager's to see.
    assert (hong_kong["files"], hong_kong["classifications"]) == (1, 1)
    assert [a["id"] for a in hong_kong["assessments"]] == [seeded.assessments["payroll"]]

    status, body, _ = await api.call("GET", "/data-flows", token=await api.sign_in(EMPLOYEE))
    assert status == 403 and body["detail"] == "this needs the manager role; you are signed in as employee"


async def test_filters_by_destination_and_by_the_covering_assessments_status(api: ApiClient) -> None:
    await seed(api.sessions)
    admin, manager = await api.sign_in(ADMIN), await api.sign_in(MANAGER)
    cases: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = [
        (admin, {"destination": "hong_kong"}, [("hong_kong", "staff")]),
        (admin, {"assessmentStatus": "none"}, [("macau", "none"), ("mainland_gba", "staff")]),
        (admin, {"assessmentStatus": "done"}, [("hong_kong", "staff")]),
        (admin, {"assessmentStatus": "open"}, [("mainland", "customer"), ("hong_kong", "staff")]),
        (manager, {"assessmentStatus": "open"}, [("mainland", "customer")]),  # the open HK one is not the team's
        (manager, {"destination": "macau"}, []),
    ]
    for token, params, want in cases:
        status, body, _ = await api.call("GET", "/data-flows", token=token, params=params)
        assert (status, pairs(body)) == (200, want), params


async def test_bad_filters_are_a_400_naming_the_parameter(api: ApiClient) -> None:
    admin = await api.sign_in(ADMIN)
    for params, field in (({"destination": "mars"}, "destination"), ({"assessmentStatus": "late"}, "assessmentStatus"),
                          ({"page": "2"}, "page")):
        status, body, _ = await api.call("GET", "/data-flows", token=admin, params=params)
        assert status == 400 and [e["field"] for e in body["errors"]] == [field], body


async def test_the_handler_function_answers_the_admin_pages_the_same(api: ApiClient) -> None:
    await seed(api.sessions)
    caller = Caller(user_id=ADMIN, name="黃志明", title="", role="admin")
    async with api.sessions() as session:
        register = await list_data_flows(session, caller, DataFlowQuery())
    assert len(register.items) == 4 and register.items[3].files == 2
