"""Arrears (DESIGN.md rule 6): an order whose goods were accepted (received, or closed since) but which is
still unpaid more than ``ARREARS_DAYS`` days after receipt is overdue.

The buying unit's managers see their overdue orders, a finance bureau those of the units in its region's
subtree, the operator all; a supplier sees what it is owed (accepted and unpaid), overdue or not. Every
function takes ``now`` (naive UTC, as stored) and the number of days explicitly, reads through one or two
statements whatever the number of orders, and pages with a keyset (no OFFSET, no COUNT over the list).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import joinedload

from accounts.models import BudgetUnit, Region, RegionLevel, User
from accounts.models.orgs import subtree_select
from accounts.policy import region_scope
from shop import policy
from shop.extensions import db
from shop.orders.models import Order, OrderStatus, PaymentStatus

#: The goods are accepted: what is still unpaid is owed to the supplier.
ACCEPTED = (OrderStatus.received, OrderStatus.closed)
ZERO = Decimal("0.00")


def cutoff(now: datetime, days: int) -> datetime:
    """Orders received before this moment and still unpaid are overdue."""
    return now - timedelta(days=days)


def owed_condition():
    """Accepted and unpaid: what the buyer owes the supplier."""
    return and_(Order.payment_status == PaymentStatus.unpaid, Order.status.in_(ACCEPTED))


def overdue_condition(now: datetime, days: int):
    """Accepted, unpaid, and received more than ``days`` days before ``now``."""
    return and_(owed_condition(), Order.received_at < cutoff(now, days))


@dataclass
class OwedRow:
    order: Order
    #: Whole days since the goods were accepted.
    age_days: int
    overdue: bool


@dataclass
class ArrearsPage:
    rows: list[OwedRow]
    #: The order id to pass as ``after`` for the next page, or None on the last page.
    next_after: int | None


def _age(order: Order, now: datetime, days: int) -> OwedRow:
    age = max((now - order.received_at).days, 0)
    return OwedRow(order, age, order.received_at < cutoff(now, days))


def _oldest_first_page(query, now: datetime, days: int, after: int | None, limit: int) -> ArrearsPage:
    """A page of ``query``'s orders, oldest receipt first, after the order ``after`` (keyset on
    (received_at, id): every page costs the same however long the list)."""
    if after:
        cursor_at = select(Order.received_at).where(Order.id == after).scalar_subquery()
        query = query.where(
            or_(Order.received_at > cursor_at, and_(Order.received_at == cursor_at, Order.id > after))
        )
    orders = db.session.scalars(
        query.options(joinedload(Order.unit), joinedload(Order.supplier))
        .order_by(Order.received_at, Order.id)
        .limit(limit + 1)
    ).all()
    rows = [_age(order, now, days) for order in orders[:limit]]
    return ArrearsPage(rows, orders[limit - 1].id if len(orders) > limit else None)


# --- buyers, finance bureaus, the operator --------------------------------------------------------------


def overdue_orders(
    user: User,
    *,
    now: datetime,
    days: int,
    county: Region | None = None,
    after: int | None = None,
    limit: int = 50,
) -> ArrearsPage:
    """The overdue orders ``user`` may see (``shop.policy.order_scope``), oldest receipt first, limited to
    the units of ``county``'s subtree when given (the caller checks the county is the user's to choose)."""
    query = select(Order).where(overdue_condition(now, days))
    scope = policy.order_scope(user)
    if scope is not None:
        query = query.where(scope)
    if county is not None:
        in_county = subtree_select(Region, county.id, name="county_tree")
        query = query.where(
            Order.unit_id.in_(select(BudgetUnit.id).where(BudgetUnit.region_id.in_(in_county)))
        )
    return _oldest_first_page(query, now, days, after, limit)


def overdue_summary(user: User, *, now: datetime, days: int, first: int = 5) -> tuple[int, list[Order]]:
    """How many overdue orders ``user`` may see, and the oldest ``first`` of them (a home panel)."""
    where = [overdue_condition(now, days)]
    scope = policy.order_scope(user)
    if scope is not None:
        where.append(scope)
    count = db.session.scalar(select(func.count(Order.id)).where(*where))
    oldest = db.session.scalars(
        select(Order)
        .where(*where)
        .options(joinedload(Order.supplier))
        .order_by(Order.received_at, Order.id)
        .limit(first)
    ).all()
    return count, list(oldest)


def counties_for(user: User) -> list[Region]:
    """The counties a user may filter arrears by: those in a finance bureau's subtree, or all (operator)."""
    query = select(Region).where(Region.level == RegionLevel.county).order_by(Region.code)
    scope = region_scope(user)
    if scope is not None:
        query = query.where(scope)
    return list(db.session.scalars(query))


# --- the supplier: what it is owed ------------------------------------------------------------------------


@dataclass
class Owed:
    """What a supplier is owed: accepted unpaid orders, and the overdue part of them."""

    count: int
    total: Decimal
    overdue_count: int
    overdue_total: Decimal


def owed_to(supplier_id: int, *, now: datetime, days: int) -> Owed:
    """One aggregate over the supplier's accepted unpaid orders."""
    late = Order.received_at < cutoff(now, days)
    row = db.session.execute(
        select(
            func.count(Order.id),
            func.coalesce(func.sum(Order.total), ZERO),
            func.coalesce(func.sum(case((late, 1), else_=0)), 0),
            func.coalesce(func.sum(case((late, Order.total), else_=ZERO)), ZERO),
        ).where(Order.supplier_id == supplier_id, owed_condition())
    ).one()
    return Owed(int(row[0]), _money(row[1]), int(row[2]), _money(row[3]))


def owed_orders(
    supplier_id: int,
    *,
    now: datetime,
    days: int,
    overdue_only: bool = False,
    after: int | None = None,
    limit: int = 50,
) -> ArrearsPage:
    """The supplier's accepted unpaid orders, oldest receipt first (the overdue ones come first)."""
    condition = overdue_condition(now, days) if overdue_only else owed_condition()
    query = select(Order).where(Order.supplier_id == supplier_id, condition)
    return _oldest_first_page(query, now, days, after, limit)


def _money(value) -> Decimal:
    # SQLite sums NUMERIC columns as floats: back to yuan and fen.
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))
