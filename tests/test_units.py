"""Regions and budget units: the region tree, scoped unit lists and pages, registering units one by one
and from a sheet (all or nothing), and the home panels."""

import csv
import io
import re
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from accounts import units
from accounts.imports import read_sheet
from accounts.models import AuditEntry, BudgetUnit, Region, RegionLevel, Role, User
from accounts.units import UnitError, UnitFacts
from accounts.validators import credit_code_check_char, is_valid_credit_code
from shop.extensions import db
from tests.conftest import region, valid_credit_code

HEADERS = [
    "单位编码",
    "单位名称",
    "统一社会信用代码",
    "行政区划代码",
    "主管单位编码",
    "管理员用户名",
    "管理员姓名",
    "管理员手机号",
]


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(BudgetUnit.id))),
        db.session.scalar(select(func.count(User.id))),
    )


def unit_by_code(code: str) -> BudgetUnit | None:
    return db.session.scalar(select(BudgetUnit).where(BudgetUnit.code == code))


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def row(code, name=None, credit=None, region_code="141123", parent="", username=None, phone="13800138000"):
    return [
        code,
        name or f"单位{code}",
        credit if credit is not None else valid_credit_code("11141100"),
        region_code,
        parent,
        username or f"mgr_{code.lower()}",
        "王五",
        phone,
    ]


def csv_upload(rows: list[list[str]], headers=HEADERS) -> dict:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return {"file": (io.BytesIO(text.getvalue().encode("utf-8-sig")), "units.csv")}


def facts(**changes) -> UnitFacts:
    data = {
        "code": "B001",
        "name": "兴县教育局",
        "credit_code": valid_credit_code("11141123"),
        "region_code": "141123",
        "parent_code": "",
        "manager_username": "xx_edu",
        "manager_name": "赵六",
        "manager_phone": "13912345678",
    }
    data.update(changes)
    return UnitFacts(**data)


def form_data(**changes) -> dict:
    return vars(facts(**changes))


@pytest.fixture
def other_city(make_region, city):
    """太原市 with one county, beside 吕梁市 in the same province."""
    taiyuan = make_region("140100", "太原市", RegionLevel.city, region("140000"))
    make_region("140105", "小店区", RegionLevel.county, taiyuan)
    return taiyuan


# --- the credit code --------------------------------------------------------------------------------------


def test_credit_code_check_digit_accepts_valid_and_refuses_invalid_codes():
    body = "91141123MA0KXY312"  # legal-person kind, 兴县 registration area, organisation code
    code = body + credit_code_check_char(body)
    assert is_valid_credit_code(code)
    assert is_valid_credit_code(code.lower())  # normalised before checking
    wrong = body + next(c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[-1])
    assert not is_valid_credit_code(wrong)
    assert not is_valid_credit_code(code[:17])  # too short
    assert not is_valid_credit_code("91141123MA0KXY31I")  # I is not in the GB 32100 alphabet
    assert is_valid_credit_code("91350100M000100Y43")  # a published example


def test_create_unit_normalises_the_credit_code_to_upper_case(app, users):
    code = valid_credit_code("12141123")
    unit, manager, initial = units.create_unit(users[Role.operator], facts(credit_code=code.lower()))
    assert unit.credit_code == code
    assert manager.role == Role.unit_manager and manager.unit_id == unit.id and not manager.is_activated
    assert initial
    assert "unit.create" in audit_actions()


# --- who sees which unit ----------------------------------------------------------------------------------


def test_finance_sees_only_units_in_its_region_subtree(client, login_as, users, make_unit, other_city):
    here = make_unit("兴县卫健局", "141123")
    elsewhere = make_unit("小店区教育局", "140105")
    login_as(users[Role.finance])
    assert client.get(f"/units/{here.id}").status_code == 200
    assert client.get(f"/units/{elsewhere.id}").status_code == 404
    page = client.get("/units/").get_data(as_text=True)
    assert here.code in page and elsewhere.code not in page
    # Choosing a region outside the subtree shows nothing rather than someone else's units.
    page = client.get(f"/units/?region={other_city.id}").get_data(as_text=True)
    assert elsewhere.code not in page


def test_unit_manager_sees_own_unit_and_subordinates_only(client, login_as, make_user, make_unit):
    top = make_unit("吕梁市卫健委")
    middle = make_unit("吕梁市人民医院", parent=top)
    bottom = make_unit("吕梁市人民医院食堂", parent=middle)
    sibling = make_unit("吕梁市公安局")
    login_as(make_user(Role.unit_manager, unit=middle))
    assert client.get(f"/units/{middle.id}").status_code == 200
    assert client.get(f"/units/{bottom.id}").status_code == 200
    assert client.get(f"/units/{top.id}").status_code == 404
    assert client.get(f"/units/{sibling.id}").status_code == 404
    page = client.get("/units/").get_data(as_text=True)
    assert middle.code in page and bottom.code in page
    assert top.code not in page.split("<tbody>")[1] and sibling.code not in page


