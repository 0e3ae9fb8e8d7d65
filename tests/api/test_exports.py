"""GET /exports/{dataset}: CSV and XLSX files of the register, classifications, assessments and the audit log."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from handlers.api import export_rows
from handlers.api.caller import Caller, resolve_caller
from handlers.api.export_sheets import XlsxSheet, neutralise
from handlers.api.exports import ExportQuery, export_dataset
from tests.api.conftest import ADMIN, EMPLOYEE, MANAGER, ApiClient
from tests.api.register_seed import INJECTION, OUTSIDER, T0, TEAMMATE, seed

BOM = b"\xef\xbb\xbf"
MACAU = ZoneInfo("Asia/Macau")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def download(api: ApiClient, token: str, dataset: str, **params: str) -> tuple[list[list[str]], Any]:
    """The export as rows of text (headers first); CSV unless `format` says otherwise."""
    status, body, response = await api.call("GET", f"/exports/{dataset}", token=token, params=params)
    assert status == 200, body
    if params.get("format") == "xlsx":
        assert response.content_type == XLSX
        return rows_of(body, "xlsx"), response
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    return rows_of(body, "csv"), response


def rows_of(content: bytes, file_format: str) -> list[list[str]]:
    """A file's rows as text, headers first."""
    if file_format == "xlsx":
        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]
    assert content.startswith(BOM)
    return list(csv.reader(io.StringIO(content[len(BOM):].decode("utf-8"), newline="")))


async def caller_of(api: ApiClient, user_id: str) -> Caller:
    async with api.sessions() as session:
        found = await resolve_caller(session, user_id, api.deps.bot_admins)
    assert found is not None
    return found


def column(rows: list[list[str]], header: str) -> list[str]:
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


async def test_classifications_follow_the_callers_visibility(api: ApiClient) -> None:
    await seed(api.sessions)
    visible = {
        EMPLOYEE: ["客戶名單.xlsx", "+notes.docx"],
        MANAGER: ["客戶名單.xlsx", "payroll.xlsx", "+notes.docx"],
        ADMIN: ["客戶名單.xlsx", "payroll.xlsx", INJECTION, "brochure.pdf", "+notes.docx", "roster.xlsx"],
    }
    for who, files in visible.items():
        rows, response = await download(api, await api.sign_in(who), "classifications")
        assert [unneutralised(name) for name in column(rows, "File name")] == files, who
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="classifications-')
        assert unquote(disposition.split("filename*=UTF-8''")[1]).endswith(".csv")


def unneutralised(text: str) -> str:
    return text[1:] if text[:2] in ("'=", "'+", "'-", "'@") else text


