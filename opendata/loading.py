"""Reading the orders of a year in batches, as plain rows, for the OCDS releases.

A city's year is ~25,000 orders: nothing here loads them all at once, and nothing runs a query per order.
``batches`` walks the orders placed in a Beijing calendar year (optionally of the budget units of a
region's subtree) in id order, ``size`` at a time (keyset on the id, so a batch costs the same at the end
as at the start), and reads for each batch, in one query each: the orders with their unit and supplier,
their lines, their payments, their settled refunds, their invoices and credit notes, and the counting
filings (``quotas.rules``) of the units and years they count in. Rows are plain dataclasses, not ORM
objects, so the session's identity map does not grow with the year.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import select

from accounts.models import BudgetUnit, Region, Supplier, SupplierKind
from accounts.models.orgs import subtree_select
from quotas.filing.queries import counting_for
from quotas.models import CanteenStatus, FilingStatus
from shop.aftersales.models import Refund, RefundStatus
from shop.common import BEIJING
from shop.extensions import db
from shop.invoices.models import Invoice, InvoiceKind
from shop.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from shop.payments.models import Payment

#: Orders per batch: large enough that the fixed queries per batch cost little, small enough for memory.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Organisation:
    id: int
    name: str
    credit_code: str
    #: The full name of its region (province, city, county), e.g. 山西省吕梁市兴县.
    region: str
    #: Suppliers only.
    kind: SupplierKind | None = None


@dataclass(frozen=True)
class Line:
    id: int
    product_name: str
    spec: str
    unit: str
    unit_price: Decimal
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class PaymentRow:
    amount: Decimal
    paid_on: date
    fiscal_year: int


@dataclass(frozen=True)
class RefundRow:
    id: int
    amount: Decimal
    settled_on: date
    settled_at: datetime


@dataclass(frozen=True)
class DocumentRow:
    """An invoice or a credit note (its public verification code, never its PDF)."""

    id: int
    kind: InvoiceKind
    number: str
    total: Decimal
    issued_at: datetime
    verify_code: str


@dataclass(frozen=True)
class BudgetRow:
    """The counting filing of a unit-year: its reserved share."""

    id: int
    year: int
    version: int
    status: FilingStatus
    canteen_status: CanteenStatus
    planned_total: Decimal
    reserved_amount: Decimal
    #: When the version last changed (created, submitted, endorsed, approved): the release shows it.
    changed_at: datetime


@dataclass
class OrderRow:
    id: int
    number: str
    status: OrderStatus
    payment_status: PaymentStatus
    total: Decimal
    placed_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    fiscal_year: int | None
    unit: Organisation
    supplier: Organisation
    lines: list[Line] = field(default_factory=list)
    payment: PaymentRow | None = None
    refunds: list[RefundRow] = field(default_factory=list)
    documents: list[DocumentRow] = field(default_factory=list)
    #: The counting filing of the unit for ``budget_year``, if it filed.
    budget: BudgetRow | None = None

    @property
    def budget_year(self) -> int:
        """The year the purchase counts in: that of its payment (DESIGN.md rule 4); for an unpaid order,
        the Beijing year it was placed in."""
        if self.fiscal_year is not None:
            return self.fiscal_year
        return self.placed_at.replace(tzinfo=UTC).astimezone(BEIJING).year


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The naive-UTC instants at which Beijing's calendar ``year`` starts and the next one starts."""

    def start(y: int) -> datetime:
        return datetime(y, 1, 1, tzinfo=BEIJING).astimezone(UTC).replace(tzinfo=None)

    return start(year), start(year + 1)


def region_names() -> dict[int, str]:
    """The full name of every region, by id (one query: the region table is small, a few thousand rows
    for the whole country)."""
    rows = {
        row.id: (row.name, row.parent_id)
        for row in db.session.execute(select(Region.id, Region.name, Region.parent_id))
    }
    names: dict[int, str] = {}
    for region_id in rows:
        parts, current = [], region_id
        while current is not None and len(parts) < 10:
            name, parent_id = rows[current]
            parts.append(name)
            current = parent_id
        names[region_id] = "".join(reversed(parts))
    return names


def _order_query(year: int, region: Region | None):
    start, end = year_bounds(year)
    query = (
        select(
            Order.id,
            Order.number,
            Order.status,
            Order.payment_status,
            Order.total,
            Order.placed_at,
            Order.shipped_at,
            Order.received_at,
            Order.closed_at,
            Order.cancelled_at,
            Order.fiscal_year,
            BudgetUnit.id.label("unit_id"),
            BudgetUnit.name.label("unit_name"),
            BudgetUnit.credit_code.label("unit_credit_code"),
            BudgetUnit.region_id.label("unit_region_id"),
            Supplier.id.label("supplier_id"),
            Supplier.name.label("supplier_name"),
            Supplier.credit_code.label("supplier_credit_code"),
            Supplier.region_id.label("supplier_region_id"),
            Supplier.kind.label("supplier_kind"),
        )
        .join(BudgetUnit, BudgetUnit.id == Order.unit_id)
        .join(Supplier, Supplier.id == Order.supplier_id)
        .where(Order.placed_at >= start, Order.placed_at < end)
    )
    if region is not None:
        query = query.where(BudgetUnit.region_id.in_(subtree_select(Region, region.id)))
    return query


