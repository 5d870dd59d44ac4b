"""Reading uploaded CSV and XLSX sheets into rows, and reporting per-row errors.

An import is all or nothing: the caller validates every row, collects ``RowError``s, and writes nothing
unless the list is empty. Row numbers are the spreadsheet's own (the header is row 1).
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook

from shop.common import N_, DomainError


class ImportRefused(DomainError):
    """The file as a whole cannot be read (wrong type, no header, too many rows)."""


@dataclass
class RowError:
    row: int
    #: The column the problem is in (its header as the user wrote it), or None for the whole row.
    column: str | None
    #: An English msgid with ``%(name)s`` params, translated when shown.
    message: str
    params: dict = field(default_factory=dict)

    def translated(self) -> str:
        from flask_babel import gettext

        return gettext(self.message, **self.params)


@dataclass
class Sheet:
    #: Each row as {canonical column name: stripped text}, with its row number in the file.
    rows: list[tuple[int, dict[str, str]]]
    #: canonical column name -> the header the user wrote, for error messages.
    headers: dict[str, str]


def read_sheet(filename: str, data: bytes, columns: dict[str, tuple[str, ...]], max_rows: int) -> Sheet:
    """Read a CSV or XLSX upload whose first row names the columns.

    ``columns`` maps each canonical column name to the headers accepted for it (English and Chinese, e.g.
    ``{"username": ("username", "用户名")}``); every canonical column must be present. Empty rows are
    skipped. Raises ``ImportRefused`` for a file that is not CSV or XLSX, has no header or lacks a column.
    """
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise ImportRefused(N_("Upload a .csv or .xlsx file."))
    header_row = next(table, None)
    if header_row is None:
        raise ImportRefused(N_("The file is empty."))
    header = [_text(cell) for cell in header_row]
    positions, headers = {}, {}
    for canonical, accepted in columns.items():
        wanted = {alias.lower() for alias in (canonical, *accepted)}
        for index, written in enumerate(header):
            if written.lower() in wanted:
                positions[canonical] = index
                headers[canonical] = written
                break
        else:
            raise ImportRefused(
                N_("The first row must name the columns; %(column)s is missing."),
                column=" / ".join(accepted or (canonical,)),
            )
    rows = []
    for number, cells in enumerate(table, start=2):
        values = {key: _text(cells[index]) if index < len(cells) else "" for key, index in positions.items()}
        if not any(values.values()):
            continue
        rows.append((number, values))
        if len(rows) > max_rows:
            raise ImportRefused(N_("The file has more than %(max)d rows; split it."), max=max_rows)
    return Sheet(rows=rows, headers=headers)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores codes typed as numbers as floats
    return str(value).strip()


def _csv_rows(data: bytes):
    # Excel in Chinese Windows saves CSV as GBK/GB18030; others save UTF-8, often with a BOM.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportRefused(N_("The CSV file is neither UTF-8 nor GB18030 text."))
    if "\x00" in text:
        raise ImportRefused(N_("The file is not a CSV text file."))
    return iter(list(csv.reader(io.StringIO(text))))


def _xlsx_rows(data: bytes):
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportRefused(N_("The file is not a valid .xlsx workbook."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise ImportRefused(N_("The file is not a valid .xlsx workbook.")) from error
    sheet = workbook.worksheets[0]
    return iter([list(row) for row in sheet.iter_rows(values_only=True)])
