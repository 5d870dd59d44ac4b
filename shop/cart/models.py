"""The purchaser's cart, kept in the database so it follows the purchaser across devices and processes."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from shop.catalogue.models import Product
from shop.common import Money, utcnow
from shop.extensions import db


class CartItem(db.Model):
    __tablename__ = "cart_item"
    __table_args__ = (
        UniqueConstraint("user_id", "product_id", name="uq_cart_item_user_product"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    quantity: Mapped[int]
    #: The price the purchaser saw when adding it: checkout refuses a cart whose prices changed since.
    price_seen: Mapped[Decimal] = mapped_column(Money)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()
    product: Mapped[Product] = relationship()
