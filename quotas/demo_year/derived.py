"""Rows the demo year derives in SQL from the rows it inserted: the orders' timelines, the purchase ledger
and its maintained totals. One ``INSERT … SELECT`` per kind of row, run by the database: no Python objects,
no values sent over the connection, and by construction the same figures as the orders and payments.

What ``shop.payments.ledger`` writes one payment at a time is written here for all of them at once: an entry
per payment in the year and month it was paid, a negative one per settled refund in its payment's year (in
December when settled in a later year), and per unit the year and month totals of those entries.
"""

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    extract,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    type_coerce,
)

from accounts.models import Role, User
from shop.aftersales.models import Refund, RefundStatus
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, PaymentStatus
from shop.payments.models import LedgerEntry, Payment, UnitMonthPurchase, UnitYearPurchase

_EVENT_COLUMNS = ["order_id", "at", "actor_id", "kind", "from_status", "to_status", "note"]


def _text(value: str | None):
    return cast(null(), String) if value is None else literal(value, String)


def _joined(*parts):
    """``a || ' ' || b`` of string columns."""
    result = type_coerce(parts[0], String)
    for part in parts[1:]:
        result = result + " " + type_coerce(part, String)
    return result


def timelines(token_prefix: str, skip: list[int]) -> None:
    """The status and payment events of the orders whose checkout token starts with ``token_prefix``
    (except the ids in ``skip``, whose timelines are written row by row), from their own timestamps; in
    the order the steps happened, so that the event ids follow time within each order."""
    mine = and_(Order.checkout_token.like(f"{token_prefix}%"), Order.id.not_in(skip or [-1]))
    sellers = (
        select(User.supplier_id.label("supplier_id"), func.min(User.id).label("user_id"))
        .where(User.role == Role.supplier)
        .group_by(User.supplier_id)
        .subquery()
    )
    paid = select(
        Order.id,
        Payment.recorded_at,
        Payment.recorded_by_id,
        _text("payment"),
        _text(PaymentStatus.unpaid.value),
        _text(PaymentStatus.paid.value),
        _joined(Payment.method, Payment.reference),
    ).join(Payment, Payment.order_id == Order.id)
    steps = [
        select(
            Order.id,
            Order.placed_at,
            Order.purchaser_id,
            _text("status"),
            _text(None),
            _text("placed"),
            _text(None),
        ).where(mine),
        select(
            Order.id,
            Order.shipped_at,
            sellers.c.user_id,
            _text("status"),
            _text("placed"),
            _text("shipped"),
            _joined(Order.carrier, Order.tracking_number),
        )
        .outerjoin(sellers, sellers.c.supplier_id == Order.supplier_id)
        .where(mine, Order.shipped_at.is_not(None)),
        select(
            Order.id,
            Order.received_at,
            Order.purchaser_id,
            _text("status"),
            _text("shipped"),
            _text("received"),
            Order.acceptance_note,
        ).where(mine, Order.received_at.is_not(None)),
        # Paid before it was closed (or not closed yet) …
        paid.where(mine, or_(Order.closed_at.is_(None), Payment.recorded_at < Order.closed_at)),
        select(
            Order.id,
            Order.closed_at,
            # An unpaid order was closed by the periodic command (the system), a paid one by its buyer.
            case((Order.payment_status == PaymentStatus.unpaid, null()), else_=Order.purchaser_id),
            _text("status"),
            _text("received"),
            _text("closed"),
            _text(None),
        ).where(mine, Order.closed_at.is_not(None)),
        # … or after.
        paid.where(mine, Order.closed_at.is_not(None), Payment.recorded_at >= Order.closed_at),
    ]
    for step in steps:
        db.session.execute(insert(OrderEvent.__table__).from_select(_EVENT_COLUMNS, step.order_by(Order.id)))


def ledger_and_totals() -> None:
    """The purchase ledger of every payment and settled refund, then the unit-year and unit-month totals.

    Only for a database whose ledger and totals are still empty (the demo's)."""
    columns = ["unit_id", "year", "month", "order_id", "kind", "amount", "payment_id", "refund_id", "at"]
    payments = (
        select(
            Order.unit_id,
            Payment.fiscal_year,
            extract("month", Payment.paid_on),
            Payment.order_id,
            _text("payment"),
            Payment.amount,
            Payment.id,
            null(),
            Payment.recorded_at,
        )
        .join(Order, Order.id == Payment.order_id)
        .order_by(Payment.id)
    )
    settled_year = extract("year", Refund.settled_on)
    refunds = (
        select(
            Order.unit_id,
            Payment.fiscal_year,
            case((settled_year == Payment.fiscal_year, extract("month", Refund.settled_on)), else_=12),
            Refund.order_id,
            _text("refund"),
            -Refund.amount,
            null(),
            Refund.id,
            Refund.settled_at,
        )
        .join(Payment, Payment.order_id == Refund.order_id)
        .join(Order, Order.id == Refund.order_id)
        .where(Refund.status == RefundStatus.settled)
        .order_by(Refund.id)
    )
    ledger = LedgerEntry.__table__
    db.session.execute(insert(ledger).from_select(columns, payments))
    db.session.execute(insert(ledger).from_select(columns, refunds))
    db.session.execute(
        insert(UnitYearPurchase.__table__).from_select(
            ["unit_id", "year", "amount", "entries"],
            select(
                LedgerEntry.unit_id, LedgerEntry.year, func.sum(LedgerEntry.amount), func.count()
            ).group_by(LedgerEntry.unit_id, LedgerEntry.year),
        )
    )
    db.session.execute(
        insert(UnitMonthPurchase.__table__).from_select(
            ["unit_id", "year", "month", "amount"],
            select(
                LedgerEntry.unit_id, LedgerEntry.year, LedgerEntry.month, func.sum(LedgerEntry.amount)
            ).group_by(LedgerEntry.unit_id, LedgerEntry.year, LedgerEntry.month),
        )
    )
