"""Importing budget units from a sheet: all or nothing, every bad row reported, supervising units first."""

import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from accounts import units
from accounts.imports import read_sheet
from accounts.models import AuditEntry, BudgetUnit, Role, User
from accounts.validators import is_valid_credit_code
from shop.extensions import db
from tests.conftest import valid_credit_code
from tests.units.support import (
    HEADERS,
    audit_actions,
    counts,
    csv_upload,
    row,
    unit_by_code,
)


def test_import_is_all_or_nothing_and_reports_every_bad_row(client, login_as, users, make_unit):
    existing = make_unit()
    login_as(users[Role.operator])
    client.post("/lang/en")
    before = counts()
    bad_credit = valid_credit_code("11141123")[:17] + "0"
    if is_valid_credit_code(bad_credit):
        bad_credit = bad_credit[:17] + "1"
    rows = [
        row("C001"),  # row 2: fine
        row("C002", credit=bad_credit),  # row 3
        row("C003", region_code="999999"),  # row 4
        row("C001", username="other_one"),  # row 5: code repeats row 2
        row("C005", phone="12345"),  # row 6
        row("C006", username="manager"),  # row 7: taken by the users fixture
        row("C007", parent="NOPE"),  # row 8
        row(existing.code.lower()),  # row 9: exists
    ]
    response = client.post("/units/import", data=csv_upload(rows), content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    reported = {int(number) for number in re.findall(r'data-row="(\d+)"', page)}
    assert reported == {3, 4, 5, 6, 7, 8, 9}
    assert "The unit code C001 also appears in row 2." in page
    assert "No region has the code 999999." in page
    assert "统一社会信用代码" in page  # the column as the file names it
    assert counts() == before
    assert "import.units" not in audit_actions()


def test_import_creates_parents_before_children_from_the_same_file(client, login_as, users, make_unit):
    existing = make_unit("吕梁市卫健委二")
    login_as(users[Role.finance])
    rows = [
        row("D003", parent="D002"),  # supervised by a row further down
        row("D002", parent="D001"),
        row("D001", parent=existing.code, region_code="141100"),
        row("D004", phone=""),
    ]
    response = client.post("/units/import", data=csv_upload(rows), content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_data(as_text=True).count('class="secret"') == 4
    d1, d2, d3, d4 = (unit_by_code(code) for code in ("D001", "D002", "D003", "D004"))
    assert (d1.parent_id, d2.parent_id, d3.parent_id, d4.parent_id) == (existing.id, d1.id, d2.id, None)
    managers = db.session.scalars(select(User).where(User.unit_id.in_([d1.id, d2.id, d3.id, d4.id]))).all()
    assert {m.username for m in managers} == {"mgr_d001", "mgr_d002", "mgr_d003", "mgr_d004"}
    assert all(m.role == Role.unit_manager and m.must_change_password for m in managers)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import.units"))
    assert entry.details["count"] == 4 and entry.actor_id == users[Role.finance].id


def test_import_reports_a_supervision_loop(app, users):
    sheet = read_sheet(
        "units.csv",
        csv_upload([row("E001", parent="E002"), row("E002", parent="E001"), row("E003", parent="E003")])[
            "file"
        ][0].getvalue(),
        units.IMPORT_COLUMNS,
        100,
    )
    with pytest.raises(units.UnitImportRefused) as refused:
        units.import_units(users[Role.operator], sheet)
    assert sorted((error.row, error.column) for error in refused.value.errors) == [
        (2, "主管单位编码"),
        (3, "主管单位编码"),
        (4, "主管单位编码"),
    ]


def test_import_of_a_region_outside_finance_scope_is_refused(client, login_as, users, other_city):
    login_as(users[Role.finance])
    before = counts()
    response = client.post(
        "/units/import",
        data=csv_upload([row("F001"), row("F002", region_code="140105")]),
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert 'data-row="3"' in response.get_data(as_text=True)
    assert counts() == before


def test_import_reads_xlsx_and_the_template_has_the_chinese_headers(client, login_as, users):
    login_as(users[Role.operator])
    template = client.get("/units/import/template.xlsx")
    assert template.status_code == 200
    workbook = load_workbook(io.BytesIO(template.data))
    assert [cell.value for cell in workbook.worksheets[0][1]] == HEADERS
    sheet = workbook.worksheets[0]
    sheet.append(row("G001"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = client.post(
        "/units/import",
        data={"file": (io.BytesIO(buffer.getvalue()), "units.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert unit_by_code("G001") is not None


def test_an_import_of_2000_rows_reads_and_writes_in_a_few_set_based_queries(app, users, count_queries):
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for number in range(2000):
        parent = "" if number < 100 else f"H{number % 100:05d}"
        workbook.active.append(row(f"H{number:05d}", parent=parent, username=f"h_mgr_{number}"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = read_sheet("units.xlsx", buffer.getvalue(), units.IMPORT_COLUMNS, 5000)
    with count_queries() as queries:
        created = units.import_units(users[Role.operator], sheet, "units.xlsx")
    assert len(created) == 2000 and len({item.initial_password for item in created}) == 2000
    assert len(queries) < 40, len(queries)
    assert (
        db.session.scalar(select(func.count(BudgetUnit.id)).where(BudgetUnit.parent_id.is_not(None))) == 1900
    )
