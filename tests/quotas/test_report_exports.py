"""Every report table exports to CSV and XLSX (Chinese headers, numbers as numbers), and the CLI writes
the report of a year as CSV, XLSX or JSON."""

import csv
import io
import json
from decimal import Decimal

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from accounts.models import Role
from quotas.exports import Column, Sheet, csv_bytes, xlsx_bytes
from quotas.reports import columns as cols
from tests.quotas.test_reports import TODAY, build_world

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(users, make_unit, make_user, make_product, make_order, pay, make_policy, make_filing):
    return build_world(users, make_unit, make_user, make_product, make_order, pay, make_policy, make_filing)


def chinese(columns) -> list[str]:
    with force_locale("zh"):
        return [str(column.header) for column in columns]


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith("\ufeff".encode())  # Excel reads it as UTF-8
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_city_table_as_csv(world, users, login_as):
    client = login_as(users[Role.finance])
    client.post("/lang/en")  # the file's headers stay Chinese whatever the interface language
    response = client.get("/reports/region/141100?year=2025&format=csv&sort=purchased&dir=desc")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert ".csv" in response.headers["Content-Disposition"]
    rows = read_csv(response)
    columns = cols.export_columns(unit_level=False)
    assert rows[0] == chinese(columns)
    assert [row[0] for row in rows[1:]] == [world.education.code, "141123", "141102", "141124", ""]
    total = dict(zip([column.key for column in columns], rows[-1], strict=True))
    assert Decimal(total["reserved"]) == Decimal("44000.00")
    assert Decimal(total["completion_aggregate"]) == Decimal("0.9455")
    assert int(total["units"]) == 6


def test_the_city_table_as_xlsx_has_number_cells(world, users, login_as):
    response = login_as(users[Role.finance]).get("/reports/region/141100?year=2025&format=xlsx")
    assert response.status_code == 200 and response.mimetype == XLSX
    sheet = load_workbook(io.BytesIO(response.get_data())).worksheets[0]
    columns = cols.export_columns(unit_level=False)
    header = [cell.value for cell in sheet[1]]
    assert header == chinese(columns)
    at = {column.key: index for index, column in enumerate(columns)}
    last = list(sheet.iter_rows(min_row=sheet.max_row, max_row=sheet.max_row))[0]
    assert last[at["reserved"]].value == 44000 and last[at["reserved"]].number_format == "#,##0.00"
    assert last[at["ratio_aggregate"]].value == pytest.approx(0.2588)
    assert last[at["ratio_aggregate"]].number_format == "0.00%"
    assert isinstance(last[at["units"]].value, int)
    assert sheet.freeze_panes == "A2"


@pytest.mark.parametrize(
    "path",
    [
        "/reports/region/141123?year=2025",
        "/reports/unit/{bureau}?year=2025",
        "/reports/unit/{school}/orders?year=2025",
        "/reports/region/141100/grades?year=2025",
        "/reports/region/141100/grades?year=2025&table=units",
        "/reports/unit/{bureau}/grades?year=2025",
        "/reports/region/141100/suppliers?year=2025",
        "/reports/region/141100/suppliers?year=2025&table=counties",
        "/reports/unit/{bureau}/suppliers?year=2025",
    ],
)
def test_every_level_and_table_exports(path, world, users, login_as):
    client = login_as(users[Role.finance])
    url = path.format(bureau=world.county_bureau.id, school=world.county_school.id)
    page = client.get(url)
    assert page.status_code == 200
    assert "format=csv" in page.get_data(as_text=True)
    glue = "&"
    as_csv = client.get(f"{url}{glue}format=csv")
    assert as_csv.status_code == 200 and len(read_csv(as_csv)) >= 2
    as_xlsx = client.get(f"{url}{glue}format=xlsx")
    assert as_xlsx.status_code == 200
    assert load_workbook(io.BytesIO(as_xlsx.get_data())).worksheets[0].max_row >= 2


