"""Recording a payment and settling a refund: the only two ways money enters the purchase ledger.

``record_payment`` and ``settle_refund`` lock the order's row, check, write the payment or the refund's
settlement, the order's payment status and event, the ledger entry and its totals (``shop.payments.ledger``)
and an audit entry, all in the caller's transaction. They flush, never commit.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select

from accounts import audit
from accounts.models import User
from shop import policy
from shop.aftersales.models import Refund, RefundStatus
from shop.common import N_, DomainError, lock_row, utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from shop.payments import ledger
from shop.payments.models import Payment, PaymentMethod

_REFERENCE = re.compile(r"^[0-9A-Za-z\-_/]{4,64}$")
_ACCOUNT = re.compile(r"^[0-9 ]{8,34}$")


class PaymentError(DomainError):
    """A payment or refund was refused; nothing changed. ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field


def record_payment(
    order: Order,
    actor: User,
    *,
    method: PaymentMethod | str,
    payer_account: str,
    reference: str,
    amount: Decimal | str,
    paid_on: date,
    today: date,
) -> Payment:
    """Record that the buying unit paid ``order`` in full, outside the platform.

    ``today`` is the Beijing calendar date of the request (the caller knows the clock). The payment counts
    in ``paid_on.year``. A second call for an order already paid with the same reference returns the first
    payment (a double submit records once).

    :raise PaymentError: not the buying unit; the order is cancelled or already paid; a wrong amount; a
        reference used before; a date in the future or before the order was placed; a malformed field.
    """
    lock_row(order)
    reference = (reference or "").strip()
    existing = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    if (
        existing is not None
        and existing.reference == reference
        and policy.order_party(actor, order) == "buyer"
    ):
        return existing
    if policy.order_party(actor, order) != "buyer":
        raise PaymentError(
            N_("Only the buying unit of order %(number)s may record its payment."), number=order.number
        )
    if order.status == OrderStatus.cancelled:
        raise PaymentError(
            N_("Order %(number)s was cancelled: there is nothing to pay."), number=order.number
        )
    if existing is not None or order.payment_status != PaymentStatus.unpaid:
        raise PaymentError(N_("Order %(number)s is already paid."), number=order.number)
    try:
        method = PaymentMethod(method)
    except ValueError:
        raise PaymentError(N_("Choose how the order was paid."), field="method") from None
    payer_account = (payer_account or "").strip()
    if not _ACCOUNT.match(payer_account):
        raise PaymentError(
            N_("Give the paying card or account number (8 to 34 digits)."), field="payer_account"
        )
    if not _REFERENCE.match(reference):
        raise PaymentError(
            N_("Give the bank reference (4 to 64 letters, digits, “-”, “_” or “/”)."), field="reference"
        )
    amount = parse_amount(amount, field="amount")
    if amount != order.total:
        raise PaymentError(
            N_("The amount paid must equal the amount due, ¥%(due)s."),
            field="amount",
            due=f"{order.total:,.2f}",
        )
    if paid_on > today:
        raise PaymentError(N_("The date paid cannot be in the future."), field="paid_on")
    if paid_on < order.placed_at.date():
        raise PaymentError(N_("The date paid cannot be before the order was placed."), field="paid_on")
    if db.session.scalar(select(func.count()).select_from(Payment).where(Payment.reference == reference)):
        raise PaymentError(
            N_("The bank reference %(reference)s was already recorded."),
            field="reference",
            reference=reference,
        )

    now = utcnow()
    payment = Payment(
        order=order,
        method=method,
        payer_account=payer_account,
        reference=reference,
        amount=amount,
        paid_on=paid_on,
        fiscal_year=paid_on.year,
        recorded_by_id=actor.id,
        recorded_at=now,
    )
    db.session.add(payment)
    order.payment_status, order.paid_at, order.fiscal_year = PaymentStatus.paid, now, paid_on.year
    db.session.add(
        OrderEvent(
            order=order,
            at=now,
            actor_id=actor.id,
            kind="payment",
            from_status=PaymentStatus.unpaid.value,
            to_status=PaymentStatus.paid.value,
            note=f"{method.value} {reference}",
        )
    )
    db.session.flush()
    ledger.payment_entry(order, payment)
    audit.record(actor, "order.pay", order, number=order.number, amount=str(amount), reference=reference)
    return payment


def settle_refund(
    refund: Refund, actor: User, *, reference: str, amount: Decimal | str, settled_on: date, today: date
):
    """The supplier records paying ``refund`` back. The ledger gains the negative entry for the year the
    order's payment counted in; the order's payment status becomes ``partially_refunded`` or ``refunded``.

    :raise PaymentError: not the selling supplier; the refund is settled already; the order was never paid;
        an amount other than the refund's; more than what was paid minus earlier refunds; a bad date or
        reference.
    """
    order = refund.order
    lock_row(order)
    db.session.refresh(refund)
    if policy.order_party(actor, order) != "supplier":
        raise PaymentError(
            N_("Only the supplier of order %(number)s may record its refund."), number=order.number
        )
    if refund.status != RefundStatus.pending:
        raise PaymentError(N_("This refund of order %(number)s is already settled."), number=order.number)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    if payment is None:
        raise PaymentError(
            N_("Order %(number)s was never paid: there is nothing to refund."), number=order.number
        )
    reference = (reference or "").strip()
    if not _REFERENCE.match(reference):
        raise PaymentError(
            N_("Give the bank reference (4 to 64 letters, digits, “-”, “_” or “/”)."), field="reference"
        )
    amount = parse_amount(amount, field="amount")
    if amount != refund.amount:
        raise PaymentError(
            N_("The amount refunded must equal the refund, ¥%(due)s."),
            field="amount",
            due=f"{refund.amount:,.2f}",
        )
    refunded = refunded_total(order)
    if refunded + amount > payment.amount:
        raise PaymentError(
            N_("A refund cannot exceed what was paid (¥%(left)s left to refund)."),
            field="amount",
            left=f"{payment.amount - refunded:,.2f}",
        )
    if settled_on > today:
        raise PaymentError(N_("The date refunded cannot be in the future."), field="settled_on")
    if settled_on < payment.paid_on:
        raise PaymentError(N_("The date refunded cannot be before the payment."), field="settled_on")

    now = utcnow()
    refund.status, refund.settled_at, refund.settled_on = RefundStatus.settled, now, settled_on
    refund.reference, refund.settled_by_id = reference, actor.id
    previous = order.payment_status
    order.payment_status = (
        PaymentStatus.refunded if refunded + amount == payment.amount else PaymentStatus.partially_refunded
    )
    db.session.add(
        OrderEvent(
            order=order,
            at=now,
            actor_id=actor.id,
            kind="payment",
            from_status=previous.value,
            to_status=order.payment_status.value,
            note=f"-{amount} {reference}",
        )
    )
    db.session.flush()
    ledger.refund_entry(order, payment, refund, settled_on)
    audit.record(actor, "order.refund", order, number=order.number, amount=str(amount), reference=reference)
    return refund


def refunded_total(order: Order) -> Decimal:
    """What was paid back on ``order`` so far (settled refunds)."""
    total = db.session.scalar(
        select(func.sum(Refund.amount)).where(
            Refund.order_id == order.id, Refund.status == RefundStatus.settled
        )
    )
    return total or Decimal("0.00")


def parse_amount(value: Decimal | str, field: str) -> Decimal:
    """A positive amount of yuan with at most two decimals, or PaymentError naming ``field``."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise PaymentError(N_("Give a positive amount in yuan with at most two decimals."), field=field)
    return amount.quantize(Decimal("0.01"))
