"""Arrears (issue 5, item 6): an order accepted but unpaid more than ARREARS_DAYS days after receipt is
overdue; the buying unit's managers, the finance bureau (by county) and the supplier see it; the lists page
with limit+1 and run a constant number of queries."""

from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.models import Role
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import OrderStatus
from shop.payments import arrears


@pytest.fixture
def days_ago(order_in):
    """``days_ago(n, status=received)``: an order whose goods were accepted ``n`` days (and an hour) ago."""

    def make(days, status=OrderStatus.received, purchaser=None, quantity=4):
        received = utcnow() - timedelta(days=days, hours=1)
        return order_in(
            status=status,
            placed_at=received - timedelta(days=3),
            received_at=received,
            purchaser=purchaser,
            quantity=quantity,
        )

    return make


def test_what_is_overdue(users, days_ago, pay, order_in):
    late, closed_late = days_ago(31), days_ago(45, OrderStatus.closed)
    days_ago(29)  # not yet
    pay(days_ago(60))  # paid
    days_ago(60, OrderStatus.shipped)  # not accepted
    days_ago(60, OrderStatus.cancelled)
    page = arrears.overdue_orders(users[Role.unit_manager], now=utcnow(), days=30)
    assert [row.order.number for row in page.rows] == [closed_late.number, late.number]  # oldest first
    assert [row.age_days for row in page.rows] == [45, 31]
    assert all(row.overdue for row in page.rows)
    # The number of days is configuration.
    assert len(arrears.overdue_orders(users[Role.unit_manager], now=utcnow(), days=20).rows) == 3


def test_arrears_are_seen_by_the_unit_the_finance_bureau_and_the_operator_only(
    users, days_ago, make_user, make_unit, make_region, make_supplier
):
    late = days_ago(40)
    now = utcnow()
    for role in (Role.purchaser, Role.unit_manager, Role.finance, Role.operator):
        assert [row.order for row in arrears.overdue_orders(users[role], now=now, days=30).rows] == [late]
    outsiders = [
        make_user(Role.unit_manager, unit=make_unit("别的单位")),
        make_user(Role.finance, region=make_region()),
        make_user(Role.supplier, supplier=make_supplier()),
    ]
    for user in outsiders:
        assert arrears.overdue_orders(user, now=now, days=30).rows == []


def test_the_supervising_units_manager_sees_its_units_arrears(users, days_ago, make_unit, make_user):
    parent = make_unit("主管部门")
    users[Role.purchaser].unit.parent = parent
    db.session.commit()
    late = days_ago(40)
    manager = make_user(Role.unit_manager, unit=parent)
    assert [row.order for row in arrears.overdue_orders(manager, now=utcnow(), days=30).rows] == [late]


def test_the_unit_managers_home_and_list(client, login_as, users, days_ago):
    late = days_ago(35)
    fresh = days_ago(3)
    login_as(users[Role.unit_manager])
    home = client.get("/").get_data(as_text=True)
    # The overdue panel names the supplier too (the "orders to evaluate" panel lists both orders).
    supplier = late.supplier.name
    assert (
        f"{late.number} · ¥50.00 · {supplier}" in home and f"{fresh.number} · ¥50.00 · {supplier}" not in home
    )
    page = client.get("/payments/arrears").get_data(as_text=True)
    assert (
        late.number in page
        and fresh.number not in page
        and ">35<" in page.replace("<strong>", "").replace("</strong>", "")
    )


def test_the_finance_bureau_filters_by_county(client, login_as, users, days_ago, make_unit, make_user):
    city_unit_order = days_ago(40)
    county_buyer = make_user(Role.purchaser, unit=make_unit("兴县教育局", region_code="141123"))
    county_order = days_ago(50, purchaser=county_buyer)
    login_as(users[Role.finance])
    page = client.get("/payments/arrears").get_data(as_text=True)
    assert city_unit_order.number in page and county_order.number in page
    assert '<option value="141123"' in page
    page = client.get("/payments/arrears?county=141123").get_data(as_text=True)
    assert county_order.number in page and city_unit_order.number not in page
    assert "兴县教育局" in page
    # A county outside its region is not its to choose.
    assert client.get("/payments/arrears?county=999999").status_code == 404


def test_the_arrears_list_pages_with_limit_plus_one(client, login_as, app, users, days_ago, monkeypatch):
    orders = [days_ago(31 + n) for n in range(5)]
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    login_as(users[Role.finance])
    seen, url = [], "/payments/arrears"
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += sorted((order.number for order in orders if order.number in page), key=page.index)
        marker = 'href="/payments/arrears?after='
        url = (
            page[page.index(marker) + 6 : page.index('"', page.index(marker) + 6)] if marker in page else None
        )
        url = url.replace("&amp;", "&") if url else None
    assert seen == [order.number for order in reversed(orders)]


def test_the_supplier_sees_what_it_is_owed(client, login_as, seller, days_ago, pay):
    late, recent = days_ago(40, quantity=4), days_ago(5, quantity=2)
    pay(days_ago(50))
    owed = arrears.owed_to(seller.supplier_id, now=utcnow(), days=30)
    assert (owed.count, owed.total, owed.overdue_count, owed.overdue_total) == (
        2,
        Decimal("75.00"),
        1,
        Decimal("50.00"),
    )
    login_as(seller)
    home = client.get("/").get_data(as_text=True)
    assert "¥75.00" in home and "¥50.00" in home and "/payments/owed" in home
    page = client.get("/payments/owed").get_data(as_text=True)
    assert late.number in page and recent.number in page
    page = client.get("/payments/owed?overdue=1").get_data(as_text=True)
    assert late.number in page and recent.number not in page


def test_nothing_owed_is_zero(seller):
    owed = arrears.owed_to(seller.supplier_id, now=utcnow(), days=30)
    assert (owed.count, owed.total, owed.overdue_count, owed.overdue_total) == (
        0,
        Decimal("0.00"),
        0,
        Decimal("0.00"),
    )


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.finance, "/payments/arrears"),
        (Role.finance, "/payments/arrears?county=141102"),
        (Role.unit_manager, "/payments/arrears"),
        (Role.operator, "/payments/arrears"),
        (Role.supplier, "/payments/owed"),
        (Role.supplier, "/"),
        (Role.unit_manager, "/"),
    ],
)
def test_the_lists_run_a_constant_number_of_queries(
    client, login_as, users, days_ago, make_unit, make_user, count_queries, role, path
):
    # The demo unit's purchaser first: every viewer sees rows on both counts.
    buyers = [users[Role.purchaser]] + [
        make_user(Role.purchaser, unit=make_unit(region_code="141102")) for _ in range(3)
    ]

    def orders(n):
        for index in range(n):
            days_ago(31 + index, purchaser=buyers[index % len(buyers)])

    def queries():
        with count_queries() as statements:
            assert client.get(path).status_code == 200
        return len(statements)

    login_as(users[role])
    orders(2)
    few = queries()
    orders(13)
    assert queries() == few
