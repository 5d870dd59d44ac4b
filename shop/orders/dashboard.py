"""A supplier's figures: sales by month, top products, buyers' regions (ratings: shop.aftersales.ratings).

Each figure is one grouped query. Sales count the orders not cancelled, at their order totals (returns are
refunds, which the payments issue accounts for), in the month they were placed (UTC month).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import extract, func, select

from accounts.models import BudgetUnit, Region
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderLine, OrderStatus

MONTHS = 12
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class MonthSales:
    year: int
    month: int
    orders: int
    total: Decimal

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


@dataclass(frozen=True)
class ProductSales:
    product_id: int
    name: str
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class RegionSales:
    region_id: int
    name: str
    orders: int
    total: Decimal


def last_months(today: date, months: int = MONTHS) -> list[tuple[int, int]]:
    """The (year, month) of the last ``months`` months, oldest first, ending with ``today``'s month."""
    index = today.year * 12 + today.month - 1
    return [(i // 12, i % 12 + 1) for i in range(index - months + 1, index + 1)]


def _window_start(today: date, months: int = MONTHS) -> datetime:
    year, month = last_months(today, months)[0]
    return datetime(year, month, 1)


def _counted(supplier_id: int, today: date):
    """The where-clause of the orders a supplier's figures count: not cancelled, in the window."""
    return (
        Order.supplier_id == supplier_id,
        Order.status != OrderStatus.cancelled,
        Order.placed_at >= _window_start(today),
    )


def sales_by_month(supplier_id: int, today: date | None = None) -> list[MonthSales]:
    """The supplier's orders and sales of each of the last 12 months, oldest first (months without sales
    show zero)."""
    today = today or utcnow().date()
    year, month = extract("year", Order.placed_at), extract("month", Order.placed_at)
    rows = db.session.execute(
        select(year, month, func.count(Order.id), func.sum(Order.total))
        .where(*_counted(supplier_id, today))
        .group_by(year, month)
    )
    found = {(int(y), int(m)): (count, Decimal(total or 0)) for y, m, count, total in rows}
    result = []
    for y, m in last_months(today):
        count, total = found.get((y, m), (0, ZERO))
        result.append(MonthSales(y, m, count, total.quantize(ZERO)))
    return result


def top_products(supplier_id: int, today: date | None = None, limit: int = 10) -> list[ProductSales]:
    """The supplier's products by quantity ordered in the last 12 months, most first."""
    today = today or utcnow().date()
    quantity = func.sum(OrderLine.quantity)
    rows = db.session.execute(
        select(OrderLine.product_id, func.max(OrderLine.product_name), quantity, func.sum(OrderLine.amount))
        .join(Order, OrderLine.order_id == Order.id)
        .where(*_counted(supplier_id, today))
        .group_by(OrderLine.product_id)
        .order_by(quantity.desc(), OrderLine.product_id)
        .limit(limit)
    )
    return [ProductSales(pid, name, int(q), Decimal(amount).quantize(ZERO)) for pid, name, q, amount in rows]


def buyer_regions(supplier_id: int, today: date | None = None) -> list[RegionSales]:
    """The supplier's orders of the last 12 months grouped by the buying unit's region (county or city),
    largest total first."""
    today = today or utcnow().date()
    total = func.sum(Order.total)
    rows = db.session.execute(
        select(Region.id, Region.name, func.count(Order.id), total)
        .join(BudgetUnit, Order.unit_id == BudgetUnit.id)
        .join(Region, BudgetUnit.region_id == Region.id)
        .where(*_counted(supplier_id, today))
        .group_by(Region.id, Region.name)
        .order_by(total.desc(), Region.id)
    )
    return [
        RegionSales(rid, name, count, Decimal(amount).quantize(ZERO)) for rid, name, count, amount in rows
    ]
