"""Suppliers from poverty counties and their admission."""

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models.orgs import Region
from shop.common import utcnow
from shop.crypto import EncryptedString
from shop.extensions import db


class SupplierKind(enum.StrEnum):
    enterprise = "enterprise"
    coop = "coop"
    family_farm = "family_farm"
    #: A trading firm registered in the poverty county, selling on the producers' behalf.
    agent = "agent"


class SupplierStatus(enum.StrEnum):
    applied = "applied"
    recommended = "recommended"
    admitted = "admitted"
    rejected = "rejected"
    suspended = "suspended"


class Supplier(db.Model):
    __tablename__ = "supplier"
    __table_args__ = (CheckConstraint("households >= 0", name="households_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    kind: Mapped[SupplierKind] = mapped_column(
        db.Enum(SupplierKind, native_enum=False, length=16, validate_strings=True)
    )
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    #: The poverty county the supplier is registered in.
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    contact_name: Mapped[str] = mapped_column(String(64))
    contact_phone: Mapped[str] = mapped_column(String(20))
    bank_name: Mapped[str] = mapped_column(String(128))
    #: Encrypted at rest (shop/crypto.py); shown in full only to the operator and the supplier itself.
    bank_account: Mapped[str] = mapped_column(EncryptedString(255))
    #: Number of registered poverty households linked to the supplier (带动脱贫户数).
    households: Mapped[int] = mapped_column(default=0)
    status: Mapped[SupplierStatus] = mapped_column(
        db.Enum(SupplierStatus, native_enum=False, length=16, validate_strings=True),
        default=SupplierStatus.applied,
        index=True,
    )
    #: Why the application was rejected or the supplier suspended.
    status_reason: Mapped[str | None] = mapped_column(Text)
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    recommended_at: Mapped[datetime | None]
    admitted_at: Mapped[datetime | None]

    region: Mapped[Region] = relationship()

    def __repr__(self) -> str:
        return f"<Supplier {self.name} {self.status}>"

    @property
    def can_list_products(self) -> bool:
        return self.status == SupplierStatus.admitted
