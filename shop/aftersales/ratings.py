"""Performance ratings (履约评价): each supplier's average scores, one grouped query for any number of
suppliers. The catalogue, the product page, the supplier dashboard and the operator's list all use these."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from accounts.models import Supplier
from shop.aftersales.models import Evaluation
from shop.extensions import db

_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Ratings:
    """A supplier's average scores (1–5, one decimal) over its ``count`` evaluations."""

    supplier_id: int
    count: int
    quality: Decimal
    delivery: Decimal
    service: Decimal

    @property
    def overall(self) -> Decimal:
        return ((self.quality + self.delivery + self.service) / 3).quantize(_TENTH)


def _average(total: int, count: int) -> Decimal:
    # Sums of integers divided in Decimal: exact, and the same on every database (AVG is float on some).
    return (Decimal(int(total)) / count).quantize(_TENTH)


def _ratings_select():
    return select(
        Evaluation.supplier_id.label("supplier_id"),
        func.count(Evaluation.id).label("count"),
        func.sum(Evaluation.quality).label("quality"),
        func.sum(Evaluation.delivery).label("delivery"),
        func.sum(Evaluation.service).label("service"),
    ).group_by(Evaluation.supplier_id)


def _ratings(row) -> Ratings:
    supplier_id, count, quality, delivery, service = row
    return Ratings(
        supplier_id, count, _average(quality, count), _average(delivery, count), _average(service, count)
    )


def supplier_ratings(supplier_ids) -> dict[int, Ratings]:
    """The average scores of each of ``supplier_ids`` that has evaluations (one grouped query); suppliers
    without any are absent from the result."""
    ids = set(supplier_ids)
    if not ids:
        return {}
    rows = db.session.execute(_ratings_select().where(Evaluation.supplier_id.in_(ids)))
    return {row[0]: _ratings(row) for row in rows}


@dataclass(frozen=True)
class RatedSupplier:
    supplier: Supplier
    ratings: Ratings


def rated_suppliers(limit: int, offset: int = 0) -> list[RatedSupplier]:
    """Every evaluated supplier with its ratings, lowest overall average first (those to look at), in one
    query; ``limit``/``offset`` page it."""
    counts = _ratings_select().subquery()
    c = counts.c
    # Ordering only: the shown averages are computed in Decimal by ``_ratings``.
    overall = (c.quality + c.delivery + c.service) * 1.0 / c.count
    rows = db.session.execute(
        select(Supplier, c.supplier_id, c.count, c.quality, c.delivery, c.service)
        .join(counts, Supplier.id == c.supplier_id)
        .options(joinedload(Supplier.region))
        .order_by(overall, Supplier.id)
        .limit(limit)
        .offset(offset)
    )
    return [RatedSupplier(row[0], _ratings(row[1:])) for row in rows]
