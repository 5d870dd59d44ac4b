"""A unit manager's purchaser accounts: open, reset, deactivate, import a sheet (all or nothing), list."""

import html
import io
import re

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from accounts import people
from accounts.imports import Sheet
from accounts.models import AuditEntry, Role, User
from accounts.views import people as people_views
from shop.extensions import db
from tests.conftest import PASSWORD, login

HEADER = ["姓名", "用户名", "手机号"]


# --- helpers -----------------------------------------------------------------------------------------------


def secrets_in(response) -> list[str]:
    """The initial passwords a page shows (each in a ``secret`` span)."""
    return [html.unescape(s) for s in re.findall(r'<span class="secret">([^<]*)</span>', response.text)]


def error_rows(response) -> list[tuple[int, str]]:
    """(row, column) of each line of the import error table."""
    table = response.text.split('class="table import-errors"', 1)
    assert len(table) == 2, "no error table on the page"
    cells = re.findall(r'<tr><td class="num">(\d+)</td><td>([^<]*)</td>', table[1])
    return [(int(row), column) for row, column in cells]


def csv_bytes(rows, encoding="utf-8-sig", header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, filename: str, data: bytes):
    return client.post(
        "/people/import",
        data={"sheet": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def purchaser_count() -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.role == Role.purchaser))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def account(username: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.username) == username.lower()))


VALID_ROWS = [
    ["王小明", "wangxm", "13800138001"],
    ["李 华", "lihua", "138 0013 8002"],  # spaces in a phone are forgiven
    ["张三", "zhangsan", "0358-4221234"],  # a landline with its area code
]


@pytest.fixture
def manager(users):
    return users[Role.unit_manager]


@pytest.fixture
def as_manager(login_as, manager):
    return login_as(manager)


@pytest.fixture
def other_unit_purchaser(make_unit, make_user):
    return make_user(Role.purchaser, "elsewhere", unit=make_unit("吕梁市卫健委"))


# --- one account -------------------------------------------------------------------------------------------


