"""Payments recorded against orders, and the purchase ledger: the single source of what counts toward a
unit's reserved share (DESIGN.md rule 4).

No payment gateway: buyers pay by official card (公务卡) or bank transfer (对公转账) outside the platform and
record it here. Every payment adds a ledger entry, every settled refund a negative one, for the buying unit
and the fiscal year of the payment, in the same transaction (``shop.payments.ledger.add_entry``). The
per-unit year and month totals are maintained by the same call, so reports cost O(units), not O(orders);
``flask quotas verify`` recomputes them from the ledger and from the orders.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import BudgetUnit, User
from shop.aftersales.models import Refund
from shop.common import Money, utcnow
from shop.crypto import EncryptedString
from shop.extensions import db
from shop.orders.models import Order


class PaymentMethod(enum.StrEnum):
    #: 公务卡
    official_card = "official_card"
    #: 对公转账
    bank_transfer = "bank_transfer"


class Payment(db.Model):
    """What the buyer paid for one order (the whole amount due, once)."""

    __tablename__ = "payment"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One payment per order: a second submit finds this row.
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), unique=True)
    method: Mapped[PaymentMethod] = mapped_column(
        db.Enum(PaymentMethod, native_enum=False, length=16, validate_strings=True)
    )
    #: The paying card or bank account (masked wherever shown; encrypted at rest, shop/crypto.py).
    payer_account: Mapped[str] = mapped_column(EncryptedString(255))
    #: The bank's reference of the transfer or card transaction; used once on the platform.
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    #: The day the money left the buyer (entered by the buyer, Beijing calendar).
    paid_on: Mapped[date]
    #: The year the payment counts in: ``paid_on.year``.
    fiscal_year: Mapped[int]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set when the supplier says it has not received this payment.
    disputed_at: Mapped[datetime | None]
    dispute_note: Mapped[str | None] = mapped_column(Text)

    order: Mapped[Order] = relationship()
    recorded_by: Mapped[User] = relationship()


class LedgerKind(enum.StrEnum):
    payment = "payment"
    refund = "refund"


class LedgerEntry(db.Model):
    """One line of the purchase ledger: append-only (database triggers refuse UPDATE and DELETE).

    ``amount`` is positive for a payment and negative for a refund. ``year`` is the fiscal year of the
    payment (a refund counts against the year its payment counted in); ``month`` is the month of that year
    the entry is shown in (a refund settled in a later year shows in December of the payment's year).
    """

    __tablename__ = "purchase_ledger"
    __table_args__ = (
        CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),
        CheckConstraint(
            "(kind = 'payment' AND amount > 0) OR (kind = 'refund' AND amount < 0)", name="sign_matches_kind"
        ),
        Index("ix_purchase_ledger_unit_year", "unit_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_unit.id"))
    year: Mapped[int]
    month: Mapped[int]
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    kind: Mapped[LedgerKind] = mapped_column(
        db.Enum(LedgerKind, native_enum=False, length=8, validate_strings=True)
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id"), unique=True)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[BudgetUnit] = relationship()
    order: Mapped[Order] = relationship()
    payment: Mapped[Payment | None] = relationship()
    refund: Mapped[Refund | None] = relationship()


class UnitYearPurchase(db.Model):
    """The maintained total of a unit's ledger for a year (what counts toward its reserved share)."""

    __tablename__ = "unit_year_purchase"

    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    #: Ledger entries summed in (payments and refunds).
    entries: Mapped[int] = mapped_column(default=0)

    unit: Mapped[BudgetUnit] = relationship()


class UnitMonthPurchase(db.Model):
    """The same total by month, for monthly progress and the straight-line schedule."""

    __tablename__ = "unit_month_purchase"
    __table_args__ = (CheckConstraint("month BETWEEN 1 AND 12", name="month_range"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_unit.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[int] = mapped_column(primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
