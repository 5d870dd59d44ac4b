"""A unit's own page: its reserved share, counted purchases, completion, share against its target, the
schedule, the orders that counted and its past years; for its manager and purchasers only."""

import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from quotas.models import FilingStatus
from quotas.reports.unit_year import past_years, unit_year
from shop.orders.models import OrderStatus


@pytest.fixture
def bought(users, make_product, make_order, pay):
    """``bought(amount, paid_on)``: an order of the users' unit for ``amount`` yuan, paid."""
    product = make_product(price="100.00")

    def buy(amount: str, paid_on: date, purchaser=None):
        order = make_order(
            {product: int(Decimal(amount) / 100)},
            purchaser=purchaser or users[Role.purchaser],
            status=OrderStatus.received,
            placed_at=datetime(paid_on.year, paid_on.month, 1),
        )
        pay(order, paid_on=paid_on)
        return order

    return buy


def test_the_unit_year_figures(users, make_policy, make_filing, bought):
    unit = users[Role.purchaser].unit
    make_policy(2025, min_ratio="0.20")
    make_filing(unit, 2025, planned="100000.00", reserved="25000.00")
    bought("10000.00", date(2025, 2, 3))
    bought("5000.00", date(2025, 4, 9))
    figures = unit_year(unit, 2025, date(2025, 6, 30))  # day 181 of 365
    assert figures.reserved == Decimal("25000.00") and figures.purchased == Decimal("15000.00")
    assert figures.remaining == Decimal("10000.00")
    assert figures.completion == Decimal("0.6")
    assert figures.share_purchased == Decimal("0.15") and figures.target_ratio == Decimal("0.25")
    assert figures.min_ratio == Decimal("0.20") and figures.policy.source.code == "141100"
    assert figures.schedule == Decimal("12397.26")  # 25,000 × 181 / 365
    assert not figures.behind
    assert figures.projection == Decimal("30248.62")
    assert [point.purchased for point in figures.months[:4]] == [
        Decimal("0.00"),
        Decimal("10000.00"),
        Decimal("0.00"),
        Decimal("5000.00"),
    ]
    assert figures.months[3].cumulative == Decimal("15000.00")
    assert figures.months[11].schedule == Decimal("25000.00")
    assert [point.begun for point in figures.months].count(True) == 6


def test_without_a_filing_nothing_is_reserved_but_purchases_count(users, bought):
    bought("300.00", date(2025, 3, 3))
    figures = unit_year(users[Role.purchaser].unit, 2025, date(2026, 1, 5))
    assert figures.filing is None and figures.reserved == 0
    assert figures.purchased == Decimal("300.00") and figures.completion is None and not figures.behind
    assert figures.min_ratio == Decimal("0.10")  # the national default


def test_past_years_take_the_filing_that_counts(users, make_filing, bought):
    unit = users[Role.purchaser].unit
    make_filing(unit, 2023, reserved="1000.00")
    make_filing(unit, 2024, reserved="2000.00")
    make_filing(unit, 2024, reserved="9000.00", status=FilingStatus.submitted)  # newer, not yet approved
    make_filing(unit, 2024, reserved="5000.00", status=FilingStatus.draft)
    bought("2400.00", date(2024, 5, 5))
    bought("100.00", date(2025, 5, 5))
    past = past_years(unit, 2025)
    assert [(year.year, year.reserved, year.purchased, year.grade) for year in past] == [
        (2024, Decimal("2000.00"), Decimal("2400.00"), "A+"),
        (2023, Decimal("1000.00"), Decimal("0.00"), "F"),
    ]


@pytest.mark.parametrize("role", [Role.unit_manager, Role.purchaser])
def test_the_unit_page_for_its_manager_and_purchasers(role, users, make_filing, bought, login_as):
    unit = users[Role.purchaser].unit
    make_filing(unit, 2025, planned="10000.00", reserved="3000.00")
    order = bought("1500.00", date(2025, 8, 8))
    client = login_as(users[role])
    client.post("/lang/en")
    page = client.get("/completion/?year=2025")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert order.number in html
    assert "¥1,500.00" in html and "50.0%" in html  # counted, and completion
    assert "<svg" in html and "<progress" in html
    export = client.get("/completion/?year=2025&format=csv")
    assert export.status_code == 200 and order.number in export.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.finance, Role.operator, Role.supplier])
def test_other_roles_have_no_unit_page(role, users, login_as):
    assert login_as(users[role]).get("/completion/").status_code == 403


def test_a_purchaser_of_another_unit_sees_its_own_unit_only(users, make_unit, make_user, bought, login_as):
    other = make_user(Role.purchaser, unit=make_unit("另一个单位"))
    mine = bought("200.00", date(2025, 8, 8))
    html = login_as(other).get("/completion/?year=2025").get_data(as_text=True)
    assert "另一个单位" in html and mine.number not in html


def test_the_orders_are_paged(users, bought, login_as, app):
    app.config["PAGE_SIZE"], size = 2, app.config["PAGE_SIZE"]
    try:
        numbers = [bought("100.00", date(2025, 3, day)).number for day in (1, 2, 3)]
        client = login_as(users[Role.unit_manager])
        first = client.get("/completion/?year=2025").get_data(as_text=True)
        assert numbers[2] in first and numbers[1] in first and numbers[0] not in first
        following = re.search(r'href="([^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
        assert numbers[0] in client.get(following).get_data(as_text=True)
    finally:
        app.config["PAGE_SIZE"] = size


def test_the_home_page_shows_completion(users, make_filing, login_as):
    make_filing(users[Role.purchaser].unit, date.today().year, reserved="1000.00")
    client = login_as(users[Role.purchaser])
    assert "/completion/" in client.get("/").get_data(as_text=True)


def test_the_unit_page_costs_the_same_for_2_and_15_orders(
    users, make_filing, bought, login_as, count_queries
):
    make_filing(users[Role.purchaser].unit, 2025, reserved="3000.00")
    make_filing(users[Role.purchaser].unit, 2024, reserved="3000.00")
    client = login_as(users[Role.unit_manager])
    for day in (1, 2):
        bought("100.00", date(2025, 3, day))
    client.get("/completion/?year=2025")
    with count_queries() as few:
        assert client.get("/completion/?year=2025").status_code == 200
    for day in range(3, 16):
        bought("100.00", date(2025, day % 12 + 1, 1))
    with count_queries() as many:
        assert client.get("/completion/?year=2025").status_code == 200
    assert len(many) == len(few)
