"""The purchase ledger: a payment and a settled refund write their entries and bump the maintained totals."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from accounts.models import Role
from shop.aftersales.models import Refund
from shop.extensions import db
from shop.orders.models import OrderStatus, PaymentStatus
from shop.payments.models import LedgerEntry, LedgerKind, UnitMonthPurchase, UnitYearPurchase
from shop.payments.services import settle_refund


def test_payment_and_refund_reach_the_ledger_and_the_totals(users, make_user, make_product, make_order, pay):
    product = make_product(price=Decimal("12.50"))
    seller = make_user(Role.supplier, supplier=product.supplier)
    first = make_order({product: 4}, status=OrderStatus.received, placed_at=datetime(2025, 12, 20))
    second = make_order({product: 2}, status=OrderStatus.received, placed_at=datetime(2025, 12, 20))
    pay(first, paid_on=date(2025, 12, 30))
    pay(second, paid_on=date(2026, 1, 3))
    assert first.payment_status == PaymentStatus.paid and first.fiscal_year == 2025

    refund = Refund(order=first, amount=Decimal("12.50"), reason="坏了一袋")
    db.session.add(refund)
    db.session.commit()
    settle_refund(
        refund,
        seller,
        reference="RF-0001",
        amount="12.50",
        settled_on=date(2026, 1, 5),
        today=date(2026, 1, 5),
    )
    db.session.commit()
    assert first.payment_status == PaymentStatus.partially_refunded

    entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.year, e.month, e.amount) for e in entries] == [
        (LedgerKind.payment, 2025, 12, Decimal("50.00")),
        (LedgerKind.payment, 2026, 1, Decimal("25.00")),
        # counted against the payment's year, in its last month
        (LedgerKind.refund, 2025, 12, Decimal("-12.50")),
    ]
    unit_id = users[Role.purchaser].unit_id
    assert db.session.get(UnitYearPurchase, (unit_id, 2025)).amount == Decimal("37.50")
    assert db.session.get(UnitYearPurchase, (unit_id, 2025)).entries == 2
    assert db.session.get(UnitYearPurchase, (unit_id, 2026)).amount == Decimal("25.00")
    assert db.session.get(UnitMonthPurchase, (unit_id, 2025, 12)).amount == Decimal("37.50")


def test_the_ledger_is_append_only(users, make_product, make_order, pay):
    pay(make_order({make_product(): 1}, status=OrderStatus.received))
    with pytest.raises(Exception, match="append-only"), db.session.begin_nested():
        db.session.execute(text("UPDATE purchase_ledger SET amount = 1"))
    with pytest.raises(Exception, match="append-only"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM purchase_ledger"))
