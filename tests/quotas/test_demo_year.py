"""The demo year: the complete year shows the city report's figures through the report service, the current
year is in progress (unfiled units, units behind the schedule, arrears), and the generated orders, payments,
ledger, totals, counters and sales counts agree with each other; the load stays in bulk and reproducible."""

import re
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from accounts.demo.load import STEPS, load_demo
from accounts.demo.units import DEMO_UNIT_NAME
from accounts.models import BudgetUnit, Region
from quotas.demo_year import STRICT_COUNTY, _catalogue, add_demo_year, plan_years
from quotas.demo_year.rows import TOKEN_PREFIX
from quotas.models import CanteenStatus, FilingStatus, QuotaFiling
from quotas.reports import summarise
from quotas.rules import effective_policy
from quotas.verify import verify
from shop.aftersales.models import Refund, RefundStatus
from shop.catalogue.models import Product
from shop.common import beijing_today, utcnow
from shop.counters import Counter
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus, PaymentStatus
from shop.payments.models import LedgerEntry, LedgerKind, Payment, UnitYearPurchase

CITY = "141100"


@pytest.fixture
def demo():
    load_demo()
    db.session.commit()


def region(code: str) -> Region:
    return db.session.scalar(select(Region).where(Region.code == code))


def near(value: Decimal, target: str, within: str) -> bool:
    return abs(value - Decimal(target)) <= Decimal(within)


def test_the_step_is_registered_once_after_the_marketplace(app):
    from shop.demo.load import add_marketplace

    assert STEPS.count(add_demo_year) == 1
    assert STEPS.index(add_demo_year) > STEPS.index(add_marketplace)


def test_one_load_shows_the_city_report_for_last_year_and_this_year_in_progress(count_queries):
    with count_queries() as queries:
        started = time.perf_counter()
        load_demo()
        elapsed = time.perf_counter() - started
    db.session.commit()
    # One statement per table or per derived kind of row, never per row (≈50,000 orders, ≈130,000 lines and
    # payments, ≈250,000 events). The time is reported (pytest -s), not asserted: the machine may be busy.
    print(f"demo load: {elapsed:.1f} s, {len(queries)} statements")
    assert len(queries) < 120, len(queries)
    assert db.session.scalar(select(func.count(Order.id))) > 45_000
    _the_complete_year_shows_the_city_report()
    _the_current_year_is_in_progress()


def _the_complete_year_shows_the_city_report():
    today = beijing_today()
    report = summarise(today.year - 1, region(CITY), today=today)
    # 1,906 and 1,968 accounts opened and activated
    assert (report.units_opened, report.units_activated) == (1906, 1906)
    assert (report.purchasers_opened, report.purchasers_activated) == (1968, 1968)
    # ¥25,451,400.00 reserved, on average 35 % of planned farm-product purchasing
    assert report.reserved == Decimal("25451400.00")
    assert near(report.ratio_mean, "0.35", "0.005"), report.ratio_mean
    assert report.ratio_aggregate < report.ratio_mean  # large units reserve closer to the minimum
    # ≈¥25,000,000 bought: 96 % as the mean of unit completion rates, ≈98.2 % as Σpurchased / Σreserved
    assert near(report.purchased, "25000000", "125000"), report.purchased
    assert near(report.completion_mean, "0.96", "0.005"), report.completion_mean
    assert near(report.completion_aggregate, "0.982", "0.005"), report.completion_aggregate
    # every unit filed and was approved; some share a canteen or have none; none below the minimum
    assert report.not_filed == 0 and report.below_minimum == 0
    assert report.no_canteen > 100 and report.shared > 100 and report.filed > 1000
    # units at or above 100 %, some below, a few that bought nothing
    below = report.with_reserve - report.at_or_above_target - report.reserved_but_nothing
    assert report.at_or_above_target > report.with_reserve // 2 and below > 100
    assert 3 <= report.reserved_but_nothing <= 20
    # the county with a stricter policy of its own shows where a unit's policy comes from
    assert effective_policy(region(STRICT_COUNTY), today.year - 1).min_ratio == Decimal("0.35")
    assert effective_policy(region(STRICT_COUNTY), today.year).source.code == STRICT_COUNTY
    assert effective_policy(region("141123"), today.year).source.code == CITY


