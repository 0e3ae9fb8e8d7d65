"""Spreadsheet files for the exports: CSV or XLSX, written a chunk of rows at a time.

Inspectors open these in Excel, so every text cell that Excel would read as a formula (= + - @, or a leading
tab or carriage return) is neutralised with a leading apostrophe, in both formats (OWASP "CSV injection").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import datetime, tzinfo
from tempfile import SpooledTemporaryFile
from typing import Final, Literal, Protocol

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

ExportFormat = Literal["csv", "xlsx"]
Cell = str | int | bool | datetime | None
Row = Sequence[Cell]
MEDIA_TYPES: Final[dict[ExportFormat, str]] = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 forbids these control characters; openpyxl refuses them, so a file name holding one must not fail
# the whole export.
SPOOL_BYTES: Final = 4 * 1024 * 1024
_NOT_XML: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_XLSX_CELL_MAX: Final = 32_767  # Excel's limit; a longer cell makes Excel "repair" the file


def neutralise(text: str) -> str:
    """`text`, with a leading apostrophe if Excel would otherwise run it as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def cell_value(value: Cell, timezone: tzinfo) -> str | int:
    """One cell as written: times in ISO 8601 with the org's offset, yes/no, numbers as numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(timezone).isoformat(timespec="seconds")
    return neutralise(value)


class SheetWriter(Protocol):
    def write(self, rows: Sequence[Sequence[str | int]]) -> None: ...

    def finish(self) -> SpooledTemporaryFile[bytes]: ...

    def close(self) -> None:
        """Drop an unfinished file (its rows could not all be read)."""


class CsvSheet:
    """CSV in UTF-8 with a byte order mark: without it Excel reads the file in the PC's ANSI code page, and
    Chinese names and file names come out garbled."""

    def __init__(self, headers: Sequence[str]) -> None:
        self._file = spooled()
        self._text = io.TextIOWrapper(self._file, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text, lineterminator="\r\n")
        self._writer.writerow(headers)

    def write(self, rows: Sequence[Sequence[str | int]]) -> None:
        self._writer.writerows(rows)

    def finish(self) -> SpooledTemporaryFile[bytes]:
        self._text.flush()
        self._text.detach()  # the file outlives its text layer
        self._file.seek(0)
        return self._file

    def close(self) -> None:
        self._file.close()


class XlsxSheet:
    """One worksheet in openpyxl's write-only mode, which streams rows to a temporary file instead of
    keeping every cell in memory."""

    def __init__(self, title: str, headers: Sequence[str]) -> None:
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet(title[:31])  # Excel's limit on sheet names
        bold = Font(bold=True)
        cells = []
        for header in headers:
            cell = WriteOnlyCell(self._sheet, value=header)
            cell.font = bold
            cells.append(cell)
        self._sheet.append(cells)

    def write(self, rows: Sequence[Sequence[str | int]]) -> None:
        for row in rows:
            self._sheet.append([_xlsx_text(value) if isinstance(value, str) else value for value in row])

    def finish(self) -> SpooledTemporaryFile[bytes]:
        file = spooled()
        self._book.save(file)
        file.seek(0)
        return file

    def close(self) -> None:
        self._book.close()


def _xlsx_text(text: str) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    return text if len(text) <= _XLSX_CELL_MAX else text[: _XLSX_CELL_MAX - 1] + "…"


def spooled() -> SpooledTemporaryFile[bytes]:
    """Memory for a small export, a temporary file beyond SPOOL_BYTES: a million rows never sit in memory."""
    return SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")


def new_sheet(file_format: ExportFormat, title: str, headers: Sequence[str]) -> SheetWriter:
    return CsvSheet(headers) if file_format == "csv" else XlsxSheet(title, headers)
