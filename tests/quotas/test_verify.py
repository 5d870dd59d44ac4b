"""``flask quotas verify``: the maintained totals agree with the ledger and the orders, and a tampered total,
a ledger entry without its payment, or a paid order without a ledger entry is caught."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text, update

from accounts.models import Role
from quotas.verify import verify
from shop.extensions import db
from shop.orders.models import OrderStatus, PaymentStatus
from shop.payments import ledger
from shop.payments.models import LedgerKind, UnitMonthPurchase, UnitYearPurchase
from tests.quotas.test_reports import build_world


@pytest.fixture
def world(users, make_unit, make_user, make_product, make_order, pay, make_policy, make_filing):
    return build_world(users, make_unit, make_user, make_product, make_order, pay, make_policy, make_filing)


def test_untouched_totals_agree(world):
    result = verify()
    assert result.ok, result.differences
    assert result.unit_years == 4  # four units bought something in 2025
    assert result.unit_months >= 5


def test_a_tampered_year_total_is_caught(world):
    db.session.execute(
        update(UnitYearPurchase)
        .where(UnitYearPurchase.unit_id == world.school.id)
        .values(amount=UnitYearPurchase.amount + Decimal("1.00"))
    )
    result = verify(2025)
    assert [(d.unit_id, d.year, d.month, d.what) for d in result.differences] == [
        (world.school.id, 2025, None, "amount")
    ]
    difference = result.differences[0]
    assert (difference.stored, difference.ledger, difference.orders) == (
        Decimal("5001.00"),
        Decimal("5000.00"),
        Decimal("5000.00"),
    )


def test_a_tampered_month_total_and_entry_count_are_caught(world):
    db.session.execute(
        text("UPDATE unit_month_purchase SET amount = amount - 1 WHERE unit_id = :unit AND month = 9"),
        {"unit": world.education.id},
    )
    db.session.execute(
        update(UnitYearPurchase).where(UnitYearPurchase.unit_id == world.education.id).values(entries=7)
    )
    found = {(d.unit_id, d.month, d.what) for d in verify().differences}
    assert found == {(world.education.id, 9, "amount"), (world.education.id, None, "entries")}


def test_a_ledger_entry_without_a_payment_is_caught(world, make_product, make_order):
    # Written through the ledger's own writer, so the totals agree with the ledger but not with the orders.
    order = make_order({make_product(): 1}, purchaser=world.buyers[world.unfiled.id])
    ledger.add_entry(order, LedgerKind.payment, Decimal("10.00"), 2025, 5)
    differences = verify().differences
    assert {(d.unit_id, d.year, d.month) for d in differences} == {
        (world.unfiled.id, 2025, None),
        (world.unfiled.id, 2025, 5),
    }
    assert all(d.stored == d.ledger == Decimal("10.00") and d.orders == 0 for d in differences)


def test_a_paid_order_without_a_ledger_entry_is_caught(world, users, make_product, make_order):
    order = make_order(
        {make_product(price="50.00"): 2}, status=OrderStatus.received, placed_at=datetime(2025, 6, 1)
    )
    order.payment_status, order.fiscal_year = PaymentStatus.paid, 2025
    db.session.commit()
    differences = verify(2025).differences
    assert [(d.unit_id, d.month, d.stored, d.orders) for d in differences] == [
        (users[Role.purchaser].unit_id, None, Decimal("33000.00"), Decimal("33100.00"))
    ]


def test_the_command_reports_differences_and_fails(app, world):
    runner = app.test_cli_runner()
    clean = runner.invoke(args=["quotas", "verify"])
    assert clean.exit_code == 0, clean.output
    assert "0 differences" in clean.output
    db.session.execute(
        update(UnitMonthPurchase)
        .where(UnitMonthPurchase.unit_id == world.county_school.id)
        .values(amount=Decimal("0.00"))
    )
    tampered = runner.invoke(args=["quotas", "verify", "--year", "2025"])
    assert tampered.exit_code == 1
    assert f"unit {world.county_school.code} 2025-03 amount: stored 0.00, ledger 3600.00" in tampered.output
    assert "1 differences" in tampered.output


def test_payments_in_another_year_stay_apart(world, make_product, make_order, pay):
    order = make_order(
        {make_product(): 1}, purchaser=world.buyers[world.school.id], placed_at=datetime(2025, 12, 30)
    )
    pay(order, paid_on=date(2026, 1, 2))
    assert verify().ok
    assert verify(2026).unit_years == 1