def _the_current_year_is_in_progress():
    today = beijing_today()
    report = summarise(today.year, region(CITY), today=today)
    assert 0 < report.not_filed < report.must_file // 5
    assert report.behind_schedule > 50 and report.reserved_but_nothing > 0
    assert report.arrears_count >= 10 and report.arrears_amount > 0 and report.arrears_oldest_days > 30
    assert report.projection > report.purchased > 0
    statuses = set(
        db.session.scalars(select(QuotaFiling.status).where(QuotaFiling.year == today.year).distinct())
    )
    assert statuses == set(FilingStatus)
    unfiled = db.session.scalar(
        select(func.count(BudgetUnit.id)).where(
            ~select(QuotaFiling.id)
            .where(QuotaFiling.unit_id == BudgetUnit.id, QuotaFiling.year == today.year)
            .exists()
        )
    )
    assert 40 <= unfiled <= 160, "about 5 % of 1,906 units have not filed at all"
    returned = db.session.scalars(select(QuotaFiling).where(QuotaFiling.status == FilingStatus.returned))
    assert all(filing.return_reason and filing.returned_by_id for filing in returned)
    # the demo manager's unit reserves and is approved; units it supervises wait for its review
    demo_unit = db.session.scalar(select(BudgetUnit).where(BudgetUnit.name == DEMO_UNIT_NAME))
    waiting = db.session.scalars(
        select(QuotaFiling)
        .join(BudgetUnit, QuotaFiling.unit_id == BudgetUnit.id)
        .where(BudgetUnit.parent_id == demo_unit.id, QuotaFiling.year == today.year)
    ).all()
    assert FilingStatus.submitted in {filing.status for filing in waiting}
    own = db.session.scalars(
        select(QuotaFiling).where(QuotaFiling.unit_id == demo_unit.id, QuotaFiling.year == today.year)
    ).one()
    assert own.status == FilingStatus.approved and own.canteen_status == CanteenStatus.own
    # nothing happens after now
    now = utcnow()
    assert db.session.scalar(select(func.max(Order.placed_at))) <= now
    assert db.session.scalar(select(func.max(Payment.paid_on))) <= today


def test_orders_payments_ledger_totals_timelines_counters_and_sales_agree(demo):
    _orders_payments_ledger_and_totals_agree()
    _timelines_counters_and_sales_counts_agree()


def _orders_payments_ledger_and_totals_agree():
    result = verify()
    assert result.ok and result.unit_years > 2000, result.differences[:5]
    mine = Order.checkout_token.like(f"{TOKEN_PREFIX}%")
    year = beijing_today().year - 1
    paid = db.session.scalar(select(func.count(Order.id)).where(mine, Order.fiscal_year == year))
    assert 23_000 <= paid <= 28_000, "≈25,000 paid orders in the complete year"
    # each order's total is the sum of its lines, of real listed products at their prices
    line_sum = (
        select(OrderLine.order_id, func.sum(OrderLine.amount).label("amount"))
        .group_by(OrderLine.order_id)
        .subquery()
    )
    assert (
        db.session.scalar(
            select(func.count(Order.id))
            .join(line_sum, line_sum.c.order_id == Order.id)
            # SQLite sums money as floats: compare to the fen
            .where(mine, func.abs(Order.total - line_sum.c.amount) > Decimal("0.005"))
        )
        == 0
    )
    assert (
        db.session.scalar(
            select(func.count(OrderLine.id))
            .join(Product, OrderLine.product_id == Product.id)
            .where(
                (OrderLine.unit_price != Product.price)
                | (OrderLine.product_name != Product.name)
                | (OrderLine.quantity < Product.min_order_quantity)
            )
        )
        == 0
    )
    # a paid order has one payment of its total, counted in the year it was paid
    mismatched = (
        select(func.count(Order.id))
        .join(Payment, Payment.order_id == Order.id)
        .where((Payment.amount != Order.total) | (Payment.fiscal_year != Order.fiscal_year))
    )
    assert db.session.scalar(mismatched) == 0
    unpaid = db.session.scalar(select(func.count(Order.id)).where(mine, Order.payment_status == "unpaid"))
    assert unpaid == db.session.scalar(
        select(func.count(Order.id)).where(
            mine, ~select(Payment.id).where(Payment.order_id == Order.id).exists()
        )
    )
    # a handful of settled refunds, each with its negative ledger entry; one settled the next January
    refunds = db.session.scalars(select(Refund).where(Refund.status == RefundStatus.settled)).all()
    assert 5 <= len(refunds) <= 10
    entries = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.refund)).all()
    assert sorted(-entry.amount for entry in entries) == sorted(refund.amount for refund in refunds)
    assert any(entry.month == 12 and entry.year < entry.refund.settled_on.year for entry in entries)
    assert all(refund.order.payment_status == PaymentStatus.partially_refunded for refund in refunds)
    assert db.session.scalar(select(func.sum(LedgerEntry.amount))) == pytest.approx(
        db.session.scalar(select(func.sum(UnitYearPurchase.amount)))
    )


