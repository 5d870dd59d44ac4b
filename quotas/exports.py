"""Report tables as CSV and XLSX files: Chinese headers, numbers as numbers.

A table is a list of ``Column``s (key, header msgid, kind) and its rows (any objects); the same columns draw
the HTML table, so what is exported is what is shown. Money stays ``Decimal`` (an XLSX number cell with
``#,##0.00``; ``1234.50`` in CSV); a ratio is a fraction (``0.9820``; an XLSX cell formatted as a percentage).
Headers and names of statuses are written in Chinese whatever the interface language: the files go to the
finance bureau's own sheets and reports.
"""

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Response, send_file
from flask_babel import force_locale
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from accounts.views.common import send_workbook

#: Excel's number formats per column kind.
NUMBER_FORMATS = {"money": "#,##0.00", "ratio": "0.00%", "int": "0"}
WIDTHS = {"text": 24, "money": 16, "ratio": 12, "int": 10}
CSV_MIMETYPE = "text/csv"
#: The interface language of the files (their headers and status names).
EXPORT_LOCALE = "zh"


@dataclass(frozen=True)
class Column:
    """One column of a report table. ``kind``: text, int, money or ratio. ``get`` reads the value from a
    row (default: the attribute ``key``); ``sortable`` columns get a sort link on the page."""

    key: str
    header: Any
    kind: str = "text"
    get: Callable[[Any], Any] | None = None
    sortable: bool = True

    def value(self, row) -> Any:
        return self.get(row) if self.get is not None else getattr(row, self.key, None)

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Sheet:
    """A table to export: a title (the XLSX sheet's name), its columns and rows, and an optional last row
    (the level's totals)."""

    title: str
    columns: Sequence[Column]
    rows: Iterable
    total: Any = None


#: A text cell starting with one of these would be read as a formula by a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _plain(column: Column, row) -> Any:
    """The value of a cell as a number (int / Decimal), a string, or None."""
    value = column.value(row)
    if value is None:
        return None
    if column.kind == "int":
        return int(value)
    if column.kind in ("money", "ratio"):
        return Decimal(value)
    return str(value)


def _csv_text(value: Any) -> Any:
    """A name someone typed (a unit's, a supplier's) never becomes a formula when the file is opened."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _rows(sheet: Sheet):
    yield from sheet.rows
    if sheet.total is not None:
        yield sheet.total


def csv_bytes(sheet: Sheet) -> bytes:
    """The table as CSV: UTF-8 with a BOM (so that Excel reads Chinese), one header line."""
    with force_locale(EXPORT_LOCALE):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([str(column.header) for column in sheet.columns])
        for row in _rows(sheet):
            values = (_plain(column, row) for column in sheet.columns)
            writer.writerow(["" if value is None else _csv_text(value) for value in values])
        return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The tables as one workbook, a sheet each: bold frozen header row, number cells with number formats.
    Written in openpyxl's write-only mode, so a province's 50,000 rows stay small in memory."""
    workbook = Workbook(write_only=True)
    with force_locale(EXPORT_LOCALE):
        for sheet in sheets:
            worksheet = workbook.create_sheet(_sheet_title(sheet.title))
            worksheet.freeze_panes = "A2"
            for index, column in enumerate(sheet.columns, start=1):
                worksheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column.kind, 16)
            header = []
            for column in sheet.columns:
                cell = WriteOnlyCell(worksheet, value=str(column.header))
                cell.font = Font(bold=True)
                header.append(cell)
            worksheet.append(header)
            for row in _rows(sheet):
                cells = []
                for column in sheet.columns:
                    cell = WriteOnlyCell(worksheet, value=_plain(column, row))
                    if column.kind in NUMBER_FORMATS:
                        cell.number_format = NUMBER_FORMATS[column.kind]
                    elif cell.data_type == "f":
                        cell.data_type = "s"  # text that starts with "=" stays text, never a formula
                    cells.append(cell)
                worksheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    # Excel: at most 31 characters, none of []:*?/\
    cleaned = "".join("_" if char in "[]:*?/\\" else char for char in title)
    return cleaned[:31] or "Sheet"


def send_table(fmt: str, sheets: Sequence[Sheet], filename: str) -> Response:
    """The tables as a download: ``fmt`` is "csv" (the first table) or "xlsx" (all of them)."""
    if fmt == "xlsx":
        return send_workbook(xlsx_bytes(sheets), f"{filename}.xlsx")
    return send_file(
        io.BytesIO(csv_bytes(sheets[0])),
        mimetype=CSV_MIMETYPE,
        as_attachment=True,
        download_name=f"{filename}.csv",
    )