def test_unit_page_lists_subordinates_and_accounts_with_masked_phones(
    client, login_as, users, make_unit, make_user
):
    top = make_unit("吕梁市教育局二")
    child = make_unit("吕梁市第一中学", parent=top)
    make_user(Role.unit_manager, "top_mgr", unit=top, phone="13812345678")
    login_as(users[Role.operator])
    page = client.get(f"/units/{top.id}").get_data(as_text=True)
    assert child.code in page and "top_mgr" in page
    assert "138****5678" in page and "13812345678" not in page


def test_purchaser_and_supplier_may_not_open_unit_pages(client, login_as, users):
    for role in (Role.purchaser, Role.supplier):
        login_as(users[role])
        assert client.get("/units/").status_code == 403
        assert client.get("/units/regions").status_code == 403
        client.post("/logout")
    login_as(users[Role.unit_manager])
    assert client.get("/units/regions").status_code == 403
    assert client.get("/units/new").status_code == 403


# --- registering one unit ---------------------------------------------------------------------------------


def test_create_unit_shows_the_manager_password_once(client, login_as, users):
    login_as(users[Role.finance])
    response = client.post("/units/new", data=form_data())
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert 'class="secret"' in response.get_data(as_text=True)
    unit = unit_by_code("B001")
    manager = db.session.scalar(select(User).where(User.username == "xx_edu"))
    assert unit.region.code == "141123" and manager.unit_id == unit.id and manager.role == Role.unit_manager


