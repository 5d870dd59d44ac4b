"""Reading uploaded sheets: rows are read lazily and reading stops at the first row past the limit; what
the CSV or XLSX reader cannot read is refused with a message naming the row, never a 500."""

import io
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from accounts import imports
from accounts.imports import ImportRefused, read_sheet, template_workbook
from accounts.models import Role
from tests.people.support import csv_bytes, purchaser_count, upload

COLUMNS = {"name": ("姓名",), "username": ("用户名",), "phone": ("手机号",)}
HEADER = ["姓名", "用户名", "手机号"]
#: Longer than the csv module's field limit (131,072 characters).
HUGE_CELL = "x" * 200_000


def rows(count: int) -> list[list[str]]:
    return [[f"名{number}", f"user{number}", "13800138000"] for number in range(count)]


def workbook_bytes(data_rows) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADER)
    for cells in data_rows:
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def damaged(xlsx: bytes, keep: float) -> bytes:
    """The workbook with its worksheet cut off after ``keep`` of its XML and ended with garbage."""
    source, buffer = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: int(len(content) * keep)] + b"<row r=<<not xml"
            target.writestr(item, content)
    return buffer.getvalue()


def refusal(filename: str, data: bytes, max_rows: int = 5000) -> ImportRefused:
    with pytest.raises(ImportRefused) as refused:
        read_sheet(filename, data, COLUMNS, max_rows)
    return refused.value


@pytest.fixture
def rows_read(monkeypatch):
    """The rows (header included) that ``read_sheet`` pulled from an .xlsx worksheet."""
    pulled = []
    reader = imports._xlsx_reader

    def counting(workbook):
        for cells in reader(workbook):
            pulled.append(cells)
            yield cells

    monkeypatch.setattr(imports, "_xlsx_reader", counting)
    return pulled


# --- the row limit -----------------------------------------------------------------------------------------


def test_an_xlsx_over_the_row_limit_is_refused_after_reading_one_row_past_it(rows_read):
    error = refusal("big.xlsx", workbook_bytes(rows(3000)), max_rows=10)
    assert error.message == "The file has more than %(max)d rows; split it."
    assert error.params == {"max": 10}
    assert len(rows_read) == 1 + 11  # the header and the first row past the limit; not the other 2,989


def test_reading_stops_before_a_damaged_part_past_the_row_limit():
    # The damage sits near the end of the worksheet: a reader that loads everything first trips on it.
    error = refusal("big.xlsx", damaged(workbook_bytes(rows(3000)), keep=0.9), max_rows=10)
    assert error.params == {"max": 10}
    error = refusal("big.csv", csv_bytes([*rows(3), ["名", HUGE_CELL, "13800138000"]]), max_rows=2)
    assert error.params == {"max": 2}


def test_a_sheet_within_the_limit_is_read_whole():
    sheet = read_sheet("ok.xlsx", workbook_bytes(rows(10)), COLUMNS, max_rows=10)
    assert [number for number, _values in sheet.rows] == list(range(2, 12))


def test_endless_empty_rows_are_refused_rather_than_read_to_the_end(monkeypatch):
    monkeypatch.setattr(imports, "BLANK_ROW_ALLOWANCE", 20)
    data = csv_bytes([*rows(2), *([["", "", ""]] * 100), *rows(1)])
    error = refusal("blank.csv", data, max_rows=5)
    assert error.message.startswith("The file has more than %(max)d rows, counting empty ones")
    assert error.params == {"max": 5 + 20}


# --- what the readers cannot read --------------------------------------------------------------------------


def test_a_csv_cell_above_the_csv_field_limit_is_refused_naming_its_row():
    error = refusal("huge.csv", csv_bytes([*rows(2), ["名", HUGE_CELL, "13800138000"]]))
    assert error.message.startswith("Row %(row)d cannot be read")
    assert error.params == {"row": 4}


def test_an_unclosed_quote_in_a_csv_is_refused_not_read_to_the_end():
    data = ("姓名,用户名,手机号\r\n甲,a1,13800138000\r\n" + '"乙,' + "y" * 140_000).encode("utf-8")
    assert refusal("quote.csv", data).params == {"row": 3}


def test_a_damaged_worksheet_is_refused_naming_the_row_where_reading_stopped():
    error = refusal("broken.xlsx", damaged(workbook_bytes(rows(3000)), keep=0.5))
    assert error.message == "The workbook is damaged at row %(row)d and cannot be read."
    assert 1000 < error.params["row"] < 2000


def test_a_csv_that_cannot_be_read_answers_400_through_the_view_and_creates_nothing(login_as, users):
    client = login_as(users[Role.unit_manager])
    client.post("/lang/en")
    count = purchaser_count()
    response = upload(client, "huge.csv", csv_bytes([*rows(1), ["名", HUGE_CELL, "13800138000"]]))
    assert response.status_code == 400
    assert "Row 3 cannot be read: a cell is too long or a quotation mark is not closed." in response.text
    assert purchaser_count() == count


def test_a_damaged_workbook_answers_400_through_the_view(login_as, users):
    client = login_as(users[Role.unit_manager])
    count = purchaser_count()
    response = upload(client, "broken.xlsx", damaged(workbook_bytes(rows(3000)), keep=0.5))
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.text
    assert purchaser_count() == count


# --- templates ---------------------------------------------------------------------------------------------


def test_a_template_has_bold_frozen_headers_text_cells_and_its_notes():
    data = template_workbook(
        "表", ["编码", "名称"], widths=[10, 20], notes=[("编码", "必填"), ("名称", "必填")]
    )
    workbook = load_workbook(io.BytesIO(data))
    sheet, notes = workbook.worksheets
    assert [cell.value for cell in sheet[1]] == ["编码", "名称"] and sheet["A1"].font.bold
    assert sheet.freeze_panes == "A2"
    assert (
        sheet["A2"].number_format == "@" and sheet[f"B{imports.TEMPLATE_TEXT_ROWS + 1}"].number_format == "@"
    )
    assert [[cell.value for cell in line] for line in notes.iter_rows(min_row=2)] == [
        ["编码", "必填"],
        ["名称", "必填"],
    ]
