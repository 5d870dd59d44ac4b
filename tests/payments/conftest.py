"""Fixtures of the payment tests: the demo sides, orders of the supplier's product, and a snapshot of
everything a refused payment or refund must leave as it was."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEntry, Notice, Role
from shop.aftersales.models import Refund
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderStatus
from shop.payments.models import LedgerEntry, Payment, UnitMonthPurchase, UnitYearPurchase

#: A payment date safely in the past of every test's "today".
TODAY = date(2026, 3, 10)


@pytest.fixture
def buyer(users):
    return users[Role.purchaser]


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def product(make_product, seller):
    return make_product(supplier=seller.supplier, price="12.50")


@pytest.fixture
def order_in(make_order, product):
    """``order_in(status=received, quantity=4, placed_at=…, received_at=…)``: an order of the buyer's unit
    for the seller's product (¥12.50 each)."""

    def make(status=OrderStatus.received, quantity=4, placed_at=None, received_at=None, purchaser=None):
        order = make_order(
            {product: quantity},
            purchaser=purchaser,
            status=status,
            placed_at=placed_at or datetime(2026, 3, 1, 2, 0),
        )
        if status in (OrderStatus.received, OrderStatus.closed):
            order.received_at = received_at or order.placed_at + timedelta(days=2)
        db.session.commit()
        return order

    return make


@pytest.fixture
def refund_of():
    """``refund_of(order, amount)``: a pending refund written directly (as an accepted return would)."""
    from decimal import Decimal

    def make(order: Order, amount="12.50", reason="坏了一袋") -> Refund:
        refund = Refund(order=order, amount=Decimal(amount), reason=reason)
        db.session.add(refund)
        db.session.commit()
        return refund

    return make


def snapshot(order: Order | None = None) -> tuple:
    """Everything a payment or refund writes: rows of each table, the totals, and the order's state."""
    db.session.expire_all()

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    totals = db.session.execute(
        select(UnitYearPurchase.unit_id, UnitYearPurchase.year, UnitYearPurchase.amount).order_by(
            UnitYearPurchase.unit_id, UnitYearPurchase.year
        )
    ).all()
    months = db.session.execute(select(UnitMonthPurchase.amount).order_by(UnitMonthPurchase.month)).all()
    refunds = db.session.execute(
        select(Refund.id, Refund.status, Refund.reference, Refund.settled_on).order_by(Refund.id)
    ).all()
    payments = db.session.execute(
        select(Payment.id, Payment.disputed_at, Payment.dispute_note).order_by(Payment.id)
    ).all()
    state = (
        count(LedgerEntry),
        count(AuditEntry),
        count(Notice),
        count(OrderEvent),
        totals,
        months,
        refunds,
        payments,
    )
    if order is not None:
        db.session.refresh(order)
        state += (order.payment_status, order.paid_at, order.fiscal_year)
    return state


@pytest.fixture
def now():
    return utcnow()
