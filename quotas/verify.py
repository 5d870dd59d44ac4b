"""``flask quotas verify``: do the maintained purchase totals agree with the ledger and with the orders?

Every unit-year total (``unit_year_purchase``: amount and number of entries) and every unit-month total
(``unit_month_purchase``) is recomputed twice, independently:

- from the ledger: the sum of its entries (``purchase_ledger``) per unit and year, and per unit, year and
  month;
- from the orders themselves: per unit and year, the totals of the paid orders (payment status paid,
  partially refunded or refunded) in their fiscal year minus their settled refunds; per month, the payments
  in the month they were paid, minus each settled refund in the month it was settled (December of the
  payment's year when settled in a later year), as the ledger rules say (``shop.payments.ledger``).

Each comparison is a grouped query (O(unit-years) rows back, not O(orders)); a missing row counts as zero.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, extract, func, select

from shop.aftersales.models import Refund, RefundStatus
from shop.extensions import db
from shop.orders.models import Order, PaymentStatus
from shop.payments.models import LedgerEntry, Payment, UnitMonthPurchase, UnitYearPurchase

ZERO = Decimal("0.00")
PAID = (PaymentStatus.paid, PaymentStatus.partially_refunded, PaymentStatus.refunded)


@dataclass(frozen=True)
class Difference:
    """A total that does not agree. ``month`` is None for a unit-year total; ``what`` is "amount" or
    "entries" (the number of ledger entries a unit-year total counts)."""

    unit_id: int
    year: int
    month: int | None
    what: str
    stored: Decimal | int
    ledger: Decimal | int
    orders: Decimal | int | None


@dataclass
class Verification:
    unit_years: int = 0
    unit_months: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _money(value) -> Decimal:
    # SQLite sums NUMERIC columns as floats: back to yuan and fen.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _totals(rows: Iterable, width: int) -> dict[tuple, Decimal]:
    """{key: amount} from rows of (key columns…, amount), adding up rows of the same key."""
    totals: dict[tuple, Decimal] = {}
    for row in rows:
        key = tuple(int(part) for part in row[:width])
        totals[key] = totals.get(key, ZERO) + _money(row[width])
    return totals


def verify(year: int | None = None) -> Verification:
    """Compare every maintained total (of ``year``, or of all years) with the ledger and the orders."""
    result = Verification()
    _check_years(result, year)
    _check_months(result, year)
    result.differences.sort(key=lambda d: (d.unit_id, d.year, d.month or 0, d.what))
    return result


def _in_year(column, year: int | None):
    return [] if year is None else [column == year]


def _check_years(result: Verification, year: int | None) -> None:
    stored_rows = db.session.execute(
        select(
            UnitYearPurchase.unit_id, UnitYearPurchase.year, UnitYearPurchase.amount, UnitYearPurchase.entries
        ).where(*_in_year(UnitYearPurchase.year, year))
    ).all()
    stored = {(row[0], row[1]): _money(row[2]) for row in stored_rows}
    stored_entries = {(row[0], row[1]): row[3] for row in stored_rows}
    ledger_rows = db.session.execute(
        select(LedgerEntry.unit_id, LedgerEntry.year, func.sum(LedgerEntry.amount), func.count())
        .where(*_in_year(LedgerEntry.year, year))
        .group_by(LedgerEntry.unit_id, LedgerEntry.year)
    ).all()
    ledger = {(row[0], row[1]): _money(row[2]) for row in ledger_rows}
    ledger_entries = {(row[0], row[1]): row[3] for row in ledger_rows}
    paid = _totals(
        db.session.execute(
            select(Order.unit_id, Order.fiscal_year, func.sum(Order.total))
            .where(Order.payment_status.in_(PAID), *_in_year(Order.fiscal_year, year))
            .group_by(Order.unit_id, Order.fiscal_year)
        ),
        2,
    )
    refunded = _totals(
        db.session.execute(
            select(Order.unit_id, Order.fiscal_year, func.sum(Refund.amount))
            .join(Order, Refund.order_id == Order.id)
            .where(Refund.status == RefundStatus.settled, *_in_year(Order.fiscal_year, year))
            .group_by(Order.unit_id, Order.fiscal_year)
        ),
        2,
    )
    keys = set(stored) | set(ledger) | set(paid) | set(refunded)
    result.unit_years = len(keys)
    for unit_id, key_year in sorted(keys):
        key = (unit_id, key_year)
        from_orders = paid.get(key, ZERO) - refunded.get(key, ZERO)
        amounts = (stored.get(key, ZERO), ledger.get(key, ZERO), from_orders)
        if len(set(amounts)) > 1:
            result.differences.append(Difference(unit_id, key_year, None, "amount", *amounts))
        counts = (stored_entries.get(key, 0), ledger_entries.get(key, 0))
        if counts[0] != counts[1]:
            result.differences.append(Difference(unit_id, key_year, None, "entries", *counts, None))


def _check_months(result: Verification, year: int | None) -> None:
    stored = _totals(
        db.session.execute(
            select(
                UnitMonthPurchase.unit_id,
                UnitMonthPurchase.year,
                UnitMonthPurchase.month,
                UnitMonthPurchase.amount,
            ).where(*_in_year(UnitMonthPurchase.year, year))
        ),
        3,
    )
    ledger = _totals(
        db.session.execute(
            select(LedgerEntry.unit_id, LedgerEntry.year, LedgerEntry.month, func.sum(LedgerEntry.amount))
            .where(*_in_year(LedgerEntry.year, year))
            .group_by(LedgerEntry.unit_id, LedgerEntry.year, LedgerEntry.month)
        ),
        3,
    )
    # Group in an outer query: PostgreSQL does not match an expression with bound parameters in the select
    # list to the same expression in GROUP BY.
    payments = (
        select(
            Order.unit_id.label("unit_id"),
            Payment.fiscal_year.label("year"),
            extract("month", Payment.paid_on).label("month"),
            Payment.amount.label("amount"),
        )
        .join(Order, Payment.order_id == Order.id)
        .where(*_in_year(Payment.fiscal_year, year))
        .subquery("paid")
    )
    paid = _totals(
        db.session.execute(
            select(
                payments.c.unit_id, payments.c.year, payments.c.month, func.sum(payments.c.amount)
            ).group_by(payments.c.unit_id, payments.c.year, payments.c.month)
        ),
        3,
    )
    same_year = extract("year", Refund.settled_on) == Payment.fiscal_year
    refunds = (
        select(
            Order.unit_id.label("unit_id"),
            Payment.fiscal_year.label("year"),
            case((same_year, extract("month", Refund.settled_on)), else_=12).label("month"),
            Refund.amount.label("amount"),
        )
        .join(Order, Refund.order_id == Order.id)
        .join(Payment, Payment.order_id == Order.id)
        .where(Refund.status == RefundStatus.settled, *_in_year(Payment.fiscal_year, year))
        .subquery("refunded")
    )
    refunded = _totals(
        db.session.execute(
            select(refunds.c.unit_id, refunds.c.year, refunds.c.month, func.sum(refunds.c.amount)).group_by(
                refunds.c.unit_id, refunds.c.year, refunds.c.month
            )
        ),
        3,
    )
    keys = set(stored) | set(ledger) | set(paid) | set(refunded)
    result.unit_months = len(keys)
    for key in sorted(keys):
        from_orders = paid.get(key, ZERO) - refunded.get(key, ZERO)
        amounts = (stored.get(key, ZERO), ledger.get(key, ZERO), from_orders)
        if len(set(amounts)) > 1:
            result.differences.append(Difference(*key, "amount", *amounts))
