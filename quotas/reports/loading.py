"""Reading one ``UnitLine`` per budget unit of a scope, in a constant number of queries.

Purchases come ONLY from the maintained totals (``unit_year_purchase``, ``unit_month_purchase``): a report
costs O(units), never O(orders). Each query restricts the units by the same subquery (a recursive CTE for a
subtree), so no list of ids ever travels to the database and the count of statements is fixed:

1. the units, 2. their accounts, 3. their counting filings, 4–5. the effective policies
(``quotas.rules.policy_resolver``), 6. their year totals, 7. their arrears; ``monthly_totals`` is one more.

Arrears (DESIGN.md rule 6) are the orders received (or closed after receipt) and still unpaid more than
``arrears_days`` days after receipt (whole Beijing days before ``today``), as of today, whatever the year
reported: one grouped query over the unpaid orders (found through the payment-status index), not one per
unit.
"""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import case, func, select, true

from accounts.models import BudgetUnit, Role, User
from quotas.models import QuotaFiling
from quotas.reports.figures import ARREARS_BUCKETS, ZERO, UnitLine
from quotas.rules import counting_filings, policy_resolver
from shop.common import BEIJING
from shop.extensions import db
from shop.orders.models import Order, OrderStatus, PaymentStatus
from shop.payments.models import UnitMonthPurchase, UnitYearPurchase

#: Orders whose goods were accepted: from then on the buyer owes the money.
RECEIVED = (OrderStatus.received, OrderStatus.closed)


def unit_ids(unit_filter) -> object:
    """``SELECT id FROM budget_unit WHERE unit_filter`` (every unit when the filter is None)."""
    query = select(BudgetUnit.id)
    return query if unit_filter is None else query.where(unit_filter)


def _among(column, unit_filter):
    return true() if unit_filter is None else column.in_(unit_ids(unit_filter))


def load_lines(unit_filter, year: int, today: date, arrears_days: int) -> dict[int, UnitLine]:
    """The line of every unit matching ``unit_filter`` (a where-clause on ``BudgetUnit``, None for all), in
    code order, keyed by unit id."""
    lines = {
        row.id: UnitLine(row.id, row.code, row.name, row.region_id, row.parent_id)
        for row in db.session.execute(
            select(
                BudgetUnit.id, BudgetUnit.code, BudgetUnit.name, BudgetUnit.region_id, BudgetUnit.parent_id
            )
            .where(true() if unit_filter is None else unit_filter)
            .order_by(BudgetUnit.code)
        )
    }
    _add_accounts(lines, unit_filter)
    _add_filings(lines, unit_filter, year)
    _add_purchases(lines, unit_filter, year)
    _add_arrears(lines, unit_filter, today, arrears_days)
    return lines


def _add_accounts(lines: dict[int, UnitLine], unit_filter) -> None:
    """Accounts opened (enabled) and activated (their owner chose a password), per unit and role."""
    rows = db.session.execute(
        select(User.unit_id, User.role, func.count(), func.count(User.activated_at))
        .where(
            User.role.in_((Role.unit_manager, Role.purchaser)),
            User.enabled.is_(True),
            _among(User.unit_id, unit_filter),
        )
        .group_by(User.unit_id, User.role)
    )
    for unit_id, role, opened, activated in rows:
        line = lines.get(unit_id)
        if line is None:
            continue
        if role == Role.unit_manager:
            line.manager_opened, line.manager_activated = opened > 0, activated > 0
        else:
            line.purchasers_opened, line.purchasers_activated = opened, activated


def _add_filings(lines: dict[int, UnitLine], unit_filter, year: int) -> None:
    filing = counting_filings(year, among=_among(QuotaFiling.unit_id, unit_filter))
    rows = db.session.execute(
        select(
            filing.c.unit_id,
            filing.c.canteen_status,
            filing.c.status,
            filing.c.planned_total,
            filing.c.reserved_amount,
        ).where(_among(filing.c.unit_id, unit_filter))
    )
    for unit_id, canteen, status, planned, reserved in rows:
        line = lines.get(unit_id)
        if line is not None:
            line.canteen, line.filing_status = canteen, status
            line.planned, line.reserved = planned, reserved
    resolve = policy_resolver(year)
    for line in lines.values():
        line.min_ratio = resolve(line.region_id).min_ratio


