"""The supplier's figures: sales by month, top products and buyers' regions, on known data."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accounts.models import Role
from shop.extensions import db
from shop.orders.dashboard import buyer_regions, last_months, sales_by_month, top_products
from shop.orders.models import OrderStatus

S = OrderStatus
TODAY = date(2026, 11, 15)


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def known(users, seller, make_product, make_order, make_unit, make_user):
    """Orders of the seller (and one of another supplier) at known dates, statuses and units."""
    rice = make_product(supplier=seller.supplier, name="大米", price="10.00")
    millet = make_product(supplier=seller.supplier, name="小米", price="3.00")
    county_buyer = make_user(Role.purchaser, unit=make_unit("兴县第一中学", region_code="141123"))
    city_buyer = users[Role.purchaser]  # 吕梁市教育局, in the city itself

    def order(lines, placed_at, status=S.placed, purchaser=city_buyer):
        made = make_order(lines, purchaser=purchaser, status=status)
        made.placed_at = placed_at
        return made

    order({rice: 2}, datetime(2026, 11, 2, 3))
    order({millet: 5}, datetime(2026, 10, 5), S.received, county_buyer)
    order({rice: 1, millet: 1}, datetime(2026, 10, 6), S.closed, county_buyer)
    order({rice: 4}, datetime(2026, 9, 1), S.cancelled)  # cancelled: not counted
    order({rice: 100}, datetime(2025, 11, 30, 23), S.closed)  # before the 12 months
    order({millet: 1}, datetime(2025, 12, 1), S.shipped)  # the first of the 12 months
    order({make_product(price="99.00"): 1}, datetime(2026, 11, 3))  # another supplier's
    db.session.commit()
    return rice, millet


def test_sales_by_month_cover_twelve_months_of_orders_not_cancelled(known, seller):
    months = sales_by_month(seller.supplier_id, TODAY)
    assert [month.label for month in months][0::11] == ["2025-12", "2026-11"]
    assert len(months) == 12
    figures = {month.label: (month.orders, month.total) for month in months if month.orders}
    assert figures == {
        "2025-12": (1, Decimal("3.00")),
        "2026-10": (2, Decimal("28.00")),
        "2026-11": (1, Decimal("20.00")),
    }
    assert all(isinstance(month.total, Decimal) for month in months)
    assert months[1].total == Decimal("0.00")


def test_top_products_by_quantity(known, seller):
    rice, millet = known
    top = top_products(seller.supplier_id, TODAY)
    assert [(p.product_id, p.name, p.quantity, p.amount) for p in top] == [
        (millet.id, "小米", 7, Decimal("21.00")),
        (rice.id, "大米", 3, Decimal("30.00")),
    ]


def test_buyers_regions_group_orders_by_the_buying_units_region(known, seller):
    regions = buyer_regions(seller.supplier_id, TODAY)
    assert [(r.name, r.orders, r.total) for r in regions] == [
        ("兴县", 2, Decimal("28.00")),
        ("吕梁市", 2, Decimal("23.00")),
    ]


def test_a_supplier_without_sales_sees_zeros(make_supplier):
    supplier = make_supplier()
    assert sum(month.total for month in sales_by_month(supplier.id, TODAY)) == Decimal("0.00")
    assert top_products(supplier.id, TODAY) == [] and buyer_regions(supplier.id, TODAY) == []


def test_last_months_cross_the_year():
    assert last_months(date(2026, 1, 31), 3) == [(2025, 11), (2025, 12), (2026, 1)]


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.integers(1, 36))
def test_last_months_are_consecutive_and_end_with_this_month(today, count):
    months = last_months(today, count)
    assert len(months) == count and months[-1] == (today.year, today.month)
    for (y1, m1), (y2, m2) in zip(months, months[1:], strict=False):
        assert y2 * 12 + m2 == y1 * 12 + m1 + 1 and 1 <= m2 <= 12


def test_the_supplier_opens_its_figures(client, login_as, seller, make_product, make_order):
    make_order({make_product(supplier=seller.supplier, name="红枣"): 2})  # placed now
    login_as(seller)
    page = client.get("/orders/dashboard")
    assert page.status_code == 200
    assert "红枣" in page.get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.purchaser, Role.unit_manager, Role.finance, Role.operator])
def test_other_roles_may_not_open_the_supplier_figures(client, login_as, users, role):
    login_as(users[role])
    assert client.get("/orders/dashboard").status_code == 403
