"""User accounts and their roles."""

import enum
import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship
from sqlalchemy.sql.functions import FunctionElement

from accounts.models.orgs import BudgetUnit, Region
from accounts.models.suppliers import Supplier
from shop.common import utcnow
from shop.extensions import db


class Role(enum.StrEnum):
    purchaser = "purchaser"
    unit_manager = "unit_manager"
    supplier = "supplier"
    finance = "finance"
    operator = "operator"


class casefolded(FunctionElement):
    """A username compared case-insensitively, in the form the database indexes (migration 0005).

    PostgreSQL: ``lower(username)``, the expression of a unique functional index. SQLite: ``username
    COLLATE NOCASE``, the column of a unique NOCASE index (SQLAlchemy cannot reflect an expression index on
    SQLite, so ``flask db check`` could not compare one). Usernames are ASCII (``validators``), where NOCASE
    and ``lower`` agree. Compare it with the lower-cased value: ``casefolded(User.username) == name.lower()``;
    either form lets the database find the row through its index instead of scanning the table.
    """

    name = "casefolded"
    type = String()
    inherit_cache = True


@compiles(casefolded)
def _casefolded_lower(element, compiler, **kw):
    return f"lower({compiler.process(element.clauses, **kw)})"


@compiles(casefolded, "sqlite")
def _casefolded_nocase(element, compiler, **kw):
    return f"{compiler.process(element.clauses, **kw)} COLLATE NOCASE"


class User(UserMixin, db.Model):
    __tablename__ = "user_account"
    __table_args__ = (
        # Each role belongs to exactly the organisation DESIGN.md names for it.
        CheckConstraint(
            "(role IN ('purchaser', 'unit_manager') AND unit_id IS NOT NULL"
            " AND supplier_id IS NULL AND region_id IS NULL)"
            " OR (role = 'supplier' AND supplier_id IS NOT NULL AND unit_id IS NULL AND region_id IS NULL)"
            " OR (role = 'finance' AND region_id IS NOT NULL AND unit_id IS NULL AND supplier_id IS NULL)"
            " OR (role = 'operator' AND unit_id IS NULL AND supplier_id IS NULL AND region_id IS NULL)",
            name="role_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(db.Enum(Role, native_enum=False, length=16, validate_strings=True))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("budget_unit.id"), index=True)
    supplier_id: Mapped[int | None] = mapped_column(ForeignKey("supplier.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("region.id"), index=True)
    #: Until activation this holds the initial password's hash; the owner replaces it at first login.
    password_hash: Mapped[str] = mapped_column(String(256))
    #: False once deactivated by a manager: the account can no longer log in.
    enabled: Mapped[bool] = mapped_column(default=True)
    #: Set when the owner first chose their own password ("opened" vs "activated" in the reports).
    activated_at: Mapped[datetime | None]
    #: The password was set by someone else (initial or reset): the owner must choose a new one.
    must_change_password: Mapped[bool] = mapped_column(default=True)
    #: When the current password was set (opened, reset or chosen): an initial password expires
    #: ``INITIAL_PASSWORD_DAYS`` after it. Bulk inserts get the column default.
    password_set_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    #: Preferred interface language ('zh' or 'en'), None for the default.
    locale: Mapped[str | None] = mapped_column(String(8))

    unit: Mapped[BudgetUnit | None] = relationship()
    supplier: Mapped[Supplier | None] = relationship()
    region: Mapped[Region | None] = relationship()

    # Not columns: values a query may select with the account (``with_expression``), None when it did not
    # (or once the account is expired or flushed). The user loader selects both for every page's header.
    #: The organisation's name (``ORGANISATION_NAME``).
    loaded_organisation_name: Mapped[str | None] = query_expression()
    #: How many of the user's notices are unread (``accounts.notices.UNREAD_COUNT``).
    loaded_unread_notices: Mapped[int | None] = query_expression()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login: a deactivated account cannot log in
        return self.enabled

    @property
    def is_activated(self) -> bool:
        return self.activated_at is not None

    def get_id(self) -> str:
        # Binding the session to the password hash ends every other session when the password changes.
        fingerprint = hashlib.sha256(self.password_hash.encode()).hexdigest()[:12]
        return f"{self.id}.{fingerprint}"

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def organisation_name(self) -> str:
        """The name of the budget unit, supplier or finance bureau's region the account belongs to; empty for
        the operator."""
        if self.loaded_organisation_name is not None:
            return self.loaded_organisation_name
        if self.unit is not None:
            return self.unit.name
        if self.supplier is not None:
            return self.supplier.name
        if self.region is not None:
            return self.region.name
        return ""


# Usernames are unique whatever their case: the database, not a check before the insert, decides between two
# simultaneous registrations of "Li" and "li"; the login looks the name up through this index.
Index("uq_user_account_username_casefolded", casefolded(User.username), unique=True)

#: ``User.organisation_name`` in SQL (for ``with_expression(User.loaded_organisation_name, …)``): one row's
#: worth of primary-key lookups, cheaper than joining the three tables.
ORGANISATION_NAME = func.coalesce(
    select(BudgetUnit.name).where(BudgetUnit.id == User.unit_id).scalar_subquery(),
    select(Supplier.name).where(Supplier.id == User.supplier_id).scalar_subquery(),
    select(Region.name).where(Region.id == User.region_id).scalar_subquery(),
    "",
)