def batches(
    year: int, region: Region | None = None, size: int = BATCH_SIZE, after: int = 0
) -> Iterator[list[OrderRow]]:
    """The orders placed in Beijing's calendar ``year`` (of the units in ``region``'s subtree, if given),
    with an id above ``after``, ``size`` at a time in id order, each with everything its release shows. A
    fixed number of queries per batch (six), plus one for the region names."""
    names = region_names()
    base = _order_query(year, region)
    while True:
        rows = db.session.execute(base.where(Order.id > after).order_by(Order.id).limit(size)).all()
        if not rows:
            return
        orders = [_order(row, names) for row in rows]
        _complete(orders)
        yield orders
        if len(rows) < size:
            return
        after = rows[-1].id


def _order(row, names: dict[int, str]) -> OrderRow:
    return OrderRow(
        id=row.id,
        number=row.number,
        status=row.status,
        payment_status=row.payment_status,
        total=row.total,
        placed_at=row.placed_at,
        shipped_at=row.shipped_at,
        received_at=row.received_at,
        closed_at=row.closed_at,
        cancelled_at=row.cancelled_at,
        fiscal_year=row.fiscal_year,
        unit=Organisation(
            row.unit_id, row.unit_name, row.unit_credit_code, names.get(row.unit_region_id, "")
        ),
        supplier=Organisation(
            row.supplier_id,
            row.supplier_name,
            row.supplier_credit_code,
            names.get(row.supplier_region_id, ""),
            row.supplier_kind,
        ),
    )


def _complete(orders: list[OrderRow]) -> None:
    """Add the lines, payment, settled refunds, documents and budget of each order (five queries)."""
    by_id = {order.id: order for order in orders}
    ids = list(by_id)
    for row in db.session.execute(
        select(
            OrderLine.id,
            OrderLine.order_id,
            OrderLine.product_name,
            OrderLine.spec,
            OrderLine.unit,
            OrderLine.unit_price,
            OrderLine.quantity,
            OrderLine.amount,
        )
        .where(OrderLine.order_id.in_(ids))
        .order_by(OrderLine.id)
    ):
        by_id[row.order_id].lines.append(
            Line(row.id, row.product_name, row.spec, row.unit, row.unit_price, row.quantity, row.amount)
        )
    for row in db.session.execute(
        select(Payment.order_id, Payment.amount, Payment.paid_on, Payment.fiscal_year).where(
            Payment.order_id.in_(ids)
        )
    ):
        by_id[row.order_id].payment = PaymentRow(row.amount, row.paid_on, row.fiscal_year)
    # Only settled refunds moved money back; a pending one is a debt, not a transaction yet.
    for row in db.session.execute(
        select(Refund.id, Refund.order_id, Refund.amount, Refund.settled_on, Refund.settled_at)
        .where(Refund.order_id.in_(ids), Refund.status == RefundStatus.settled)
        .order_by(Refund.id)
    ):
        by_id[row.order_id].refunds.append(RefundRow(row.id, row.amount, row.settled_on, row.settled_at))
    for row in db.session.execute(
        select(
            Invoice.id,
            Invoice.order_id,
            Invoice.kind,
            Invoice.number,
            Invoice.total,
            Invoice.issued_at,
            Invoice.verify_code,
        )
        .where(Invoice.order_id.in_(ids))
        .order_by(Invoice.id)
    ):
        by_id[row.order_id].documents.append(
            DocumentRow(row.id, row.kind, row.number, row.total, row.issued_at, row.verify_code)
        )
    _add_budgets(orders)


def _add_budgets(orders: list[OrderRow]) -> None:
    """The counting filing of each order's unit and budget year, through the one rule of which version
    counts (``quotas.filing.queries.counting_for``, one query); converted to rows at once."""
    wanted: dict[tuple[int, int], list[OrderRow]] = defaultdict(list)
    for order in orders:
        wanted[(order.unit.id, order.budget_year)].append(order)
    for pair, filing in counting_for(set(wanted)).items():
        budget = BudgetRow(
            filing.id,
            filing.year,
            filing.version,
            filing.status,
            filing.canteen_status,
            filing.planned_total,
            filing.reserved_amount,
            max(
                moment
                for moment in (filing.created_at, filing.submitted_at, filing.endorsed_at, filing.approved_at)
                if moment is not None
            ),
        )
        for order in wanted[pair]:
            order.budget = budget
