"""Recording a payment and settling a refund: the only two ways money enters the purchase ledger; and the
supplier's flag on a payment it says it has not received.

``record_payment`` and ``settle_refund`` lock the order's row, check, write the payment or the refund's
settlement, the order's payment status and event, the ledger entry and its totals (``shop.payments.ledger``),
an audit entry and the other side's notice, all in the caller's transaction. They flush, never commit, and
raise ``PaymentError`` (naming the form field at fault) before changing anything.
"""

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask import url_for
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from accounts import audit
from accounts.models import User
from accounts.notices import notify
from shop import policy
from shop.aftersales.models import Refund, RefundStatus
from shop.common import BEIJING, N_, DomainError, lock_row, utcnow
from shop.extensions import db
from shop.formatting import yuan
from shop.orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from shop.orders.transitions import supplier_accounts
from shop.payments import ledger
from shop.payments.models import Payment, PaymentMethod

#: A bank reference as banks print them; stored in capitals, so "ab12" and "AB12" are one reference.
_REFERENCE = re.compile(r"^[0-9A-Z\-_/]{4,64}$")
#: A card or account number: 8 to 34 digits (IBAN-length at most); spaces as typed are dropped.
_ACCOUNT = re.compile(r"^[0-9]{8,34}$")
NOTE_MAX = 500

_BAD_REFERENCE = N_("Give the bank reference (4 to 64 letters, digits, “-”, “_” or “/”).")
_USED_REFERENCE = N_("The bank reference %(reference)s was already recorded.")


