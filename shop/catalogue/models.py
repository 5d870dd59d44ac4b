"""Categories, products and their images, and buyers' favourites."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import Region, Supplier, User
from shop.common import Money, utcnow
from shop.extensions import db


class Category(db.Model):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    #: Display order in the catalogue's menu.
    position: Mapped[int] = mapped_column(default=0)


class ProductStatus(enum.StrEnum):
    draft = "draft"
    pending = "pending"
    listed = "listed"
    rejected = "rejected"
    delisted = "delisted"


class Product(db.Model):
    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint("price > 0", name="price_positive"),
        CheckConstraint("market_price IS NULL OR market_price > 0", name="market_price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("min_order_quantity >= 1", name="min_order_quantity_positive"),
        # The catalogue's hot queries: listed products by category / by newest / by sales.
        Index("ix_product_status_category", "status", "category_id"),
        Index("ix_product_status_listed_at", "status", "listed_at"),
        Index("ix_product_status_sales", "status", "sales_count"),
        # Sort by price; the id settles ties so that pages do not overlap.
        Index("ix_product_status_price", "status", "price", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    name: Mapped[str] = mapped_column(String(128))
    #: 规格, e.g. "5kg/袋".
    spec: Mapped[str] = mapped_column(String(64))
    #: The sales unit (袋, 箱, 斤 …): quantities are whole numbers of it.
    unit: Mapped[str] = mapped_column(String(16))
    price: Mapped[Decimal] = mapped_column(Money)
    #: A market reference price, for the operator's price monitoring.
    market_price: Mapped[Decimal | None] = mapped_column(Money)
    stock: Mapped[int] = mapped_column(default=0)
    #: 起订量: the smallest quantity one order line may ask for.
    min_order_quantity: Mapped[int] = mapped_column(default=1)
    #: The poverty county the product comes from.
    origin_region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    #: 扶贫产品认定 certificate number, if certified.
    certification_number: Mapped[str | None] = mapped_column(String(64))
    is_green: Mapped[bool] = mapped_column(default=False)
    is_organic: Mapped[bool] = mapped_column(default=False)
    is_geographic_indication: Mapped[bool] = mapped_column(default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[ProductStatus] = mapped_column(
        db.Enum(ProductStatus, native_enum=False, length=16, validate_strings=True),
        default=ProductStatus.draft,
    )
    #: Why the operator rejected it (shown to the supplier).
    status_reason: Mapped[str | None] = mapped_column(Text)
    #: Units sold on orders that were not cancelled (kept with the order, for sorting by sales).
    sales_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: When it was last approved for listing (sort by newest).
    listed_at: Mapped[datetime | None]
    #: Search tokens of the name, and of the spec and description (shop.catalogue.search): kept current
    #: by ``_fill_search_columns`` below; indexed by the database's full-text index (migration 0004).
    #: Only the database reads them: never loaded unless asked for.
    search_name: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="", deferred=True)

    supplier: Mapped[Supplier] = relationship()
    category: Mapped[Category] = relationship()
    origin_region: Mapped[Region] = relationship()
    images: Mapped[list["ProductImage"]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.name} {self.status}>"

    @property
    def is_buyable(self) -> bool:
        return self.status == ProductStatus.listed and self.supplier.can_list_products


_SEARCHED = ("name", "spec", "description")


@event.listens_for(Product, "before_insert")
def _index_new_product(_mapper, _connection, product: Product) -> None:
    _fill_search_columns(product)


@event.listens_for(Product, "before_update")
def _index_changed_product(_mapper, _connection, product: Product) -> None:
    # Most updates (stock, status, sales) leave the texts alone: no tokens to recompute, nothing to load.
    state = inspect(product)
    if any(state.attrs[key].history.has_changes() for key in _SEARCHED):
        _fill_search_columns(product)


def _fill_search_columns(product: Product) -> None:
    """Keep the search tokens in step with the texts whenever the ORM writes a product (bulk Core writes
    call ``search_columns`` themselves)."""
    from shop.catalogue.search import search_columns  # search.py queries this model: imported late

    for key, value in search_columns(product.name, product.spec, product.description).items():
        setattr(product, key, value)


class ProductImage(db.Model):
    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Stored file names under the upload folder (never the user's own file name).
    filename: Mapped[str] = mapped_column(String(64))
    thumbnail: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))

    product: Mapped[Product] = relationship(back_populates="images")


class Favourite(db.Model):
    __tablename__ = "favourite"
    __table_args__ = (UniqueConstraint("user_id", "product_id", name="uq_favourite_user_product"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    product: Mapped[Product] = relationship()
