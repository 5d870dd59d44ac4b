"""Writing the purchase ledger: one entry and the maintained totals, in the caller's transaction.

This is the only code that writes ``purchase_ledger``, ``unit_year_purchase`` and ``unit_month_purchase``.
The totals are bumped with ``UPDATE … SET amount = amount + :x`` (the row lock serialises concurrent
payments of one unit, and no read-modify-write can lose an update); a missing row is inserted in a savepoint
first, and a concurrent insert of the same row is simply waited for, as in ``shop.counters``.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError

from shop.extensions import db
from shop.orders.models import Order
from shop.payments.models import LedgerEntry, LedgerKind, Payment, UnitMonthPurchase, UnitYearPurchase


def add_entry(
    order: Order, kind: LedgerKind, amount: Decimal, year: int, month: int, *, payment=None, refund=None
) -> LedgerEntry:
    """Append one ledger entry for ``order``'s unit and bump its year and month totals.

    ``amount`` is signed: positive for a payment, negative for a refund. Flushes; never commits.
    """
    entry = LedgerEntry(
        unit_id=order.unit_id,
        year=year,
        month=month,
        order_id=order.id,
        kind=kind,
        amount=amount,
        payment=payment,
        refund=refund,
    )
    db.session.add(entry)
    db.session.flush()
    _bump(UnitYearPurchase, {"unit_id": order.unit_id, "year": year}, amount, entries=True)
    _bump(UnitMonthPurchase, {"unit_id": order.unit_id, "year": year, "month": month}, amount)
    return entry


def payment_entry(order: Order, payment: Payment) -> LedgerEntry:
    """The ledger entry of a payment: counted in the year and month it was paid."""
    return add_entry(
        order, LedgerKind.payment, payment.amount, payment.fiscal_year, payment.paid_on.month, payment=payment
    )


def refund_entry(order: Order, payment: Payment, refund, settled_on: date) -> LedgerEntry:
    """The negative entry of a settled refund, in the year its payment counted in: in the month it was
    settled when that is the same year, otherwise in December of the payment's year."""
    year = payment.fiscal_year
    month = settled_on.month if settled_on.year == year else 12
    return add_entry(order, LedgerKind.refund, -refund.amount, year, month, refund=refund)


def _bump(model, keys: dict, amount: Decimal, entries: bool = False) -> None:
    values = {"amount": model.amount + amount}
    if entries:
        values["entries"] = model.entries + 1
    where = [getattr(model, name) == value for name, value in keys.items()]
    statement = update(model).where(*where).values(**values).execution_options(synchronize_session=False)
    if db.session.execute(statement).rowcount:
        return
    try:
        with db.session.begin_nested():
            db.session.execute(insert(model).values(**keys, amount=Decimal("0.00")))
    except IntegrityError:
        pass  # a concurrent transaction inserted it first; the UPDATE below waits for its lock
    db.session.execute(statement)