def test_create_unit_with_bad_credit_code_is_refused_and_nothing_created(client, login_as, users):
    login_as(users[Role.operator])
    client.post("/lang/en")
    before = counts()
    bad = valid_credit_code("11141123")[:17] + "I"
    response = client.post("/units/new", data=form_data(credit_code=bad, manager_phone="123"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f"The unified social credit code {bad} is not valid" in page
    assert "The phone number 123 is not valid." in page  # every field at fault is marked
    assert counts() == before


def test_create_unit_with_duplicate_code_is_refused_and_nothing_created(client, login_as, users, make_unit):
    existing = make_unit()
    login_as(users[Role.operator])
    client.post("/lang/en")
    before = counts()
    response = client.post("/units/new", data=form_data(code=existing.code.lower()))
    assert response.status_code == 400
    assert f"A budget unit with the code {existing.code} already exists." in response.get_data(as_text=True)
    assert counts() == before
    response = client.post("/units/new", data=form_data(credit_code=existing.credit_code))
    assert "unified social credit code" in response.get_data(as_text=True)
    assert counts() == before


def test_finance_may_not_register_a_unit_outside_its_subtree_or_at_a_province(app, users, other_city):
    with pytest.raises(UnitError) as outside:
        units.create_unit(users[Role.finance], facts(region_code="140105"))
    assert outside.value.field == "region_code"
    with pytest.raises(UnitError):
        units.create_unit(users[Role.operator], facts(region_code="140000"))


def test_supervising_unit_must_be_visible(app, users, make_unit, other_city):
    elsewhere = make_unit("太原市财政局", "140105")
    with pytest.raises(UnitError) as refused:
        units.create_unit(users[Role.finance], facts(parent_code=elsewhere.code))
    assert refused.value.field == "parent_code"
    unit, _manager, _initial = units.create_unit(users[Role.operator], facts(parent_code=elsewhere.code))
    assert unit.parent_id == elsewhere.id


# --- importing units --------------------------------------------------------------------------------------


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


def test_import_of_2000_rows_takes_a_few_queries_and_seconds(app, users, count_queries):
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for number in range(2000):
        parent = "" if number < 100 else f"H{number % 100:05d}"
        workbook.active.append(row(f"H{number:05d}", parent=parent, username=f"h_mgr_{number}"))
    buffer = io.BytesIO()
    workbook.save(buffer)
    sheet = read_sheet("units.xlsx", buffer.getvalue(), units.IMPORT_COLUMNS, 5000)
    started = time.perf_counter()
    with count_queries() as queries:
        created = units.import_units(users[Role.operator], sheet, "units.xlsx")
    elapsed = time.perf_counter() - started
    assert len(created) == 2000 and len({item.initial_password for item in created}) == 2000
    assert len(queries) < 40, len(queries)
    assert elapsed < 10
    assert (
        db.session.scalar(select(func.count(BudgetUnit.id)).where(BudgetUnit.parent_id.is_not(None))) == 1900
    )


# --- regions ----------------------------------------------------------------------------------------------


def test_operator_adds_regions_and_toggles_the_poverty_flag(client, login_as, users):
    login_as(users[Role.operator])
    response = client.post(
        "/units/regions",
        data={"code": "141125", "name": "柳林县", "level": "county", "parent_code": "141100"},
    )
    assert response.status_code == 302
    county = region("141125")
    assert county.parent.code == "141100" and not county.is_poverty_county
    assert client.post(f"/units/regions/{county.id}/poverty", data={"poverty": "1"}).status_code == 302
    db.session.expire_all()
    assert region("141125").is_poverty_county
    assert audit_actions()[-2:] == ["region.create", "region.poverty_flag"]
    # A county's parent must be a city; codes are unique; only counties carry the flag.
    before = db.session.scalar(select(func.count(Region.id)))
    for data in (
        {"code": "141126", "name": "X", "level": "county", "parent_code": "140000"},
        {"code": "141125", "name": "X", "level": "county", "parent_code": "141100"},
        {"code": "14112", "name": "X", "level": "county", "parent_code": "141100"},
    ):
        assert client.post("/units/regions", data=data).status_code == 400
    assert db.session.scalar(select(func.count(Region.id))) == before
    client.post(f"/units/regions/{region('141100').id}/poverty", data={"poverty": "1"})
    db.session.expire_all()
    assert not region("141100").is_poverty_county


def test_only_the_operator_changes_regions(client, login_as, users):
    login_as(users[Role.finance])
    assert client.get("/units/regions").status_code == 200
    assert (
        client.post("/units/regions", data={"code": "141199", "name": "X", "level": "county"}).status_code
        == 403
    )
    county = region("141102")
    assert client.post(f"/units/regions/{county.id}/poverty", data={"poverty": "1"}).status_code == 403
    with pytest.raises(UnitError):
        units.set_poverty_county(users[Role.finance], county, True)
    db.session.expire_all()
    assert not region("141102").is_poverty_county


def test_finance_sees_its_own_region_subtree(client, login_as, users, make_unit, other_city):
    make_unit(region_code="141123")
    login_as(users[Role.finance])
    page = client.get("/units/regions").get_data(as_text=True)
    assert 'data-code="141123"' in page and 'data-code="140105"' not in page
    assert 'data-code="140000"' not in page
    assert "units.create_region" not in page and "/poverty" not in page


# --- a constant number of queries -------------------------------------------------------------------------


def _query_count(client, url, count_queries) -> int:
    with count_queries() as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_unit_list_takes_the_same_queries_for_2_or_15_rows(
    client, login_as, users, make_unit, make_user, count_queries
):
    login_as(users[Role.finance])
    # The users fixture's unit and one more: 2 rows.
    make_user(Role.purchaser, unit=make_unit(parent=users[Role.unit_manager].unit))
    few = _query_count(client, "/units/", count_queries)
    for number in range(13):
        unit = make_unit(region_code="141124", parent=users[Role.unit_manager].unit)
        make_user(Role.unit_manager, unit=unit, activated=number % 2 == 0)
        make_user(Role.purchaser, unit=unit)
    many = _query_count(client, "/units/", count_queries)
    assert few == many
    assert _query_count(client, "/units/?supervising=1&manager=inactive&q=U", count_queries) <= many


def test_region_tree_takes_the_same_queries_for_few_or_many_regions(
    client, login_as, users, make_region, make_unit, count_queries
):
    login_as(users[Role.operator])
    few = _query_count(client, "/units/regions", count_queries)
    for number in range(10):
        county = make_region(f"1411{50 + number}", level=RegionLevel.county, parent=region("141100"))
        make_unit(region_code=county.code)
    assert _query_count(client, "/units/regions", count_queries) == few


# --- home panels ------------------------------------------------------------------------------------------


def test_home_panels_count_inactive_managers_and_subordinates(client, login_as, users, make_unit, make_user):
    unit = users[Role.unit_manager].unit
    pending = make_unit(region_code="141123", parent=unit)
    make_user(Role.unit_manager, unit=pending, activated=False)
    from accounts.units import queries
    from accounts.views.units import managers_not_activated, subordinate_units

    with client.application.test_request_context():
        # The users fixture's unit has an activated manager; the new one has none activated.
        assert managers_not_activated(users[Role.finance]).count == 1
        assert subordinate_units(users[Role.unit_manager]).count == 1
    assert queries.count_without_active_manager(users[Role.operator]) == 1
    with client.application.test_request_context():
        assert subordinate_units(make_user(Role.unit_manager, unit=pending)) is None  # supervises none
    login_as(users[Role.finance])
    page = client.get("/units/?manager=inactive").get_data(as_text=True).split("<tbody>")[1]
    assert unit.code not in page and pending.code not in page  # both have an activated manager now