def test_manager_opens_an_inactive_purchaser_account_in_its_unit_and_sees_the_password_once(
    as_manager, manager
):
    response = as_manager.post(
        "/people/new", data={"name": "王小明", "username": "wangxm", "phone": "13800138001"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [initial] = secrets_in(response)
    user = account("wangxm")
    assert (user.role, user.unit_id, user.name, user.phone) == (
        Role.purchaser,
        manager.unit_id,
        "王小明",
        "13800138001",
    )
    assert user.activated_at is None and user.must_change_password
    assert initial not in user.password_hash
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.create")).all()
    assert [(entry.actor_id, entry.object_id) for entry in entries] == [(manager.id, user.id)]
    # Shown once: not in the audit log, nor on the next page (no flash carries it).
    assert not any(initial in str(entry.details) for entry in db.session.scalars(select(AuditEntry)))
    assert initial not in as_manager.get("/people/").text


def test_the_initial_password_shown_logs_in_and_forces_activation(as_manager, client):
    response = as_manager.post(
        "/people/new", data={"name": "王小明", "username": "wangxm", "phone": "13800138001"}
    )
    [initial] = secrets_in(response)
    client.post("/logout")
    assert login(client, "wangxm", initial).headers["Location"] == "/activate"
    assert client.get("/").headers["Location"] == "/activate"
    done = client.post("/activate", data={"password": "Own-pass-789", "confirm": "Own-pass-789"})
    assert done.status_code == 302
    assert account("wangxm").activated_at is not None


def test_opening_an_account_with_a_username_taken_in_any_case_is_refused(as_manager, users):
    count = purchaser_count()
    response = as_manager.post(
        "/people/new", data={"name": "重名", "username": "BUYER", "phone": "13800138001"}
    )
    assert response.status_code == 200
    assert secrets_in(response) == []
    assert purchaser_count() == count


@pytest.mark.parametrize(
    "data",
    [
        {"name": "王小明", "username": "wangxm", "phone": "12345"},
        {"name": "王小明", "username": "王小明", "phone": "13800138001"},
        {"name": "", "username": "wangxm", "phone": "13800138001"},
        {"name": "王小明", "username": "wangxm", "phone": ""},
    ],
)
def test_opening_an_account_with_bad_data_creates_nothing(as_manager, data):
    count = purchaser_count()
    response = as_manager.post("/people/new", data=data)
    assert response.status_code == 200
    assert 'class="field has-error"' in response.text
    assert purchaser_count() == count


def test_reset_gives_a_new_initial_password_that_replaces_the_old_and_must_be_changed(
    as_manager, client, users
):
    buyer = users[Role.purchaser]
    response = as_manager.post(f"/people/{buyer.id}/reset-password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [initial] = secrets_in(response)
    assert not any(initial in str(entry.details) for entry in db.session.scalars(select(AuditEntry)))
    assert "account.reset_password" in audit_actions()
    client.post("/logout")
    assert login(client, buyer, PASSWORD).status_code == 200  # the old password no longer works
    assert login(client, buyer, initial).headers["Location"] == "/activate"


def test_deactivated_account_cannot_log_in_until_re_enabled(as_manager, client, users):
    buyer = users[Role.purchaser]
    response = as_manager.post(f"/people/{buyer.id}/deactivate")
    assert response.status_code == 302
    assert db.session.get(User, buyer.id).enabled is False
    assert "account.deactivate" in audit_actions()
    client.post("/logout")
    assert login(client, buyer).status_code == 200  # refused: the login page again
    manager_client = login(client, "manager")
    assert manager_client.status_code == 302
    assert client.post(f"/people/{buyer.id}/enable").status_code == 302
    client.post("/logout")
    assert login(client, buyer).status_code == 302


def test_actions_are_post_only(as_manager, users):
    buyer = users[Role.purchaser]
    for action in ("reset-password", "deactivate", "enable"):
        assert as_manager.get(f"/people/{buyer.id}/{action}").status_code == 405


def test_every_action_on_an_account_the_manager_does_not_own_answers_404(
    as_manager, manager, make_unit, make_user, other_unit_purchaser
):
    subunit = make_unit("下属单位", parent=manager.unit)
    not_mine = [
        other_unit_purchaser,
        make_user(Role.purchaser, "sub_buyer", unit=subunit),  # a subordinate unit's: not managed from above
        make_user(Role.unit_manager, "colleague", unit=manager.unit),  # not a purchaser account
    ]
    hashes = {user.id: user.password_hash for user in not_mine}
    for user in not_mine:
        for action in ("reset-password", "deactivate", "enable"):
            assert as_manager.post(f"/people/{user.id}/{action}").status_code == 404, (user, action)
    assert as_manager.post("/people/999999/deactivate").status_code == 404
    for user in not_mine:
        fresh = db.session.get(User, user.id)
        assert fresh.enabled and fresh.password_hash == hashes[user.id]
    assert not any(action.startswith("account.") and action != "account.login" for action in audit_actions())
    listing = as_manager.get("/people/").text
    assert "elsewhere" not in listing and "sub_buyer" not in listing and "colleague" not in listing


def test_service_refuses_an_account_of_another_unit(app, manager, other_unit_purchaser):
    with app.test_request_context(), pytest.raises(people.AccountError):
        people.set_purchaser_enabled(manager, other_unit_purchaser, False)


@pytest.mark.parametrize("role", [Role.purchaser, Role.supplier, Role.finance, Role.operator])
def test_other_roles_are_refused_with_403(client, users, role):
    login(client, users[role])
    buyer = users[Role.purchaser]
    for url in ("/people/", "/people/new", "/people/import", "/people/import/template.xlsx"):
        assert client.get(url).status_code == 403, url
    for url in (
        "/people/new",
        "/people/import",
        f"/people/{buyer.id}/reset-password",
        f"/people/{buyer.id}/deactivate",
        f"/people/{buyer.id}/enable",
    ):
        assert client.post(url).status_code == 403, url
    assert db.session.get(User, buyer.id).enabled


# --- import ------------------------------------------------------------------------------------------------


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
    assert response.status_code == 200
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
    assert response.status_code == 200
    assert 'class="flash flash-error"' in response.text
    assert secrets_in(response) == []
    assert purchaser_count() == count and audit_actions() == actions


def test_a_missing_file_is_refused(as_manager):
    response = as_manager.post("/people/import", data={}, content_type="multipart/form-data")
    assert response.status_code == 200
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
    assert response.mimetype == people_views.XLSX_MIMETYPE
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


# --- the list and the home panel ---------------------------------------------------------------------------


@pytest.fixture
def unit_accounts(manager, make_user, other_unit_purchaser):
    """Three more purchaser accounts of the manager's unit, one in each status (beside ``buyer``, active)."""
    unit = manager.unit
    return {
        "waiting": make_user(Role.purchaser, "waiting", unit=unit, activated=False, name="待激活"),
        "working": make_user(Role.purchaser, "working", unit=unit, phone="13812345678", name="在用"),
        "gone": make_user(Role.purchaser, "gone", unit=unit, enabled=False, name="停用"),
    }


def test_list_shows_the_units_purchasers_with_masked_phones_and_counts(as_manager, unit_accounts):
    as_manager.post("/lang/en")
    page = as_manager.get("/people/").text
    for username in ("buyer", "waiting", "working", "gone"):
        assert f'<td class="nowrap">{username}</td>' in page
    assert "elsewhere" not in page and '<td class="nowrap">manager</td>' not in page
    assert "138****5678" in page and "13812345678" not in page
    assert "4 opened, 3 activated, 1 deactivated" in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "not_activated"}, {"waiting"}),
        ({"status": "active"}, {"buyer", "working"}),
        ({"status": "deactivated"}, {"gone"}),
        ({"q": "在用"}, {"working"}),
        ({"q": "WAIT"}, {"waiting"}),
        ({"q": "%"}, set()),  # a wildcard is searched as text
    ],
)
def test_list_filters_by_status_and_by_name_or_username(as_manager, unit_accounts, query, expected):
    page = as_manager.get("/people/", query_string=query).text
    shown = set(re.findall(r'<td class="nowrap">([a-z]+)</td>', page))
    assert shown == expected


