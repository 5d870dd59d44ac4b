"""The finance report: its figures (both kinds of ratio), rows and drill-down, who may see which level, and a
cost that does not grow with the number of units."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import BudgetUnit, Region, Role, User
from quotas.models import CanteenStatus
from quotas.reports import summarise, summarise_unit
from shop.aftersales.models import Refund
from shop.extensions import db
from shop.orders.models import Order, OrderStatus
from shop.payments.services import settle_refund

YEAR = 2025
#: "Today" of the report: arrears' ages count from here.
TODAY = date(2026, 2, 1)


def region(code: str) -> Region:
    return db.session.scalar(select(Region).where(Region.code == code))


@dataclass
class World:
    education: BudgetUnit  # 吕梁市教育局 (city level, supervises school)
    school: BudgetUnit  # city level, under education
    county_bureau: BudgetUnit  # 兴县, no canteen, supervises county_school and unfiled
    county_school: BudgetUnit
    unfiled: BudgetUnit
    shared: BudgetUnit  # 临县, shares county_bureau's canteen
    buyers: dict
    supplier_user: User


def build_world(users, make_unit, make_user, make_product, make_order, pay, make_policy, make_filing):
    """Six units of the small city with a year of filings and payments (see the figures asserted below)."""
    education = users[Role.purchaser].unit
    school = make_unit("吕梁市第一中学", parent=education)
    county_bureau = make_unit("兴县教育局", region_code="141123")
    county_school = make_unit("兴县第一小学", region_code="141123", parent=county_bureau)
    unfiled = make_unit("兴县第二小学", region_code="141123", parent=county_bureau)
    shared = make_unit("临县幼儿园", region_code="141124")
    buyers = {education.id: users[Role.purchaser]}
    for unit in (school, county_bureau, county_school, unfiled, shared):
        buyers[unit.id] = make_user(Role.purchaser, unit=unit)
    make_policy(YEAR, min_ratio="0.25")
    make_filing(education, YEAR, planned="100000.00", reserved="30000.00")
    make_filing(school, YEAR, planned="50000.00", reserved="10000.00", canteen=CanteenStatus.outsourced)
    make_filing(county_bureau, YEAR, planned="0.00", reserved="0.00", canteen=CanteenStatus.none)
    make_filing(county_school, YEAR, planned="20000.00", reserved="4000.00")
    make_filing(
        shared, YEAR, planned="0.00", reserved="0.00", canteen=CanteenStatus.shared, shared_with=county_bureau
    )
    product = make_product(price="100.00")
    supplier_user = make_user(Role.supplier, supplier=product.supplier)

    def bought(unit, amount: str, paid_on=date(YEAR, 3, 10)):
        order = make_order(
            {product: int(Decimal(amount) / 100)},
            purchaser=buyers[unit.id],
            status=OrderStatus.received,
            placed_at=datetime(YEAR, 3, 1),
        )
        pay(order, paid_on=paid_on)
        return order

    first = bought(education, "20000.00")
    bought(education, "14000.00", paid_on=date(YEAR, 9, 1))
    bought(school, "5000.00")
    bought(county_bureau, "1000.00")
    bought(county_school, "3600.00")
    # A settled refund of 1,000 brings the education bureau from 34,000 to 33,000.
    refund = Refund(order=first, amount=Decimal("1000.00"), reason="退货")
    db.session.add(refund)
    db.session.commit()
    settle_refund(
        refund,
        supplier_user,
        reference="RF-1",
        amount="1000.00",
        settled_on=date(YEAR, 4, 1),
        today=date(YEAR, 4, 1),
    )
    db.session.commit()
    # Arrears of the unfiled school: received 53 and 123 days before TODAY, and one too recent to count.
    for received in (datetime(2025, 12, 10, 2), datetime(2025, 10, 1, 2), datetime(2026, 1, 25, 2)):
        order = make_order(
            {product: 3}, purchaser=buyers[unfiled.id], status=OrderStatus.received, placed_at=received
        )
        order.received_at = received
    db.session.commit()
    return World(education, school, county_bureau, county_school, unfiled, shared, buyers, supplier_user)


@pytest.fixture
def world(users, make_unit, make_user, make_product, make_order, pay, make_policy, make_filing):
    return build_world(users, make_unit, make_user, make_product, make_order, pay, make_policy, make_filing)


# --- the figures -------------------------------------------------------------------------------------------


def test_city_figures_show_both_kinds_of_ratio(world):
    summary = summarise(YEAR, region("141100"), today=TODAY)
    assert summary.units == 6
    assert (summary.units_opened, summary.units_activated) == (1, 1)  # only the education bureau's manager
    assert (summary.purchasers_opened, summary.purchasers_activated) == (6, 6)
    assert (summary.must_file, summary.filed, summary.not_filed) == (4, 3, 1)
    assert (summary.no_canteen, summary.shared) == (1, 1)
    assert summary.planned == Decimal("170000.00")
    assert summary.reserved == Decimal("44000.00")
    assert summary.ratio_aggregate == Decimal("0.2588")  # 44,000 / 170,000
    assert summary.ratio_mean == Decimal("0.2333")  # (30 % + 20 % + 20 %) / 3
    assert summary.below_minimum == 2  # 20 % < 25 %
    assert summary.purchased == Decimal("42600.00")  # every unit's ledger, the no-canteen one too
    assert summary.completion_aggregate == Decimal("0.9455")  # 41,600 / 44,000
    assert summary.completion_mean == Decimal("0.8333")  # (110 % + 50 % + 90 %) / 3
    assert summary.share_purchased == Decimal("0.2447")  # 41,600 / 170,000
    assert summary.at_or_above_target == 1
    assert summary.reserved_but_nothing == 0
    assert summary.behind_schedule == 2  # a past year: the schedule is the reserved amount
    assert summary.projection == Decimal("42600.00")
    assert summary.grade == "B"
    assert summary.grades == {"A+": 0, "A": 1, "B": 1, "C": 0, "D": 0, "F": 1}
    assert summary.monthly[2] == Decimal("29600.00") and summary.monthly[3] == Decimal("-1000.00")
    assert summary.monthly[8] == Decimal("14000.00")


def test_arrears_are_received_unpaid_orders_with_their_age(world):
    summary = summarise(YEAR, region("141100"), today=TODAY, arrears_days=30)
    assert summary.arrears_count == 2
    assert summary.arrears_amount == Decimal("600.00")
    assert summary.arrears_buckets == [(1, Decimal("300.00")), (0, Decimal("0.00")), (1, Decimal("300.00"))]
    assert summary.arrears_oldest_days == 123


def test_city_rows_are_its_counties_then_its_own_units(world):
    summary = summarise(YEAR, region("141100"), today=TODAY)
    assert [(row.kind, row.code) for row in summary.rows] == [
        ("region", "141102"),
        ("region", "141123"),
        ("region", "141124"),
        ("unit", world.education.code),
    ]
    empty, xing, lin, education = summary.rows
    assert empty.units == 0 and empty.completion_aggregate is None
    assert (
        xing.units == 3
        and xing.purchased == Decimal("4600.00")
        and xing.completion_aggregate == Decimal("0.9")
    )
    assert xing.is_poverty_county and xing.arrears_count == 2
    assert lin.shared == 1
    assert education.units == 2 and education.completion_aggregate == Decimal("0.95")
    assert education.line is None  # two units: no single unit's filing to show


def test_a_supervising_unit_has_its_own_row_and_one_per_subordinate(world):
    summary = summarise_unit(YEAR, world.county_bureau, today=TODAY)
    assert [(row.kind, row.code) for row in summary.rows] == [
        ("self", world.county_bureau.code),
        ("unit", world.county_school.code),
        ("unit", world.unfiled.code),
    ]
    own, school, unfiled = summary.rows
    assert own.canteen == CanteenStatus.none and own.purchased == Decimal("1000.00")
    assert school.min_ratio == Decimal("0.25") and school.line.completion == Decimal("0.9")
    assert school.grade == "B" and school.line.share_purchased == Decimal("0.18")
    assert unfiled.not_filed == 1 and unfiled.filing_status is None


def test_the_platform_report_has_the_top_regions_as_rows(world):
    summary = summarise(YEAR, None, today=TODAY)
    assert [row.code for row in summary.rows] == ["140000"]
    assert summary.rows[0].purchased == summary.purchased == Decimal("42600.00")


def test_current_year_schedule_and_projection(users, make_product, make_order, pay, make_filing):
    unit = users[Role.purchaser].unit
    make_filing(unit, 2026, planned="40000.00", reserved="10000.00")
    product = make_product(price="1000.00")
    pay(make_order({product: 4}, placed_at=datetime(2026, 1, 5)), paid_on=date(2026, 2, 1))
    summary = summarise(2026, None, today=date(2026, 7, 2))  # day 183 of 365
    assert summary.schedule == Decimal("5013.70")
    assert summary.behind_schedule == 1
    assert summary.projection == Decimal("7978.14")
    ahead = summarise(2026, None, today=date(2026, 2, 10))
    assert ahead.behind_schedule == 0 and ahead.projection == Decimal("35609.76")  # 4,000 × 365 / 41


def test_summarise_costs_the_same_for_2_and_15_units(users, make_unit, make_filing, count_queries):
    def grow(count):
        for _ in range(count):
            unit = make_unit(region_code="141123")
            make_filing(unit, YEAR)

    grow(2)
    with count_queries() as few:
        summarise(YEAR, region("141100"), today=TODAY)
    grow(13)
    with count_queries() as many:
        summary = summarise(YEAR, region("141100"), today=TODAY)
    assert summary.units == 16
    assert len(many) == len(few) <= 12


# --- pages and who sees them -------------------------------------------------------------------------------


def codes_in(page: str) -> list[str]:
    import re

    return re.findall(r'data-code="([^"]+)"', page)


def test_finance_drills_down_from_city_to_orders(world, users, login_as):
    client = login_as(users[Role.finance])
    response = client.get("/reports/?year=2025")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        "/reports/region/141100?year=2025"
    )
    city = client.get("/reports/region/141100?year=2025").get_data(as_text=True)
    assert world.education.code in codes_in(city) and "141123" in codes_in(city)
    assert "<svg" in city and "/reports/region/141123?year=2025" in city
    county = client.get("/reports/region/141123?year=2025")
    assert county.status_code == 200
    assert codes_in(county.get_data(as_text=True))[:1] == [world.county_bureau.code]
    bureau = client.get(f"/reports/unit/{world.county_bureau.id}?year=2025").get_data(as_text=True)
    assert world.county_school.code in codes_in(bureau)
    assert "兴县" in bureau and "吕梁市" in bureau  # the breadcrumb
    orders = client.get(f"/reports/unit/{world.county_school.id}/orders?year=2025")
    assert orders.status_code == 200
    number = db.session.scalar(select(Order.number).where(Order.unit_id == world.county_school.id))
    assert number in orders.get_data(as_text=True)
    for view in ("grades", "suppliers"):
        assert client.get(f"/reports/region/141100/{view}?year=2025").status_code == 200
        assert client.get(f"/reports/unit/{world.county_bureau.id}/{view}?year=2025").status_code == 200


def test_rows_sort_by_any_column(world, users, login_as):
    client = login_as(users[Role.finance])
    page = client.get("/reports/region/141100?year=2025&sort=purchased&dir=desc").get_data(as_text=True)
    # Equal amounts keep the table's own order.
    assert codes_in(page)[:4] == [world.education.code, "141123", "141102", "141124"]
    ascending = client.get("/reports/region/141100?year=2025&sort=name&dir=asc")
    assert ascending.status_code == 200
    assert client.get("/reports/region/141100?year=2025&sort=nonsense").status_code == 200


def test_a_county_bureau_sees_only_its_county(world, make_user, login_as):
    client = login_as(make_user(Role.finance, region=region("141123")))
    assert client.get("/reports/region/141123?year=2025").status_code == 200
    assert client.get(f"/reports/unit/{world.county_school.id}?year=2025").status_code == 200
    assert client.get("/reports/region/141100?year=2025").status_code == 404
    assert client.get("/reports/all?year=2025").status_code == 404
    assert client.get(f"/reports/unit/{world.shared.id}?year=2025").status_code == 404
    assert client.get(f"/reports/unit/{world.education.id}/orders?year=2025").status_code == 404


def test_a_supervising_unit_manager_sees_its_subtree(world, users, make_user, login_as):
    client = login_as(make_user(Role.unit_manager, unit=world.county_bureau))
    response = client.get("/reports/")
    assert response.headers["Location"].endswith(f"/reports/unit/{world.county_bureau.id}")
    assert client.get(f"/reports/unit/{world.county_school.id}?year=2025").status_code == 200
    assert client.get(f"/reports/unit/{world.county_school.id}/orders?year=2025").status_code == 200
    assert client.get(f"/reports/unit/{world.education.id}?year=2025").status_code == 404
    assert client.get("/reports/region/141123?year=2025").status_code == 404
    assert client.get("/reports/all").status_code == 404


def test_a_unit_manager_without_subordinates_goes_to_its_own_page(world, make_user, login_as):
    client = login_as(make_user(Role.unit_manager, unit=world.county_school))
    assert client.get("/reports/").headers["Location"].endswith("/completion/")
    assert client.get(f"/reports/unit/{world.county_school.id}").status_code == 404


@pytest.mark.parametrize("role", [Role.purchaser, Role.supplier])
def test_other_roles_are_refused(role, world, users, login_as):
    client = login_as(users[role])
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/region/141100").status_code == 403


def test_the_operator_starts_at_the_whole_platform(world, users, login_as):
    client = login_as(users[Role.operator])
    assert client.get("/reports/").headers["Location"].endswith("/reports/all")
    page = client.get("/reports/all?year=2025")
    assert page.status_code == 200 and "140000" in codes_in(page.get_data(as_text=True))


def test_a_year_out_of_range_answers_404(users, login_as):
    client = login_as(users[Role.finance])
    assert client.get("/reports/region/141100?year=1999").status_code == 404
    assert client.get("/reports/region/141100?format=pdf").status_code == 400


def test_report_pages_cost_the_same_for_2_and_15_units(
    users, make_unit, make_user, make_filing, make_product, make_order, pay, login_as, count_queries
):
    client = login_as(users[Role.finance])
    bureau = make_unit("兴县教育局", region_code="141123")
    product = make_product()

    def grow(count):
        """Units that filed and bought: every figure of the pages has more rows behind it."""
        for _ in range(count):
            unit = make_unit(region_code="141123", parent=bureau)
            make_filing(unit, YEAR)
            order = make_order(
                {product: 2},
                purchaser=make_user(Role.purchaser, unit=unit),
                status=OrderStatus.received,
                placed_at=datetime(YEAR, 5, 1),
            )
            pay(order, paid_on=date(YEAR, 5, 2))

    pages = [
        "/reports/region/141100?year=2025",
        f"/reports/unit/{bureau.id}?year=2025",
        "/reports/region/141123/grades?year=2025",
        "/reports/region/141123/suppliers?year=2025",
        f"/reports/unit/{bureau.id}/orders?year=2025",
    ]
    grow(2)
    few = {}
    for page in pages:
        client.get(page)
        with count_queries() as queries:
            assert client.get(page).status_code == 200
        few[page] = len(queries)
    grow(13)
    for page in pages:
        with count_queries() as queries:
            assert client.get(page).status_code == 200
        assert len(queries) == few[page], page
