"""Settling refunds (issue 5, item 2) and the supplier's flag on a payment it has not received: the payment
status, the negative ledger entry in the payment's year, the notices, and every bad input refused with
nothing changed."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import AuditEntry, Notice, Role
from shop.aftersales.models import Refund, RefundStatus
from shop.extensions import db
from shop.orders.models import OrderEvent, OrderStatus, PaymentStatus
from shop.orders.transitions import transition
from shop.payments.models import LedgerEntry, LedgerKind, Payment, UnitYearPurchase
from shop.payments.services import PaymentError, flag_payment, settle_refund, withdraw_flag
from tests.payments.conftest import TODAY, snapshot

PAID_ON = date(2026, 3, 5)


@pytest.fixture
def paid(order_in, pay):
    """A received order of ¥50.00, paid on 5 March 2026."""
    order = order_in()
    pay(order, paid_on=PAID_ON, reference="GK-PAID-1")
    return order


def settle(refund, actor, **changes):
    fields = {"reference": "RF20260310", "amount": str(refund.amount), "settled_on": TODAY, "today": TODAY}
    fields.update(changes)
    return settle_refund(refund, actor, **fields)


def test_a_partial_refund_then_the_rest(paid, seller, buyer, refund_of):
    first = refund_of(paid, "12.50")
    settle(first, seller, reference="RF-1")
    db.session.commit()
    assert paid.payment_status == PaymentStatus.partially_refunded
    assert (first.status, first.reference, first.settled_on, first.settled_by_id) == (
        RefundStatus.settled,
        "RF-1",
        TODAY,
        seller.id,
    )
    settle(refund_of(paid, "37.50"), seller, reference="RF-2")
    db.session.commit()
    assert paid.payment_status == PaymentStatus.refunded

    entries = db.session.scalars(select(LedgerEntry).order_by(LedgerEntry.id)).all()
    assert [(e.kind, e.amount) for e in entries] == [
        (LedgerKind.payment, Decimal("50.00")),
        (LedgerKind.refund, Decimal("-12.50")),
        (LedgerKind.refund, Decimal("-37.50")),
    ]
    year = db.session.get(UnitYearPurchase, (buyer.unit_id, 2026))
    assert (year.amount, year.entries) == (Decimal("0.00"), 3)
    events = db.session.scalars(select(OrderEvent.to_status).where(OrderEvent.kind == "payment")).all()
    assert events == ["paid", "partially_refunded", "refunded"]


def test_a_refund_settled_next_year_lowers_the_payments_year(order_in, pay, seller, buyer, refund_of):
    order = order_in(placed_at=datetime(2025, 12, 1, 2, 0))
    pay(order, paid_on=date(2025, 12, 10))
    settle(refund_of(order), seller, settled_on=date(2026, 1, 4), today=date(2026, 1, 4))
    db.session.commit()
    entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == LedgerKind.refund)).one()
    assert (entry.year, entry.month) == (2025, 12)
    assert db.session.get(UnitYearPurchase, (buyer.unit_id, 2025)).amount == Decimal("37.50")
    assert db.session.get(UnitYearPurchase, (buyer.unit_id, 2026)) is None


def test_a_cancellation_after_payment_is_refunded_in_full(order_in, pay, buyer, seller):
    order = order_in(status=OrderStatus.placed)
    pay(order, paid_on=PAID_ON)
    transition(order, buyer, OrderStatus.cancelled, reason="不需要了")
    db.session.commit()
    refund = db.session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    settle(refund, seller)
    db.session.commit()
    assert order.payment_status == PaymentStatus.refunded
    assert db.session.get(UnitYearPurchase, (buyer.unit_id, 2026)).amount == Decimal("0.00")


def test_the_buyer_is_told_of_a_refund(paid, seller, buyer, refund_of):
    settle(refund_of(paid), seller)
    db.session.commit()
    notice = db.session.scalars(select(Notice).where(Notice.user_id == buyer.id)).one()
    assert notice.params["number"] == paid.number and notice.params["reference"] == "RF20260310"


# --- bad input ---------------------------------------------------------------------------------------------


def refused(refund, actor, field=None, **changes) -> PaymentError:
    before = snapshot(refund.order)
    with pytest.raises(PaymentError) as caught:
        settle(refund, actor, **changes)
    db.session.rollback()
    assert snapshot(refund.order) == before
    assert caught.value.field == field
    return caught.value


def test_a_refund_larger_than_what_was_paid_is_refused(paid, seller, refund_of):
    error = refused(refund_of(paid, "60.00"), seller, "amount")
    assert error.params["left"] == "50.00"
    settle(refund_of(paid, "30.00"), seller, reference="RF-A")
    db.session.commit()
    refused(refund_of(paid, "30.00"), seller, "amount", reference="RF-B")


def test_a_refund_by_anyone_but_the_supplier_is_refused(paid, refund_of, users, make_user, make_supplier):
    refund = refund_of(paid)
    for role in (Role.purchaser, Role.unit_manager, Role.finance, Role.operator):
        assert "Only the supplier" in refused(refund, users[role]).message
    refused(refund, make_user(Role.supplier, supplier=make_supplier()))


def test_settling_twice_is_refused(paid, seller, refund_of):
    refund = refund_of(paid)
    settle(refund, seller)
    db.session.commit()
    assert "already settled" in refused(refund, seller, reference="RF-AGAIN").message


def test_a_refund_of_an_unpaid_order_is_refused(order_in, seller, refund_of):
    assert "never paid" in refused(refund_of(order_in()), seller).message


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("amount", {"amount": "12.49"}),
        ("amount", {"amount": "-12.50"}),
        ("amount", {"amount": "x"}),
        ("reference", {"reference": ""}),
        ("reference", {"reference": "R 1"}),
        ("reference", {"reference": "GK-PAID-1"}),  # the payment's own reference
        ("settled_on", {"settled_on": TODAY + timedelta(days=1)}),
        ("settled_on", {"settled_on": PAID_ON - timedelta(days=1)}),
        ("settled_on", {"settled_on": None}),
    ],
)
def test_a_bad_refund_field_is_refused(paid, seller, refund_of, field, changes):
    refused(refund_of(paid), seller, field, **changes)


def test_a_refund_reference_used_before_is_refused(paid, seller, refund_of):
    settle(refund_of(paid), seller, reference="RF-SAME")
    db.session.commit()
    refused(refund_of(paid), seller, "reference", reference="rf-same")


# --- the supplier's flag -----------------------------------------------------------------------------------


def payment_of(order):
    return db.session.scalars(select(Payment).where(Payment.order_id == order.id)).one()


def test_the_supplier_flags_a_payment_and_withdraws_the_flag(paid, seller, buyer):
    payment = payment_of(paid)
    flag_payment(payment, seller, "  银行流水中没有这笔款项  ")
    db.session.commit()
    assert payment.disputed_at is not None and payment.dispute_note == "银行流水中没有这笔款项"
    notice = db.session.scalars(select(Notice).where(Notice.user_id == buyer.id)).one()
    assert notice.params == {"number": paid.number, "note": "银行流水中没有这笔款项"}
    # The payment still counts: the flag is a question, not a reversal.
    assert paid.payment_status == PaymentStatus.paid
    assert db.session.get(UnitYearPurchase, (buyer.unit_id, 2026)).amount == Decimal("50.00")

    withdraw_flag(payment, seller)
    db.session.commit()
    assert payment.disputed_at is None and payment.dispute_note is None
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("payment.%"))).all()
    assert sorted(actions) == ["payment.flag", "payment.unflag"]
    events = db.session.scalars(select(OrderEvent.to_status).where(OrderEvent.kind == "payment")).all()
    assert events[-2:] == ["payment_flagged", "payment_flag_withdrawn"]


def test_bad_flags_are_refused(paid, seller, users):
    payment = payment_of(paid)
    for actor, note in (
        (users[Role.purchaser], "x"),
        (users[Role.operator], "x"),
        (seller, " "),
        (seller, "长" * 501),
    ):
        before = snapshot(paid)
        with pytest.raises(PaymentError):
            flag_payment(payment, actor, note)
        db.session.rollback()
        assert snapshot(paid) == before
    with pytest.raises(PaymentError, match="not flagged"):
        withdraw_flag(payment, seller)
    db.session.rollback()
    flag_payment(payment, seller, "没收到")
    db.session.commit()
    before = snapshot(paid)
    with pytest.raises(PaymentError, match="already flagged"):
        flag_payment(payment, seller, "还是没收到")
    with pytest.raises(PaymentError, match="Only the supplier"):
        withdraw_flag(payment, users[Role.purchaser])
    db.session.rollback()
    assert snapshot(paid) == before
