"""Importing purchaser accounts from a CSV or XLSX sheet: all or nothing, every bad row reported."""

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from accounts import people
from accounts.imports import XLSX_MIMETYPE, Sheet
from accounts.models import AuditEntry
from shop.extensions import db
from tests.conftest import login
from tests.people.support import (
    VALID_ROWS,
    account,
    audit_actions,
    csv_bytes,
    error_rows,
    purchaser_count,
    secrets_in,
    upload,
    xlsx_bytes,
)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_csv_import_in_utf8_with_bom_or_gb18030_opens_every_account(as_manager, manager, encoding):
    response = upload(as_manager, "采购人.csv", csv_bytes(VALID_ROWS, encoding))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert len(secrets_in(response)) == 3
    created = [account(username) for username in ("wangxm", "lihua", "zhangsan")]
    assert [user.name for user in created] == ["王小明", "李 华", "张三"]
    assert [user.phone for user in created] == ["13800138001", "13800138002", "0358-4221234"]
    assert all(user.unit_id == manager.unit_id and user.activated_at is None for user in created)
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "import.purchasers")).all()
    assert [entry.details["count"] for entry in entries] == [3]
    assert audit_actions().count("account.create") == 3


def test_xlsx_import_opens_every_account_and_reads_numeric_phone_cells(as_manager):
    rows = [["王小明", "wangxm", 13800138001], ["李华", "lihua", "13800138002"]]
    response = upload(as_manager, "accounts.XLSX", xlsx_bytes(rows, header=["name", "username", "phone"]))
    assert response.status_code == 200
    assert len(secrets_in(response)) == 2
    assert account("wangxm").phone == "13800138001"


def test_the_imported_initial_password_logs_in(as_manager, client):
    response = upload(as_manager, "a.csv", csv_bytes(VALID_ROWS[:1]))
    [initial] = secrets_in(response)
    client.post("/logout")
    assert login(client, "wangxm", initial).headers["Location"] == "/activate"


def test_an_import_with_errors_in_several_rows_reports_every_row_and_creates_nothing(as_manager):
    rows = [
        ["王小明", "wangxm", "13800138001"],  # row 2: fine
        ["", "lihua", "13800138002"],  # row 3: no name
        ["张三", "张三", "13800138003"],  # row 4: username not letters/digits
        ["赵四", "zhaosi", "1234"],  # row 5: bad phone
        ["", "", ""],  # an empty line is skipped, but still counts in the numbering
        ["钱五", "qianwu", ""],  # row 7: no phone
    ]
    count, actions = purchaser_count(), audit_actions()
    as_manager.post("/lang/en")
    response = upload(as_manager, "a.csv", csv_bytes(rows))
    assert response.status_code == 400
    assert error_rows(response) == [(3, "姓名"), (4, "用户名"), (5, "手机号"), (7, "手机号")]
    assert "The phone number 1234 is not valid." in response.text
    assert "4 rows have errors; no account was created." in response.text
    assert secrets_in(response) == []
    assert purchaser_count() == count and audit_actions() == actions


def test_a_username_repeated_in_the_file_in_any_case_is_reported_on_each_later_row(as_manager):
    rows = [["甲", "wangxm", "13800138001"], ["乙", "lihua", "13800138002"], ["丙", "WangXM", "13800138003"]]
    as_manager.post("/lang/en")
    response = upload(as_manager, "a.csv", csv_bytes(rows))
    assert error_rows(response) == [(4, "用户名")]
    assert "The username WangXM also appears in row 2." in response.text
    assert account("wangxm") is None and account("lihua") is None


def test_a_username_already_in_the_database_is_reported(as_manager, other_unit_purchaser):
    rows = [["甲", "wangxm", "13800138001"], ["乙", "ELSEWHERE", "13800138002"]]
    as_manager.post("/lang/en")
    response = upload(as_manager, "a.csv", csv_bytes(rows))
    assert error_rows(response) == [(3, "用户名")]
    assert "The username ELSEWHERE is already taken." in response.text
    assert account("wangxm") is None


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("accounts.txt", csv_bytes(VALID_ROWS)),  # wrong file type
        ("accounts.xls", b"\xd0\xcf\x11\xe0 old Excel"),  # the old binary format is not read
        ("accounts.xlsx", b"not a zip at all"),  # named .xlsx but is not one
        ("accounts.csv", b""),  # empty
        ("accounts.csv", csv_bytes(VALID_ROWS, header=["姓名", "用户名"])),  # a column missing
        ("accounts.csv", csv_bytes([])),  # a header and no accounts
    ],
)
def test_an_unreadable_file_is_refused_with_a_message_and_changes_nothing(as_manager, filename, data):
    count, actions = purchaser_count(), audit_actions()
    response = upload(as_manager, filename, data)
    assert response.status_code == 400
    assert 'class="flash flash-error"' in response.text
    assert secrets_in(response) == []
    assert purchaser_count() == count and audit_actions() == actions


def test_a_missing_file_is_refused(as_manager):
    response = as_manager.post("/people/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 400
    assert 'class="field has-error"' in response.text


def test_more_rows_than_allowed_are_refused(app, as_manager, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 2)
    count = purchaser_count()
    as_manager.post("/lang/en")
    response = upload(as_manager, "a.csv", csv_bytes(VALID_ROWS))
    assert "more than 2 rows" in response.text
    assert purchaser_count() == count


def test_an_oversized_upload_answers_413_and_changes_nothing(app, as_manager, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200)
    count = purchaser_count()
    response = upload(as_manager, "a.csv", csv_bytes(VALID_ROWS * 5))
    assert response.status_code == 413
    assert purchaser_count() == count


def test_the_template_has_the_chinese_headers_and_imports_back(as_manager):
    response = as_manager.get("/people/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX_MIMETYPE
    workbook = load_workbook(io.BytesIO(response.data))
    sheet = workbook.active
    assert [cell.value for cell in sheet[1]] == ["姓名", "用户名", "手机号"]
    sheet.append(["王小明", "wangxm", "13800138001"])
    filled = io.BytesIO()
    workbook.save(filled)
    imported = upload(as_manager, "模板.xlsx", filled.getvalue())
    assert len(secrets_in(imported)) == 1


def test_import_service_is_all_or_nothing(app, manager, users):
    sheet = Sheet(
        rows=[
            (2, {"name": "甲", "username": "fresh1", "phone": "13800138001"}),
            (3, {"name": "乙", "username": "buyer", "phone": "13800138002"}),
        ],
        headers={"name": "name", "username": "username", "phone": "phone"},
    )
    with app.test_request_context(), pytest.raises(people.ImportInvalid) as refused:
        people.import_purchasers(manager, sheet)
    assert [(error.row, error.column) for error in refused.value.errors] == [(3, "username")]
    assert account("fresh1") is None
