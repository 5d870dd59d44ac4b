"""Regions (GB/T 2260) and budget units, both trees."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.common import utcnow
from shop.extensions import db


class RegionLevel(enum.StrEnum):
    province = "province"
    city = "city"
    county = "county"


class Region(db.Model):
    __tablename__ = "region"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: GB/T 2260 administrative division code, six digits.
    code: Mapped[str] = mapped_column(String(6), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    level: Mapped[RegionLevel] = mapped_column(
        db.Enum(RegionLevel, native_enum=False, length=16, validate_strings=True)
    )
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    #: A (former) poverty county: suppliers and product origins must be in one.
    is_poverty_county: Mapped[bool] = mapped_column(default=False)

    parent: Mapped["Region | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Region"]] = relationship(back_populates="parent", order_by="Region.code")

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"

    def subtree_ids(self):
        """A select of the ids of this region and every region below it (recursive CTE)."""
        return subtree_select(Region, self.id)

    @property
    def full_name(self) -> str:
        names, region = [], self
        while region is not None:
            names.append(region.name)
            region = region.parent
        return "".join(reversed(names))


class BudgetUnit(db.Model):
    __tablename__ = "budget_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    #: Unified social credit code, 18 characters with the GB 32100-2015 check digit.
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("region.id"), index=True)
    #: The supervising unit (主管预算单位), if any.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("budget_unit.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region: Mapped[Region] = relationship()
    parent: Mapped["BudgetUnit | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["BudgetUnit"]] = relationship(back_populates="parent", order_by="BudgetUnit.code")

    def __repr__(self) -> str:
        return f"<BudgetUnit {self.code} {self.name}>"

    def subtree_ids(self):
        """A select of the ids of this unit and every unit it supervises, at any depth."""
        return subtree_select(BudgetUnit, self.id)


def subtree_select(model, root_id: int, name: str | None = None):
    """``SELECT id`` of ``root_id`` and all its descendants through ``model.parent_id``.

    One statement cannot hold two different CTEs of one name: give a second subtree its own ``name``.
    """
    tree = (
        select(model.id).where(model.id == root_id).cte(name or f"{model.__tablename__}_tree", recursive=True)
    )
    tree = tree.union_all(select(model.id).where(model.parent_id == tree.c.id))
    return select(tree.c.id)
