"""After delivery: return requests, the refunds they lead to, and performance evaluations (履约评价)."""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import User
from shop.common import Money, utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderLine


class ReturnStatus(enum.StrEnum):
    requested = "requested"
    accepted = "accepted"
    refused = "refused"


class ReturnRequest(db.Model):
    __tablename__ = "return_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[ReturnStatus] = mapped_column(
        db.Enum(ReturnStatus, native_enum=False, length=16, validate_strings=True),
        default=ReturnStatus.requested,
        index=True,
    )
    reason: Mapped[str] = mapped_column(Text)
    #: The supplier's reason when refusing.
    response: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    order: Mapped[Order] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    lines: Mapped[list["ReturnLine"]] = relationship(back_populates="request", cascade="all, delete-orphan")
    photos: Mapped[list["ReturnPhoto"]] = relationship(back_populates="request", cascade="all, delete-orphan")


class ReturnLine(db.Model):
    __tablename__ = "return_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_request.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id"), index=True)
    quantity: Mapped[int]

    request: Mapped[ReturnRequest] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine] = relationship()


class ReturnPhoto(db.Model):
    __tablename__ = "return_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_request.id"), index=True)
    filename: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(32))

    request: Mapped[ReturnRequest] = relationship(back_populates="photos")


class RefundStatus(enum.StrEnum):
    #: Owed to the buyer; the supplier has not yet recorded paying it back.
    pending = "pending"
    settled = "settled"


class Refund(db.Model):
    """Money owed back to the buyer, from an accepted return or a cancellation after payment."""

    __tablename__ = "refund"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    return_request_id: Mapped[int | None] = mapped_column(ForeignKey("return_request.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[RefundStatus] = mapped_column(
        db.Enum(RefundStatus, native_enum=False, length=16, validate_strings=True),
        default=RefundStatus.pending,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    settled_at: Mapped[datetime | None]
    #: Filled in when the supplier records paying the money back.
    settled_on: Mapped[date | None]
    reference: Mapped[str | None] = mapped_column(String(64))
    settled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    order: Mapped[Order] = relationship()
    return_request: Mapped[ReturnRequest | None] = relationship()


class Evaluation(db.Model):
    """履约评价: the buyer rates an order it received, once."""

    __tablename__ = "evaluation"
    __table_args__ = (
        CheckConstraint("quality BETWEEN 1 AND 5", name="quality_range"),
        CheckConstraint("delivery BETWEEN 1 AND 5", name="delivery_range"),
        CheckConstraint("service BETWEEN 1 AND 5", name="service_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), unique=True)
    #: Denormalised from the order so supplier averages are one indexed aggregate.
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    quality: Mapped[int]
    delivery: Mapped[int]
    service: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
    author: Mapped[User] = relationship()