async def test_csv_has_readable_headers_names_times_with_offset_and_no_formulas(api: ApiClient) -> None:
    seeded = await seed(api.sessions)
    rows, _ = await download(api, await api.sign_in(ADMIN), "classifications")
    assert rows[0] == list(export_rows.CLASSIFICATION_HEADERS)
    by_file = {row[rows[0].index("File name")]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    customers = by_file["客戶名單.xlsx"]
    assert customers["Question id"] == str(seeded.prompts["客戶名單.xlsx"])
    assert (customers["Person (userId)"], customers["Person"]) == (EMPLOYEE, "鄭家慧")
    assert customers["Asked at"] == "2026-03-02T09:00:00+08:00"  # Macau time, with its offset
    assert customers["Classified at"] == "2026-03-02T09:01:00+08:00"
    assert (customers["Level"], customers["Personal data"], customers["Destination"]) == (
        "confidential", "customer", "mainland")
    # Excel would run these as formulas; the apostrophe makes them text.
    injected = by_file["'" + INJECTION]
    assert injected["Reason"] == "'-1 for the =SUM(A1)" and injected["Person"] == "林小燕"
    assert by_file["'+notes.docx"]["Status"] == "open" and by_file["'+notes.docx"]["Classified at"] == ""


async def test_xlsx_holds_the_same_rows_as_the_csv(api: ApiClient) -> None:
    await seed(api.sessions)
    for who in (MANAGER, ADMIN):
        token = await api.sign_in(who)
        for dataset in ("classifications", "assessments", "data-flows"):
            as_csv, _ = await download(api, token, dataset)
            as_xlsx, response = await download(api, token, dataset, format="xlsx")
            assert as_xlsx == as_csv and len(as_csv) > 1, (who, dataset)
            assert response.headers["Content-Disposition"].endswith(".xlsx")


async def test_filters_are_those_of_the_list(api: ApiClient) -> None:
    await seed(api.sessions)
    admin, manager = await api.sign_in(ADMIN), await api.sign_in(MANAGER)
    rows, _ = await download(api, admin, "classifications", level="internal")
    assert column(rows, "File name") == ["payroll.xlsx", "'" + INJECTION, "roster.xlsx"]
    rows, _ = await download(api, admin, "classifications", status="open")
    assert column(rows, "File name") == ["'+notes.docx"]
    rows, _ = await download(api, manager, "classifications", person=OUTSIDER)  # not the manager's team
    assert rows[1:] == []
    rows, _ = await download(api, admin, "classifications", person=TEAMMATE, format="xlsx")
    assert column(rows, "File name") == ["payroll.xlsx"]
    window = {"from": (T0 + timedelta(hours=1)).isoformat(), "to": (T0 + timedelta(hours=3)).isoformat()}
    rows, _ = await download(api, admin, "classifications", **window)
    assert column(rows, "File name") == ["payroll.xlsx", "'" + INJECTION]
    rows, _ = await download(api, admin, "data-flows", destination="hong_kong")
    assert column(rows, "Destination (id)") == ["hong_kong"]
    assert column(rows, "Assessment statuses") == ["done; open"] and column(rows, "Files") == ["2"]


async def test_assessments_are_own_team_or_all(api: ApiClient) -> None:
    seeded = await seed(api.sessions)
    ids = seeded.assessments
    want = {EMPLOYEE: [ids["payroll"]], MANAGER: [ids["customers"], ids["payroll"]],
            ADMIN: [ids["customers"], ids["payroll"], ids["outsider"]]}
    for who, expected in want.items():
        rows, _ = await download(api, await api.sign_in(who), "assessments")
        assert column(rows, "Assessment id") == [str(i) for i in expected], who
    rows, _ = await download(api, await api.sign_in(ADMIN), "assessments", assessmentStatus="done")
    [payroll] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert payroll["Title"] == "'@HK route" and (payroll["Owner (userId)"], payroll["Owner"]) == (EMPLOYEE, "鄭家慧")
    assert (payroll["Status"], payroll["Overdue"], payroll["File"]) == ("done", "no", "payroll.xlsx")
    assert payroll["Closed at"] == "2026-03-02T09:00:00+08:00"


async def test_each_dataset_needs_its_role_and_the_403_says_which(api: ApiClient) -> None:
    employee, manager, admin = [await api.sign_in(who) for who in (EMPLOYEE, MANAGER, ADMIN)]
    status, body, _ = await api.call("GET", "/exports/audit-events", token=manager)
    assert status == 403
    assert body["detail"] == "exporting audit-events needs the admin role; you are signed in as manager"
    status, body, _ = await api.call("GET", "/exports/data-flows", token=employee, params={"format": "xlsx"})
    assert status == 403
    assert body["detail"] == "exporting data-flows needs the manager role; you are signed in as employee"
    status, _, _ = await api.call("GET", "/exports/data-flows", token=manager)
    assert status == 200
    status, _, _ = await api.call("GET", "/exports/audit-events", token=admin)
    assert status == 200


async def test_the_audit_export_lists_every_export_made(api: ApiClient) -> None:
    await seed(api.sessions)
    manager, admin = await api.sign_in(MANAGER), await api.sign_in(ADMIN)
    await download(api, manager, "classifications", level="internal", format="xlsx")
    rows, _ = await download(api, admin, "audit-events", action="export.downloaded")
    [entry] = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert (entry["Actor (userId)"], entry["Actor"], entry["Subject"]) == (MANAGER, "李美", "export:classifications")
    assert entry["Details"] == '{"format":"xlsx","level":"internal","rows":1}'
    assert entry["At (UTC, as hashed)"].endswith("+00:00") and entry["At"].endswith("+08:00")
    assert len(entry["Hash"]) == 64


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/exports/users", {}, "dataset"),
    ("/exports/classifications", {"format": "pdf"}, "format"),
    ("/exports/classifications", {"destination": "macau"}, "destination"),
    ("/exports/audit-events", {"level": "public"}, "level"),
    ("/exports/assessments", {"assessmentStatus": "none"}, "assessmentStatus"),
    ("/exports/classifications", {"from": "2026-03-02T00:00:00+08:00", "to": "2026-03-01T00:00:00+08:00"}, "to"),
])
async def test_bad_input_is_a_400_naming_the_field(api: ApiClient, path: str, params: dict[str, str],
                                                    field: str) -> None:
    status, body, _ = await api.call("GET", path, token=await api.sign_in(ADMIN), params=params)
    assert status == 400 and [e["field"] for e in body["errors"]] == [field], body
    assert body["detail"].split(":")[0].endswith(field)


async def test_rows_are_read_in_keyset_chunks(api: ApiClient) -> None:
    """Chunks of two rows (several, and one ending exactly on a boundary) give the same files as one chunk."""
    await seed(api.sessions)
    admin = await api.sign_in(ADMIN)
    caller = await caller_of(api, ADMIN)
    for dataset in ("classifications", "assessments", "audit-events"):
        for file_format in ("csv", "xlsx"):
            whole, _ = await download(api, admin, dataset, format=file_format)
            async with api.sessions() as session:
                file = await export_dataset(session, caller, dataset, ExportQuery(format=file_format),
                                            now=datetime.now(UTC), timezone=MACAU, chunk=2)
            chunked = rows_of(file.content.read() if not isinstance(file.content, bytes) else file.content,
                              file_format)
            if not isinstance(file.content, bytes):
                file.content.close()
            if dataset == "audit-events":  # the download before it added an entry of its own
                assert column(chunked, "Seq") == [str(n) for n in range(1, len(chunked))]
                chunked = chunked[: len(whole)]
            assert chunked == whole, (dataset, file_format)


def test_formula_cells_are_neutralised_and_xml_control_characters_replaced() -> None:
    assert [neutralise(text) for text in ("=1+1", "+1", "-1", "@SUM", "\tx", "\rx", "a=b", "")] == [
        "'=1+1", "'+1", "'-1", "'@SUM", "'\tx", "'\rx", "a=b", ""]
    sheet = XlsxSheet("t", ["A"])
    sheet.write([["bad\x01name"]])
    with sheet.finish() as file:
        book = load_workbook(io.BytesIO(file.read()))
    assert book.worksheets[0]["A2"].value == "bad\ufffdname" and book.worksheets[0]["A1"].font.bold
