"""Recording a payment (issue 5, item 1): the rules of ``record_payment``, the ledger entry and unit totals it
writes, the fiscal year it counts in, its notice, and every bad input refused with nothing changed."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import AuditEntry, Notice, Role
from shop.extensions import db
from shop.orders.models import OrderEvent, OrderStatus, PaymentStatus
from shop.payments.models import (
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    UnitMonthPurchase,
    UnitYearPurchase,
)
from shop.payments.services import PaymentError, beijing_date, record_payment
from tests.payments.conftest import TODAY, snapshot


def pay_fields(order, **changes) -> dict:
    fields = {
        "method": "official_card",
        "payer_account": "6222 0000 1111 2222",
        "reference": "GK20260305001",
        "amount": str(order.total),
        "paid_on": date(2026, 3, 5),
        "today": TODAY,
    }
    fields.update(changes)
    return fields


def test_a_payment_marks_the_order_paid_and_reaches_the_ledger(buyer, seller, order_in):
    order = order_in()
    payment = record_payment(order, buyer, **pay_fields(order, reference="gk-2026/0305 "))
    db.session.commit()

    assert (payment.amount, payment.method, payment.fiscal_year) == (
        Decimal("50.00"),
        PaymentMethod.official_card,
        2026,
    )
    # Stored as the bank prints it: capitals, no spaces in the account number.
    assert (payment.reference, payment.payer_account) == ("GK-2026/0305", "6222000011112222")
    assert order.payment_status == PaymentStatus.paid and order.fiscal_year == 2026 and order.paid_at
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.kind, entry.year, entry.month, entry.amount, entry.unit_id, entry.payment_id) == (
        LedgerKind.payment,
        2026,
        3,
        Decimal("50.00"),
        buyer.unit_id,
        payment.id,
    )
    year = db.session.get(UnitYearPurchase, (buyer.unit_id, 2026))
    assert (year.amount, year.entries) == (Decimal("50.00"), 1)
    assert db.session.get(UnitMonthPurchase, (buyer.unit_id, 2026, 3)).amount == Decimal("50.00")
    event = db.session.scalars(select(OrderEvent).where(OrderEvent.kind == "payment")).one()
    assert (event.from_status, event.to_status) == ("unpaid", "paid")
    assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.action == "order.pay")).one()


def test_the_supplier_is_told_of_a_payment(buyer, seller, order_in):
    order = order_in()
    record_payment(order, buyer, **pay_fields(order))
    db.session.commit()
    notice = db.session.scalars(select(Notice).where(Notice.user_id == seller.id)).one()
    assert notice.params["number"] == order.number and notice.params["reference"] == "GK20260305001"
    assert notice.link.startswith(f"/orders/{order.id}")


def test_the_unit_manager_may_record_the_payment(users, order_in):
    order = order_in()
    payment = record_payment(order, users[Role.unit_manager], **pay_fields(order))
    assert payment.recorded_by_id == users[Role.unit_manager].id


def test_payments_of_one_unit_add_up(buyer, order_in):
    first, second = order_in(quantity=4), order_in(quantity=3)
    record_payment(first, buyer, **pay_fields(first, reference="REF-A"))
    record_payment(second, buyer, **pay_fields(second, reference="REF-B", paid_on=date(2026, 3, 6)))
    db.session.commit()
    year = db.session.get(UnitYearPurchase, (buyer.unit_id, 2026))
    assert (year.amount, year.entries) == (Decimal("87.50"), 2)


def test_last_years_order_paid_after_new_year_counts_in_the_payments_year(buyer, order_in):
    order = order_in(placed_at=datetime(2025, 12, 20, 3, 0), received_at=datetime(2025, 12, 22, 3, 0))
    record_payment(order, buyer, **pay_fields(order, paid_on=date(2026, 1, 3), today=date(2026, 1, 5)))
    db.session.commit()
    assert order.fiscal_year == 2026
    entry = db.session.scalars(select(LedgerEntry)).one()
    assert (entry.year, entry.month) == (2026, 1)
    assert db.session.get(UnitYearPurchase, (buyer.unit_id, 2026)).amount == Decimal("50.00")
    assert db.session.get(UnitYearPurchase, (buyer.unit_id, 2025)) is None


def test_the_same_submit_twice_records_once(buyer, seller, order_in):
    order = order_in()
    first = record_payment(order, buyer, **pay_fields(order))
    db.session.commit()
    before = snapshot(order)
    again = record_payment(order, buyer, **pay_fields(order))
    db.session.commit()
    assert again.id == first.id
    assert snapshot(order) == before
    assert len(db.session.scalars(select(Payment)).all()) == 1
    assert len(db.session.scalars(select(Notice).where(Notice.user_id == seller.id)).all()) == 1


# --- bad input: a clear message naming the field, and nothing changed -------------------------------------


def refused(order, actor, field=None, **changes) -> PaymentError:
    before = snapshot(order)
    with pytest.raises(PaymentError) as caught:
        record_payment(order, actor, **pay_fields(order, **changes))
    db.session.rollback()
    assert snapshot(order) == before
    assert caught.value.field == field
    return caught.value


def test_a_payment_for_another_units_order_is_refused(order_in, make_unit, make_user, users):
    order = order_in()
    stranger = make_user(Role.purchaser, unit=make_unit("另一单位"))
    error = refused(order, stranger)
    assert "Only the buying unit" in error.message
    # Not the supplier, the finance bureau or the operator either.
    for role in (Role.supplier, Role.finance, Role.operator):
        refused(order, users[role])


def test_a_supervising_units_manager_may_not_pay_for_its_unit(order_in, make_unit, make_user, users):
    parent = make_unit("主管部门")
    users[Role.purchaser].unit.parent = parent
    db.session.commit()
    refused(order_in(), make_user(Role.unit_manager, unit=parent))


@pytest.mark.parametrize(
    "amount", ["49.99", "50.01", "0", "-50", "50.001", "abc", "", "NaN", "Infinity", None]
)
def test_a_wrong_amount_is_refused(buyer, order_in, amount):
    error = refused(order_in(), buyer, "amount", amount=amount)
    assert error.field == "amount"


def test_a_reference_used_on_another_order_is_refused(buyer, order_in, pay):
    pay(order_in(), reference="GK20260305001")
    error = refused(order_in(), buyer, "reference", reference="gk20260305001")
    assert error.params["reference"] == "GK20260305001"


def test_a_reference_used_by_a_refund_is_refused(buyer, seller, order_in, pay, refund_of):
    from shop.payments.services import settle_refund

    first = order_in()
    pay(first, paid_on=date(2026, 3, 5))
    settle_refund(refund_of(first), seller, reference="RF0001", amount="12.50", settled_on=TODAY, today=TODAY)
    db.session.commit()
    refused(order_in(), buyer, "reference", reference="RF0001")


def test_a_date_in_the_future_is_refused(buyer, order_in):
    refused(order_in(), buyer, "paid_on", paid_on=TODAY + timedelta(days=1))


def test_a_date_before_the_order_is_refused(buyer, order_in):
    refused(order_in(placed_at=datetime(2026, 3, 4, 2, 0)), buyer, "paid_on", paid_on=date(2026, 3, 3))


def test_before_the_order_means_the_beijing_date_it_was_placed(buyer, order_in):
    # 17:00 UTC on 31 December is 01:00 on 1 January in Beijing: the order was placed in the new year.
    placed = datetime(2025, 12, 31, 17, 0)
    assert beijing_date(placed) == date(2026, 1, 1)
    order = order_in(placed_at=placed)
    refused(order, buyer, "paid_on", paid_on=date(2025, 12, 31), today=date(2026, 1, 2))
    payment = record_payment(
        order, buyer, **pay_fields(order, paid_on=date(2026, 1, 1), today=date(2026, 1, 2))
    )
    assert payment.fiscal_year == 2026


def test_a_missing_date_is_refused(buyer, order_in):
    refused(order_in(), buyer, "paid_on", paid_on=None)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("method", "cash"),
        ("method", ""),
        ("payer_account", ""),
        ("payer_account", "1234567"),
        ("payer_account", "6222-ABCD-1111"),
        ("payer_account", "1" * 35),
        ("reference", ""),
        ("reference", "AB1"),
        ("reference", "GK 2026 0305"),
        ("reference", "X" * 65),
    ],
)
def test_a_malformed_field_is_refused(buyer, order_in, field, value):
    refused(order_in(), buyer, field, **{field: value})


def test_a_second_payment_of_a_paid_order_is_refused(buyer, order_in, pay):
    order = order_in()
    pay(order)
    before = snapshot(order)
    with pytest.raises(PaymentError, match="already paid"):
        record_payment(order, buyer, **pay_fields(order, reference="ANOTHER-REF"))
    db.session.rollback()
    assert snapshot(order) == before


def test_a_cancelled_order_cannot_be_paid(buyer, order_in):
    error = refused(order_in(status=OrderStatus.cancelled), buyer)
    assert "cancelled" in error.message


def test_an_order_may_be_paid_before_delivery(buyer, order_in):
    order = order_in(status=OrderStatus.placed)
    record_payment(order, buyer, **pay_fields(order))
    assert order.payment_status == PaymentStatus.paid
