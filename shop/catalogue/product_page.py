"""What a product's page shows: the product with its supplier, origin, category and images, and the latest
evaluations of its supplier."""

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from accounts.models import Region, Supplier
from shop.aftersales.models import Evaluation
from shop.catalogue.browse import MAX_ID
from shop.catalogue.models import Product
from shop.extensions import db


def product_with_details(product_id: int) -> Product | None:
    """A product with what its page shows (supplier and county, origin, category, images), or None."""
    if not 0 < product_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Product)
        .options(
            joinedload(Product.supplier).joinedload(Supplier.region),
            # County, city and province: the origin is shown in full (山西省吕梁市兴县).
            joinedload(Product.origin_region).joinedload(Region.parent).joinedload(Region.parent),
            joinedload(Product.category),
            selectinload(Product.images),
        )
        .where(Product.id == product_id)
    )


def latest_evaluations(supplier_id: int, limit: int = 10) -> list[Evaluation]:
    """The supplier's most recent evaluations (one query; the authors are not shown, so not loaded)."""
    return db.session.scalars(
        select(Evaluation)
        .where(Evaluation.supplier_id == supplier_id)
        .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        .limit(limit)
    ).all()