def _add_purchases(lines: dict[int, UnitLine], unit_filter, year: int) -> None:
    rows = db.session.execute(
        select(UnitYearPurchase.unit_id, UnitYearPurchase.amount).where(
            UnitYearPurchase.year == year, _among(UnitYearPurchase.unit_id, unit_filter)
        )
    )
    for unit_id, amount in rows:
        if unit_id in lines:
            lines[unit_id].purchased = amount


def beijing_midnight(day: date) -> datetime:
    """The start of a Beijing calendar day as the naive UTC datetime stored in the columns."""
    return datetime.combine(day, time(), BEIJING).astimezone(UTC).replace(tzinfo=None)


def beijing_date(moment: datetime) -> date:
    """The Beijing calendar date of a stored (naive UTC) datetime."""
    return moment.replace(tzinfo=UTC).astimezone(BEIJING).date()


def arrears_bounds(today: date, arrears_days: int) -> list[datetime]:
    """Receipt before ``bounds[k]`` means more than (k + 1) × ``arrears_days`` days unpaid."""
    return [beijing_midnight(today - timedelta(days=arrears_days * k)) for k in range(1, ARREARS_BUCKETS + 1)]


def arrears_query(unit_filter, today: date, arrears_days: int):
    """Per unit and age bucket: count, amount and oldest receipt of the arrears.

    Grouped in an outer query over a subquery: PostgreSQL would not see that a CASE with bound parameters
    in the select list and the same CASE in GROUP BY are one expression.
    """
    # The same reading as shop.payments.arrears: the clock starts when the goods were accepted.
    received = Order.received_at
    bounds = arrears_bounds(today, arrears_days)
    bucket = case(*((received < bounds[k], k) for k in range(ARREARS_BUCKETS - 1, 0, -1)), else_=0)
    owed = (
        select(Order.unit_id, bucket.label("bucket"), Order.total, received.label("received"))
        .where(
            Order.payment_status == PaymentStatus.unpaid,
            Order.status.in_(RECEIVED),
            received < bounds[0],
            _among(Order.unit_id, unit_filter),
        )
        .subquery("arrear")
    )
    return select(
        owed.c.unit_id, owed.c.bucket, func.count(), func.sum(owed.c.total), func.min(owed.c.received)
    ).group_by(owed.c.unit_id, owed.c.bucket)


def _add_arrears(lines: dict[int, UnitLine], unit_filter, today: date, arrears_days: int) -> None:
    for unit_id, bucket, count, amount, oldest in db.session.execute(
        arrears_query(unit_filter, today, arrears_days)
    ):
        line = lines.get(unit_id)
        if line is None:
            continue
        buckets = list(line.arrears_buckets)
        buckets[bucket] = (count, amount or ZERO)
        line.arrears_buckets = buckets
        line.arrears_count += count
        line.arrears_amount += amount or ZERO
        days = (today - beijing_date(oldest)).days
        line.arrears_oldest_days = max(line.arrears_oldest_days or 0, days)


def monthly_totals(unit_filter, year: int) -> list[Decimal]:
    """Counted purchases of the scope in each month of ``year`` (January first), from the month totals."""
    months = [ZERO] * 12
    for month, amount in db.session.execute(
        select(UnitMonthPurchase.month, func.sum(UnitMonthPurchase.amount))
        .where(UnitMonthPurchase.year == year, _among(UnitMonthPurchase.unit_id, unit_filter))
        .group_by(UnitMonthPurchase.month)
    ):
        months[month - 1] = amount or ZERO
    return months
