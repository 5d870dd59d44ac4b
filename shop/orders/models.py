"""Orders (one per supplier per checkout), their lines and their event timeline."""

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import BudgetUnit, Supplier, User
from shop.catalogue.models import Product
from shop.common import Money, utcnow
from shop.extensions import db


class OrderStatus(enum.StrEnum):
    placed = "placed"
    shipped = "shipped"
    #: 验收: the buyer accepted the delivered goods.
    received = "received"
    closed = "closed"
    cancelled = "cancelled"


class PaymentStatus(enum.StrEnum):
    unpaid = "unpaid"
    paid = "paid"
    partially_refunded = "partially_refunded"
    refunded = "refunded"


def _enum(cls):
    return db.Enum(cls, native_enum=False, length=24, validate_strings=True)


class Order(db.Model):
    __tablename__ = "purchase_order"
    __table_args__ = (
        CheckConstraint("total >= 0", name="total_not_negative"),
        # A checkout places at most one order per supplier, however often it is submitted.
        UniqueConstraint("checkout_token", "supplier_id", name="uq_purchase_order_checkout_supplier"),
        Index("ix_purchase_order_unit_placed", "unit_id", "placed_at"),
        Index("ix_purchase_order_supplier_placed", "supplier_id", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Human-readable, e.g. ``DD20261129000123``: the day and a counter of that day.
    number: Mapped[str] = mapped_column(String(24), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_unit.id"))
    purchaser_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    status: Mapped[OrderStatus] = mapped_column(_enum(OrderStatus), default=OrderStatus.placed, index=True)
    payment_status: Mapped[PaymentStatus] = mapped_column(
        _enum(PaymentStatus), default=PaymentStatus.unpaid, index=True
    )
    total: Mapped[Decimal] = mapped_column(Money)
    delivery_address: Mapped[str] = mapped_column(String(255))
    delivery_contact: Mapped[str] = mapped_column(String(64))
    delivery_phone: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)
    #: The checkout form's one-time token: a second submit of the same checkout finds these orders.
    checkout_token: Mapped[str] = mapped_column(String(64))
    placed_at: Mapped[datetime] = mapped_column(default=utcnow)
    shipped_at: Mapped[datetime | None]
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime | None]
    #: What the buyer wrote when accepting the goods (验收意见).
    acceptance_note: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None]
    #: The calendar year of the payment, in which the purchase counts (DESIGN.md rule 4).
    fiscal_year: Mapped[int | None]

    unit: Mapped[BudgetUnit] = relationship()
    purchaser: Mapped[User] = relationship()
    supplier: Mapped[Supplier] = relationship()
    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["OrderEvent"]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Order {self.number} {self.status} {self.payment_status}>"


class OrderLine(db.Model):
    """A snapshot of what was bought: later edits of the product never change an order."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("returned_quantity >= 0 AND returned_quantity <= quantity", name="returned_in_range"),
        CheckConstraint("unit_price > 0", name="unit_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id"), index=True)
    product_name: Mapped[str] = mapped_column(String(128))
    spec: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    unit_price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[int]
    amount: Mapped[Decimal] = mapped_column(Money)
    #: Units of this line returned under accepted return requests.
    returned_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product] = relationship()


class OrderEvent(db.Model):
    """One step of an order's timeline: a status change, a payment change, a return …"""

    __tablename__ = "order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    #: None for the system (e.g. automatic closing).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    #: ``status``, ``payment``, ``return`` … what kind of step this is.
    kind: Mapped[str] = mapped_column(String(16), default="status")
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