class PaymentError(DomainError):
    """A payment or refund was refused; nothing changed. ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field


def beijing_date(moment: datetime) -> date:
    """The Beijing calendar date of a stored (naive UTC) time: an order placed at 01:00 on 1 January in
    Beijing was placed on 1 January, though it is still 31 December in UTC."""
    return moment.replace(tzinfo=UTC).astimezone(BEIJING).date()


#: Refusal of a payment recorded by someone other than the buying unit (the API answers it 403).
NOT_THE_BUYER = N_("Only the buying unit of order %(number)s may record its payment.")


def record_payment(
    order: Order,
    actor: User,
    *,
    method: PaymentMethod | str,
    payer_account: str,
    reference: str,
    amount: Decimal | str,
    paid_on: date | None,
    today: date,
) -> Payment:
    """Record that the buying unit paid ``order`` in full, outside the platform; tell the supplier.

    ``today`` is the Beijing calendar date of the request (the caller knows the clock). The payment counts
    in ``paid_on.year``. A second call for an order already paid with the same reference returns the first
    payment and changes nothing (a double submit records once).

    :raise PaymentError: not the buying unit; the order is cancelled or already paid; a wrong amount; a
        reference used before (on any order); a date missing, in the future or before the order was placed
        (Beijing dates); a malformed field.
    """
    if policy.order_party(actor, order) != "buyer":
        raise PaymentError(NOT_THE_BUYER, number=order.number)
    # Under the order's lock, two submits at once are taken one after the other: the second finds the first.
    lock_row(order)
    reference = _reference(reference)
    existing = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    if existing is not None and existing.reference == reference:
        return existing
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
    payer_account = re.sub(r"[\s-]", "", payer_account or "")
    if not _ACCOUNT.match(payer_account):
        raise PaymentError(
            N_("Give the paying card or account number (8 to 34 digits)."), field="payer_account"
        )
    if not _REFERENCE.match(reference):
        raise PaymentError(_BAD_REFERENCE, field="reference")
    amount = parse_amount(amount, field="amount")
    if amount != order.total:
        raise PaymentError(
            N_("The amount paid must equal the amount due, ¥%(due)s."),
            field="amount",
            due=f"{order.total:,.2f}",
        )
    if not isinstance(paid_on, date):
        raise PaymentError(N_("Give the date paid."), field="paid_on")
    if paid_on > today:
        raise PaymentError(N_("The date paid cannot be in the future."), field="paid_on")
    if paid_on < beijing_date(order.placed_at):
        raise PaymentError(N_("The date paid cannot be before the order was placed."), field="paid_on")
    if _reference_used(reference):
        raise PaymentError(_USED_REFERENCE, field="reference", reference=reference)

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
    try:
        # The unique reference decides between two orders paid with one reference at the same moment.
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError:
        raise PaymentError(_USED_REFERENCE, field="reference", reference=reference) from None
    order.payment_status, order.paid_at, order.fiscal_year = PaymentStatus.paid, now, paid_on.year
    _event(order, actor, PaymentStatus.unpaid.value, PaymentStatus.paid.value, f"{method.value} {reference}")
    db.session.flush()
    ledger.payment_entry(order, payment)
    audit.record(actor, "order.pay", order, number=order.number, amount=str(amount), reference=reference)
    notify(
        supplier_accounts(order.supplier_id),
        N_("Order %(number)s is paid: %(amount)s on %(date)s, bank reference %(reference)s."),
        link=_order_link(order),
        number=order.number,
        amount=yuan(amount),
        date=paid_on.isoformat(),
        reference=reference,
    )
    db.session.flush()
    return payment


def settle_refund(
    refund: Refund,
    actor: User,
    *,
    reference: str,
    amount: Decimal | str,
    settled_on: date | None,
    today: date,
) -> Refund:
    """The supplier records paying ``refund`` back; the buyer is told. The ledger gains the negative entry
    for the year the order's payment counted in; the order's payment status becomes ``partially_refunded``
    or ``refunded``.

    :raise PaymentError: not the selling supplier; the refund is settled already; the order was never paid;
        an amount other than the refund's; more than what was paid minus earlier refunds; a date missing,
        in the future or before the payment; a malformed reference or one used before.
    """
    order = refund.order
    if policy.order_party(actor, order) != "supplier":
        raise PaymentError(
            N_("Only the supplier of order %(number)s may record its refund."), number=order.number
        )
    # The order's lock serialises two settlements of its refunds (and a payment recorded meanwhile).
    lock_row(order)
    db.session.refresh(refund)
    if refund.status != RefundStatus.pending:
        raise PaymentError(N_("This refund of order %(number)s is already settled."), number=order.number)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    if payment is None:
        raise PaymentError(
            N_("Order %(number)s was never paid: there is nothing to refund."), number=order.number
        )
    reference = _reference(reference)
    if not _REFERENCE.match(reference):
        raise PaymentError(_BAD_REFERENCE, field="reference")
    amount = parse_amount(amount, field="amount")
    refunded = refunded_total(order)
    if refunded + amount > payment.amount:
        raise PaymentError(
            N_("A refund cannot exceed what was paid (¥%(left)s left to refund)."),
            field="amount",
            left=f"{payment.amount - refunded:,.2f}",
        )
    if amount != refund.amount:
        raise PaymentError(
            N_("The amount refunded must equal the refund, ¥%(due)s."),
            field="amount",
            due=f"{refund.amount:,.2f}",
        )
    if not isinstance(settled_on, date):
        raise PaymentError(N_("Give the date refunded."), field="settled_on")
    if settled_on > today:
        raise PaymentError(N_("The date refunded cannot be in the future."), field="settled_on")
    if settled_on < payment.paid_on:
        raise PaymentError(N_("The date refunded cannot be before the payment."), field="settled_on")
    if _reference_used(reference):
        raise PaymentError(_USED_REFERENCE, field="reference", reference=reference)

    now = utcnow()
    refund.status, refund.settled_at, refund.settled_on = RefundStatus.settled, now, settled_on
    refund.reference, refund.settled_by_id = reference, actor.id
    previous = order.payment_status
    order.payment_status = (
        PaymentStatus.refunded if refunded + amount == payment.amount else PaymentStatus.partially_refunded
    )
    _event(order, actor, previous.value, order.payment_status.value, f"-{amount} {reference}")
    db.session.flush()
    ledger.refund_entry(order, payment, refund, settled_on)
    audit.record(actor, "order.refund", order, number=order.number, amount=str(amount), reference=reference)
    notify(
        _buyers_of(order, payment),
        N_("The supplier refunded %(amount)s on order %(number)s on %(date)s, bank reference %(reference)s."),
        link=_order_link(order),
        number=order.number,
        amount=yuan(amount),
        date=settled_on.isoformat(),
        reference=reference,
    )
    db.session.flush()
    return refund


# --- the supplier's flag: "we have not received this payment" ---------------------------------------------


def flag_payment(payment: Payment, actor: User, note: str | None) -> None:
    """The supplier says it has not received ``payment``, with a note the buyer reads; the buyer is told.
    The flag shows to the buyer, the operator and the finance bureau until the supplier withdraws it.
    The payment still counts: only the buyer's records and the bank can settle the question.

    :raise PaymentError: not the order's supplier; already flagged; no note or a note too long.
    """
    order = payment.order
    if policy.order_party(actor, order) != "supplier":
        raise PaymentError(
            N_("Only the supplier of order %(number)s may flag its payment."), number=order.number
        )
    lock_row(payment)
    if payment.disputed_at is not None:
        raise PaymentError(
            N_("The payment of order %(number)s is already flagged as not received."), number=order.number
        )
    note = (note or "").strip()
    if not note:
        raise PaymentError(N_("Say what is wrong with the payment (the buyer will read it)."), field="note")
    if len(note) > NOTE_MAX:
        raise PaymentError(N_("This text is too long (at most %(max)d characters)."), "note", max=NOTE_MAX)
    payment.disputed_at, payment.dispute_note = utcnow(), note
    _event(order, actor, None, "payment_flagged", note)
    audit.record(actor, "payment.flag", order, number=order.number, reference=payment.reference, note=note)
    notify(
        _buyers_of(order, payment),
        N_("The supplier says it has not received the payment of order %(number)s: %(note)s"),
        link=_order_link(order),
        number=order.number,
        note=note,
    )
    db.session.flush()


def withdraw_flag(payment: Payment, actor: User) -> None:
    """The supplier withdraws its flag (the money arrived after all); the buyer is told.

    :raise PaymentError: not the order's supplier; the payment is not flagged.
    """
    order = payment.order
    if policy.order_party(actor, order) != "supplier":
        raise PaymentError(
            N_("Only the supplier of order %(number)s may flag its payment."), number=order.number
        )
    lock_row(payment)
    if payment.disputed_at is None:
        raise PaymentError(
            N_("The payment of order %(number)s is not flagged as not received."), number=order.number
        )
    payment.disputed_at, payment.dispute_note = None, None
    _event(order, actor, "payment_flagged", "payment_flag_withdrawn", None)
    audit.record(actor, "payment.unflag", order, number=order.number, reference=payment.reference)
    notify(
        _buyers_of(order, payment),
        N_("The supplier withdrew its flag on the payment of order %(number)s: the money was received."),
        link=_order_link(order),
        number=order.number,
    )
    db.session.flush()


# --- helpers -----------------------------------------------------------------------------------------------


def refunded_total(order: Order) -> Decimal:
    """What was paid back on ``order`` so far (settled refunds)."""
    total = db.session.scalar(
        select(func.sum(Refund.amount)).where(
            Refund.order_id == order.id, Refund.status == RefundStatus.settled
        )
    )
    return total or Decimal("0.00")


def parse_amount(value: Decimal | str | None, field: str) -> Decimal:
    """A positive amount of yuan with at most two decimals, or PaymentError naming ``field``."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise PaymentError(N_("Give a positive amount in yuan with at most two decimals."), field=field)
    return amount.quantize(Decimal("0.01"))


def _reference(value: str | None) -> str:
    return (value or "").strip().upper()


def _reference_used(reference: str) -> bool:
    """Has a payment or a settled refund already been recorded with this bank reference?"""
    payments = select(Payment.id).where(Payment.reference == reference)
    refunds = select(Refund.id).where(Refund.reference == reference)
    return db.session.scalar(select(or_(payments.exists(), refunds.exists())))


def _event(order: Order, actor: User, before: str | None, after: str, note: str | None) -> None:
    db.session.add(
        OrderEvent(
            order=order, actor_id=actor.id, kind="payment", from_status=before, to_status=after, note=note
        )
    )


def _buyers_of(order: Order, payment: Payment) -> list[User]:
    """Who on the buying side hears about the payment: the order's purchaser and whoever recorded it."""
    people = {order.purchaser_id: order.purchaser, payment.recorded_by_id: payment.recorded_by}
    return [user for user in people.values() if user is not None and user.enabled]


def _order_link(order: Order) -> str:
    try:
        return url_for("orders.detail", order_id=order.id, _external=False) + "#payment"
    except (BuildError, RuntimeError):
        return f"/orders/{order.id}#payment"
