"""The suppliers' side of a report: admission and listing rates of the suppliers registered in a region, and
where the counted purchases of a level's units went, by supplier and by poverty county.

Cost: admission and products are two grouped counts over the region's suppliers and their products. Sales
group the year's ledger entries of the level's units by their order's supplier in ONE query: it reads every
ledger entry of those units for the year (through ``ix_purchase_ledger_unit_year``) and joins each to its
order by primary key, so it is O(counted orders of the level), unlike the main report (O(units)); it is a
page of its own for that reason. The supplier names and counties are one more query.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func, select

from accounts.models import Region, Supplier, SupplierStatus
from accounts.models.orgs import subtree_select
from quotas.reports.figures import ZERO, ratio
from quotas.reports.loading import unit_ids
from shop.catalogue.models import Product, ProductStatus
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.models import LedgerEntry


@dataclass
class SupplierSales:
    id: int
    name: str
    county_id: int
    county_code: str
    county_name: str
    is_poverty_county: bool
    #: Registered poverty households linked to the supplier (带动脱贫户数).
    households: int
    #: Orders with a counted entry (a refunded order still counts once).
    orders: int
    #: Counted purchases from this supplier (payments minus refunds).
    amount: Decimal


@dataclass
class CountySales:
    id: int
    code: str
    name: str
    is_poverty_county: bool
    suppliers: int = 0
    households: int = 0
    orders: int = 0
    amount: Decimal = ZERO


@dataclass
class SupplierFigures:
    """None for the admission and product figures when the level is a unit (suppliers are not a unit's)."""

    applied: int | None = None
    admitted: int | None = None
    admission_rate: Decimal | None = None
    submitted_products: int | None = None
    listed_products: int | None = None
    listing_rate: Decimal | None = None
    #: Households linked to the admitted suppliers registered in the region.
    households: int | None = None
    by_supplier: list[SupplierSales] = field(default_factory=list)
    by_county: list[CountySales] = field(default_factory=list)
    purchased: Decimal = ZERO


def supplier_figures(year: int, *, region: Region | None = None, unit_filter=None, registry: bool = True):
    """The suppliers' figures of a level: ``unit_filter`` (a where-clause on ``BudgetUnit``, None for all)
    chooses the buying units; with ``registry``, the suppliers registered in ``region``'s subtree (the whole
    platform for None) give the admission and listing figures."""
    figures = SupplierFigures()
    if registry:
        _add_registry(figures, region)
    _add_sales(figures, year, unit_filter)
    return figures


def _add_registry(figures: SupplierFigures, region: Region | None) -> None:
    where = []
    if region is not None:
        where.append(Supplier.region_id.in_(subtree_select(Region, region.id, name="supplier_regions")))
    by_status = dict(
        db.session.execute(
            select(Supplier.status, func.count()).where(*where).group_by(Supplier.status)
        ).all()
    )
    households = db.session.scalar(
        select(func.coalesce(func.sum(Supplier.households), 0)).where(
            *where, Supplier.status == SupplierStatus.admitted
        )
    )
    figures.applied = sum(by_status.values())
    # Suspended suppliers were admitted once: admission counts them.
    figures.admitted = by_status.get(SupplierStatus.admitted, 0) + by_status.get(SupplierStatus.suspended, 0)
    figures.admission_rate = ratio(Decimal(figures.admitted), Decimal(figures.applied))
    figures.households = int(households or 0)
    products = select(Product.status, func.count()).join(Supplier, Product.supplier_id == Supplier.id)
    by_product = dict(db.session.execute(products.where(*where).group_by(Product.status)).all())
    # Submitted for review at least once: everything but drafts. Delisted products were listed.
    figures.submitted_products = sum(
        count for status, count in by_product.items() if status != ProductStatus.draft
    )
    figures.listed_products = by_product.get(ProductStatus.listed, 0)
    figures.listing_rate = ratio(Decimal(figures.listed_products), Decimal(figures.submitted_products))


def _add_sales(figures: SupplierFigures, year: int, unit_filter) -> None:
    where = [LedgerEntry.year == year]
    if unit_filter is not None:
        where.append(LedgerEntry.unit_id.in_(unit_ids(unit_filter)))
    sales = (
        select(
            Order.supplier_id.label("supplier_id"),
            func.sum(LedgerEntry.amount).label("amount"),
            func.count(func.distinct(LedgerEntry.order_id)).label("orders"),
        )
        .join(Order, LedgerEntry.order_id == Order.id)
        .where(*where)
        .group_by(Order.supplier_id)
        .subquery("sales")
    )
    rows = db.session.execute(
        select(
            Supplier.id,
            Supplier.name,
            Supplier.households,
            Region.id,
            Region.code,
            Region.name,
            Region.is_poverty_county,
            sales.c.orders,
            sales.c.amount,
        )
        .join(sales, sales.c.supplier_id == Supplier.id)
        .join(Region, Supplier.region_id == Region.id)
        .order_by(sales.c.amount.desc(), Supplier.id)
    ).all()
    counties: dict[int, CountySales] = {}
    for supplier_id, name, households, county_id, code, county, poverty, orders, amount in rows:
        amount = Decimal(amount or 0).quantize(Decimal("0.01"))
        figures.by_supplier.append(
            SupplierSales(supplier_id, name, county_id, code, county, poverty, households, orders, amount)
        )
        entry = counties.setdefault(county_id, CountySales(county_id, code, county, poverty))
        entry.suppliers += 1
        entry.households += households
        entry.orders += orders
        entry.amount += amount
        figures.purchased += amount
    figures.by_county = sorted(counties.values(), key=lambda county: (-county.amount, county.code))