def _timelines_counters_and_sales_counts_agree():
    mine = Order.checkout_token.like(f"{TOKEN_PREFIX}%")
    steps = (
        select(func.count(OrderEvent.id))
        .where(OrderEvent.order_id == Order.id, OrderEvent.kind == "status")
        .scalar_subquery()
    )
    expected = case(
        (Order.status == OrderStatus.placed, 1),
        (Order.status == OrderStatus.shipped, 2),
        (Order.status == OrderStatus.received, 3),
        else_=4,
    )
    assert db.session.scalar(select(func.count(Order.id)).where(mine, steps != expected)) == 0
    payments = (
        select(func.count(OrderEvent.id))
        .where(OrderEvent.order_id == Order.id, OrderEvent.kind == "payment", OrderEvent.to_status == "paid")
        .scalar_subquery()
    )
    paid = Order.payment_status != PaymentStatus.unpaid
    assert db.session.scalar(select(func.count(Order.id)).where(mine, paid, payments != 1)) == 0
    # within an order, the events' ids follow their times (the timeline is shown in id order)
    later = aliased(OrderEvent)
    out_of_order = (
        select(func.count())
        .select_from(OrderEvent)
        .join(later, and_(later.order_id == OrderEvent.order_id, later.id > OrderEvent.id))
        .where(later.at < OrderEvent.at)
    )
    assert db.session.scalar(out_of_order) == 0
    # the order-number counters hold each day's last number; numbers follow the shop's scheme
    last: dict[str, int] = {}
    for number in db.session.scalars(select(Order.number)):
        assert re.fullmatch(r"DD\d{14}", number)
        key = f"order:{number[2:10]}"
        last[key] = max(last.get(key, 0), int(number[10:]))
    assert dict(db.session.execute(select(Counter.key, Counter.value)).all()) == last
    # sales counts are the quantities on orders not cancelled
    sold = dict(
        db.session.execute(
            select(OrderLine.product_id, func.sum(OrderLine.quantity))
            .join(Order, OrderLine.order_id == Order.id)
            .where(Order.status != OrderStatus.cancelled)
            .group_by(OrderLine.product_id)
        ).all()
    )
    counts = dict(db.session.execute(select(Product.id, Product.sales_count)).all())
    assert all(counts[product] == sold.get(product, 0) for product in counts)


def test_the_complete_year_is_the_same_whatever_day_it_is_loaded(app):
    """Last year's plan comes from random streams of its own: loaded on another day of this year, the
    same shares and the same orders."""
    captured = {}
    steps = STEPS[: STEPS.index(add_demo_year)] + [lambda ctx: captured.setdefault("ctx", ctx)]
    load_demo(steps)
    catalogue = _catalogue()
    today = beijing_today()
    runs = []
    other = today - timedelta(days=40) if today.timetuple().tm_yday > 60 else today + timedelta(days=40)
    for day in (today, other):
        now = utcnow() - (today - day)
        complete, _current, _rows, planned = plan_years(captured["ctx"], catalogue, day, now)
        last_year = [order for order in planned if order.paid_on and order.paid_on.year == day.year - 1]
        runs.append(
            (
                [(share.unit.id, share.planned, share.reserved, share.purchase) for share in complete],
                sum(order.total for order in last_year),
            )
        )
    assert runs[0] == runs[1]
