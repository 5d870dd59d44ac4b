"""Reading uploaded CSV and XLSX sheets into rows, reporting per-row errors, and the blank templates.

An import is all or nothing: the caller validates every row, collects ``RowError``s, and writes nothing
unless the list is empty. Row numbers are the spreadsheet's own (the header is row 1).

Rows are read lazily and reading stops at the first row past the limit, so an oversized file is refused
after reading ``max_rows + 1`` rows, not after loading the whole sheet into memory. Anything the CSV or
XLSX reader chokes on (a cell above the CSV field limit, a damaged worksheet) becomes ``ImportRefused``.
"""

import csv
import io
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from shop.common import N_, DomainError

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Rows read past the limit of non-empty rows before giving up: blank rows cost reading time too, and a
#: small compressed workbook can hold millions of them.
BLANK_ROW_ALLOWANCE = 10_000
#: Rows of a template formatted as text, so Excel keeps leading zeros and long digit strings.
TEMPLATE_TEXT_ROWS = 500

#: What goes wrong while reading a damaged .xlsx part way through (openpyxl parses the sheet lazily).
_XLSX_READ_ERRORS = (
    ValueError,
    KeyError,
    TypeError,
    IndexError,
    SyntaxError,  # xml.etree's ParseError
    EOFError,
    OSError,
    zipfile.BadZipFile,
    zlib.error,
)


class ImportRefused(DomainError):
    """The file as a whole cannot be read (wrong type, no header, too many rows, damaged)."""


class ImportInvalid(DomainError):
    """Some rows break the rules: ``errors`` lists every problem by row and column; nothing was written.

    Each kind of import says so in its own words (``message`` and ``params``).
    """

    def __init__(self, message: str, errors: list["RowError"], **params):
        super().__init__(message, **params)
        self.errors = errors


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
    skipped. Raises ``ImportRefused`` for a file that is not CSV or XLSX, has no header, lacks a column,
    holds more than ``max_rows`` rows, or cannot be read (naming the row where reading failed).
    """
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        table = _xlsx_rows(data)
    elif name.endswith(".csv"):
        table = _csv_rows(data)
    else:
        raise ImportRefused(N_("Upload a .csv or .xlsx file."))
    try:
        return _read_table(table, columns, max_rows)
    finally:
        table.close()  # an xlsx generator closes its workbook (and the zip it holds open)


def _read_table(table: Iterator[Sequence], columns: dict[str, tuple[str, ...]], max_rows: int) -> Sheet:
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
    # Empty rows are skipped but still read: cap them too, or a small workbook of empty rows runs for ever.
    most_read = max_rows + BLANK_ROW_ALLOWANCE
    for number, cells in enumerate(table, start=2):
        values = {key: _text(cells[index]) if index < len(cells) else "" for key, index in positions.items()}
        if any(values.values()):
            rows.append((number, values))
        # Stop at the first row past the limit: the rest of the file is never read.
        if len(rows) > max_rows:
            raise ImportRefused(N_("The file has more than %(max)d rows; split it."), max=max_rows)
        if number - 1 > most_read:
            raise ImportRefused(
                N_("The file has more than %(max)d rows, counting empty ones; delete the empty rows."),
                max=most_read,
            )
    return Sheet(rows=rows, headers=headers)


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores codes typed as numbers as floats
    return str(value).strip()


def _csv_rows(data: bytes) -> Iterator[list[str]]:
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
    return _csv_reader(text)


def _csv_reader(text: str) -> Iterator[list[str]]:
    """The rows one at a time; the csv module's own errors (a cell above its 128 KB field limit, which an
    unclosed quote also produces) become a refusal naming the line."""
    reader = csv.reader(io.StringIO(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise ImportRefused(
                N_("Row %(row)d cannot be read: a cell is too long or a quotation mark is not closed."),
                row=reader.line_num,
            ) from error
        yield row


def _xlsx_rows(data: bytes) -> Iterator[tuple]:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ImportRefused(N_("The file is not a valid .xlsx workbook."))
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as error:
        raise ImportRefused(N_("The file is not a valid .xlsx workbook.")) from error
    if not workbook.worksheets:
        workbook.close()
        raise ImportRefused(N_("The file is not a valid .xlsx workbook."))
    return _xlsx_reader(workbook)


def _xlsx_reader(workbook) -> Iterator[tuple]:
    """The first worksheet's rows one at a time (read-only mode parses the sheet as it goes); a damaged
    worksheet becomes a refusal naming the row where reading stopped."""
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    number = 1
    try:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except _XLSX_READ_ERRORS as error:
                raise ImportRefused(
                    N_("The workbook is damaged at row %(row)d and cannot be read."), row=number
                ) from error
            yield row
            number += 1
    finally:
        workbook.close()


def template_workbook(
    title: str,
    headers: Sequence[str],
    widths: Sequence[int],
    notes: Sequence[tuple[str, str]] = (),
    notes_title: str = "说明",
    notes_headers: tuple[str, str] = ("", ""),
) -> bytes:
    """An empty .xlsx to fill in for an import: bold ``headers`` in the first row (frozen), each column
    ``widths`` wide and formatted as text (codes keep their leading zeros, phone numbers stay digits), and,
    when ``notes`` (header, what to enter) are given, a second sheet explaining each column."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for index, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        cell = sheet.cell(row=1, column=index, value=header)
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = width
        for row in range(2, TEMPLATE_TEXT_ROWS + 2):
            sheet.cell(row=row, column=index).number_format = "@"
    sheet.freeze_panes = "A2"
    if notes:
        explained = workbook.create_sheet(notes_title)
        explained.append(notes_headers)
        for row in notes:
            explained.append(row)
        explained.column_dimensions["A"].width = 18
        explained.column_dimensions["B"].width = 70
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
