"""Reserved shares: the yearly policy of a jurisdiction and each budget unit's yearly filing.

What a unit has bought is not stored here: quotas reads the purchase ledger of ``shop.payments``.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import BudgetUnit, Region, User
from shop.common import Money, utcnow
from shop.extensions import db

#: The national default minimum reserve ratio from 2021 (DESIGN.md rule 2).
NATIONAL_MIN_RATIO = Decimal("0.10")

Ratio = Numeric(5, 4, asdecimal=True)


class QuotaPolicy(db.Model):
    """A jurisdiction's rules for one year; units below it inherit the nearest ancestor's policy."""

    __tablename__ = "quota_policy"
    __table_args__ = (
        UniqueConstraint("region_id", "year", name="uq_quota_policy_region_year"),
        CheckConstraint("min_ratio > 0 AND min_ratio <= 1", name="min_ratio_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"))
    year: Mapped[int]
    #: e.g. 0.3000 for 30 %.
    min_ratio: Mapped[Decimal] = mapped_column(Ratio)
    filing_deadline: Mapped[date]
    #: The reserved amount may not fall below last year's approved amount.
    not_below_last_year: Mapped[bool] = mapped_column(default=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    region: Mapped[Region] = relationship()
    updated_by: Mapped[User | None] = relationship()


class CanteenStatus(enum.StrEnum):
    #: 自有食堂: must reserve.
    own = "own"
    #: 外包食堂: must reserve.
    outsourced = "outsourced"
    #: 共用食堂: the named unit files for all; this unit files no amount.
    shared = "shared"
    #: 无食堂: no quota; purchases still count.
    none = "none"


class FilingStatus(enum.StrEnum):
    draft = "draft"
    #: Waiting for the supervising unit's manager (or, for a unit without one, the finance bureau).
    submitted = "submitted"
    #: The supervising unit approved; waiting for the finance bureau.
    endorsed = "endorsed"
    #: Approved by the finance bureau: locked; a change is a new version.
    approved = "approved"
    #: Sent back with a reason; the unit refiles as a new version.
    returned = "returned"


class QuotaFiling(db.Model):
    """One version of a unit's yearly filing (预留份额填报). Versions of a unit-year are numbered 1, 2, …;
    the history stays. Reports read, per unit-year, the newest approved version, or failing that the newest
    one under review."""

    __tablename__ = "quota_filing"
    __table_args__ = (
        UniqueConstraint("unit_id", "year", "version", name="uq_quota_filing_unit_year_version"),
        CheckConstraint("planned_total >= 0", name="planned_not_negative"),
        CheckConstraint("reserved_amount >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved_amount <= planned_total", name="reserved_within_planned"),
        CheckConstraint("shared_with_id IS NULL OR shared_with_id <> unit_id", name="not_shared_with_itself"),
        Index("ix_quota_filing_year_status", "year", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_unit.id"), index=True)
    year: Mapped[int]
    version: Mapped[int] = mapped_column(default=1)
    canteen_status: Mapped[CanteenStatus] = mapped_column(
        db.Enum(CanteenStatus, native_enum=False, length=16, validate_strings=True)
    )
    #: For a shared canteen: the unit that files for all.
    shared_with_id: Mapped[int | None] = mapped_column(ForeignKey("budget_unit.id"))
    #: Planned farm-product purchasing for the year (0 for shared / no canteen).
    planned_total: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    reserved_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    status: Mapped[FilingStatus] = mapped_column(
        db.Enum(FilingStatus, native_enum=False, length=16, validate_strings=True), default=FilingStatus.draft
    )
    #: The effective minimum ratio when it was submitted (the policy may change later).
    min_ratio: Mapped[Decimal | None] = mapped_column(Ratio)
    #: Submitted after the effective filing deadline.
    late: Mapped[bool] = mapped_column(default=False)

    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    endorsed_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str | None] = mapped_column(Text)

    unit: Mapped[BudgetUnit] = relationship(foreign_keys=[unit_id])
    shared_with: Mapped[BudgetUnit | None] = relationship(foreign_keys=[shared_with_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    endorsed_by: Mapped[User | None] = relationship(foreign_keys=[endorsed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])

    @property
    def ratio(self) -> Decimal | None:
        """预留比例 = reserved / planned (None when nothing is planned)."""
        if not self.planned_total:
            return None
        return self.reserved_amount / self.planned_total

    def __repr__(self) -> str:
        return f"<QuotaFiling unit={self.unit_id} {self.year} v{self.version} {self.status}>"