def test_the_orders_export_lists_the_counted_entries(world, users, login_as):
    client = login_as(users[Role.finance])
    rows = read_csv(client.get(f"/reports/unit/{world.education.id}/orders?year=2025&format=csv"))
    amounts = sorted(Decimal(row[-1]) for row in rows[1:])
    assert amounts == [Decimal("-1000.00"), Decimal("14000.00"), Decimal("20000.00")]


def test_the_supplier_figures(world, users, login_as):
    rows = read_csv(
        login_as(users[Role.finance]).get("/reports/region/141100/suppliers?year=2025&format=csv")
    )
    assert len(rows) == 2  # one supplier sold everything
    by_key = dict(zip([column.key for column in cols.SUPPLIERS], rows[1], strict=True))
    assert Decimal(by_key["amount"]) == Decimal("42600.00") and by_key["county_code"] == "141123"
    assert int(by_key["orders"]) == 5 and int(by_key["households"]) == 12


def test_exports_write_numbers_and_empty_cells():
    columns = [Column("name", "名称"), Column("amount", "金额", "money"), Column("share", "比例", "ratio")]

    class Row:
        def __init__(self, name, amount, share):
            self.name, self.amount, self.share = name, amount, share

    sheet = Sheet("表", columns, [Row("甲", Decimal("1234.50"), Decimal("0.9820")), Row("乙", None, None)])
    text = csv_bytes(sheet).decode("utf-8-sig").splitlines()
    assert text == ["名称,金额,比例", "甲,1234.50,0.9820", "乙,,"]
    book = load_workbook(io.BytesIO(xlsx_bytes([sheet])))
    values = [[cell.value for cell in row] for row in book["表"].iter_rows()]
    assert values == [["名称", "金额", "比例"], ["甲", 1234.5, 0.982], ["乙", None, None]]


def test_the_cli_report_as_json(app, world):
    result = app.test_cli_runner().invoke(
        args=[
            "quotas",
            "report",
            "--year",
            "2025",
            "--region",
            "141100",
            "--format",
            "json",
            "--today",
            TODAY.isoformat(),
        ]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["region"]["code"] == "141100"
    assert data["summary"]["reserved"] == "44000.00"
    assert data["summary"]["completion_mean"] == "0.8333"
    assert data["summary"]["arrears_count"] == 2
    assert [row["code"] for row in data["rows"]] == ["141102", "141123", "141124", world.education.code]


def test_the_cli_report_as_csv_and_xlsx(app, world, tmp_path):
    runner = app.test_cli_runner()
    as_csv = runner.invoke(args=["quotas", "report", "--year", "2025"])
    assert as_csv.exit_code == 0, as_csv.output
    lines = list(csv.reader(io.StringIO(as_csv.output.lstrip("\ufeff"))))
    assert lines[0] == chinese(cols.export_columns(unit_level=False))
    assert [line[0] for line in lines[1:]] == ["140000", ""]
    target = tmp_path / "report.xlsx"
    as_xlsx = runner.invoke(
        args=[
            "quotas",
            "report",
            "--year",
            "2025",
            "--region",
            "141123",
            "--format",
            "xlsx",
            "-o",
            str(target),
        ]
    )
    assert as_xlsx.exit_code == 0, as_xlsx.output
    sheet = load_workbook(target).worksheets[0]
    assert sheet.max_row == 3  # the county bureau with its schools, the total... and the header


def test_the_cli_refuses_an_unknown_region(app):
    result = app.test_cli_runner().invoke(args=["quotas", "report", "--year", "2025", "--region", "999999"])
    assert result.exit_code != 0 and "999999" in result.output


def test_names_never_become_formulas():
    columns = [Column("name", "名称"), Column("amount", "金额", "money")]

    class Row:
        name, amount = '=HYPERLINK("http://evil","点我")', Decimal("-5.00")

    sheet = Sheet("表", columns, [Row()])
    assert (
        csv_bytes(sheet).decode("utf-8-sig").splitlines()[1]
        == '"\'=HYPERLINK(""http://evil"",""点我"")",-5.00'
    )
    cell = load_workbook(io.BytesIO(xlsx_bytes([sheet])))["表"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
