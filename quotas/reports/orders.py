"""The orders that counted toward one unit's year: its purchase-ledger entries (a payment, or a refund's
negative entry), newest first, with their orders and suppliers loaded in the same statement."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from quotas.reports.loading import beijing_date
from shop.common import newest_first_page
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.models import LedgerEntry, LedgerKind


@dataclass
class Counted:
    """One ledger entry as a report shows it."""

    entry_id: int
    order_id: int
    number: str
    supplier: str
    placed_on: date
    kind: LedgerKind
    #: The day paid (payment) or paid back (refund).
    on: date | None
    month: int
    amount: Decimal


def _query(unit_id: int, year: int):
    return (
        select(LedgerEntry)
        .where(LedgerEntry.unit_id == unit_id, LedgerEntry.year == year)
        .options(
            joinedload(LedgerEntry.order).joinedload(Order.supplier),
            joinedload(LedgerEntry.payment),
            joinedload(LedgerEntry.refund),
        )
    )


def _counted(entry: LedgerEntry) -> Counted:
    if entry.payment is not None:
        on = entry.payment.paid_on
    else:
        on = entry.refund.settled_on if entry.refund is not None else None
    return Counted(
        entry.id,
        entry.order_id,
        entry.order.number,
        entry.order.supplier.name,
        beijing_date(entry.order.placed_at),
        entry.kind,
        on,
        entry.month,
        entry.amount,
    )


def counted_page(unit_id: int, year: int, before: int | None, size: int) -> tuple[list[Counted], int | None]:
    """One page of the unit's counted entries for ``year``, newest first, and the ``before`` of the next
    page (keyset: every page costs the same)."""
    entries, next_before = newest_first_page(_query(unit_id, year), LedgerEntry, before, size)
    return [_counted(entry) for entry in entries], next_before


def all_counted(unit_id: int, year: int) -> list[Counted]:
    """Every counted entry of the unit's year, newest first (for an export: one unit's orders)."""
    entries = db.session.scalars(_query(unit_id, year).order_by(LedgerEntry.id.desc())).unique()
    return [_counted(entry) for entry in entries]