def test_list_paginates_with_a_next_page_link(as_manager, manager, make_user, monkeypatch):
    monkeypatch.setattr(people_views, "PAGE_SIZE", 3)
    for number in range(5):
        make_user(Role.purchaser, f"p{number}x", unit=manager.unit)
    first = as_manager.get("/people/", query_string={"q": "x"}).text
    assert re.findall(r'<td class="nowrap">(p\dx)</td>', first) == ["p4x", "p3x", "p2x"]
    link = html.unescape(re.search(r'href="(/people/\?[^"]*before=[^"]*)"', first).group(1))
    assert "q=x" in link
    second = as_manager.get(link).text
    assert re.findall(r'<td class="nowrap">(p\dx)</td>', second) == ["p1x", "p0x"]
    assert 'href="/people/?before=' not in second


def test_list_runs_the_same_number_of_queries_for_2_or_15_accounts(
    as_manager, manager, make_user, count_queries
):
    def queries_for_list() -> int:
        with count_queries() as queries:
            assert as_manager.get("/people/").status_code == 200
        return len(queries)

    make_user(Role.purchaser, unit=manager.unit, activated=False)
    few = queries_for_list()
    for number in range(13):
        make_user(Role.purchaser, unit=manager.unit, enabled=number % 3 != 0, phone="13800138000")
    assert purchaser_count() >= 15
    assert queries_for_list() == few


def test_home_panel_names_the_accounts_not_yet_activated(as_manager, manager, make_user):
    for number in range(7):
        make_user(Role.purchaser, f"new{number}", unit=manager.unit, activated=False, name=f"新人{number}")
    make_user(Role.purchaser, "off", unit=manager.unit, activated=False, enabled=False, name="停用者")
    page = as_manager.get("/").text
    assert "/people/?status=not_activated" in page
    assert "新人0 (new0)" in page and "新人4 (new4)" in page
    assert "新人5" not in page and "停用者" not in page
    with as_manager.application.test_request_context():
        count, first = people.not_yet_activated(manager.unit_id)
    assert count == 7 and len(first) == 5


def test_state_changes_need_the_csrf_token(as_manager, users, csrf_enabled):
    buyer = users[Role.purchaser]
    assert as_manager.post(f"/people/{buyer.id}/deactivate").status_code == 400
    assert upload(as_manager, "a.csv", csv_bytes(VALID_ROWS)).status_code == 400
    assert db.session.get(User, buyer.id).enabled and account("wangxm") is None
