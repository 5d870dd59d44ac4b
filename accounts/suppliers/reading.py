"""Reading suppliers: the admission history, the queues on the home pages, what a page shows, and who is
told of a step."""

from flask import has_request_context, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from accounts import policy
from accounts.models import AuditEntry, Region, Role, Supplier, SupplierStatus, User
from shop.extensions import db

#: The statuses whose reason (``Supplier.status_reason``) the supplier and its reviewers read.
STATUSES_WITH_REASON = frozenset({SupplierStatus.rejected, SupplierStatus.suspended})


def status_history(supplier: Supplier) -> list[AuditEntry]:
    """The supplier's admission steps, newest first, from the audit log (one query)."""
    return db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .where(
            AuditEntry.object_type == Supplier.__tablename__,
            AuditEntry.object_id == supplier.id,
            AuditEntry.action.like("supplier.%"),
        )
        .order_by(AuditEntry.id.desc())
    ).all()


def waiting(user: User, status: SupplierStatus, limit: int = 5) -> tuple[int, list[Supplier]]:
    """How many suppliers in ``user``'s scope have ``status``, and the oldest ``limit`` of them."""
    query = select(Supplier).where(Supplier.status == status)
    scope = policy.supplier_scope(user)
    if scope is not None:
        query = query.where(scope)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    first = (
        db.session.scalars(query.order_by(Supplier.applied_at, Supplier.id).limit(limit)).all()
        if count
        else []
    )
    return count, list(first)


def shown_reason(supplier: Supplier) -> str | None:
    """The reason to show beside the status: only while the supplier is rejected or suspended."""
    if supplier.status in STATUSES_WITH_REASON:
        return supplier.status_reason or None
    return None


def supplier_link(supplier: Supplier) -> str:
    """The supplier's page, for notices (also outside a request, e.g. from the demo loader)."""
    if has_request_context():
        return url_for("suppliers.detail", supplier_id=supplier.id)
    return f"/suppliers/{supplier.id}"


def accounts_of(supplier: Supplier) -> list[User]:
    """The supplier's own enabled accounts (told of every step)."""
    return db.session.scalars(
        select(User).where(User.supplier_id == supplier.id, User.enabled.is_(True))
    ).all()


def operators() -> list[User]:
    """Every enabled operator account (told of each recommendation)."""
    return db.session.scalars(select(User).where(User.role == Role.operator, User.enabled.is_(True))).all()


def finance_over(county: Region) -> list[User]:
    """Finance users whose region is ``county`` or one above it."""
    region_ids, region = [], county
    while region is not None:
        region_ids.append(region.id)
        region = region.parent
    return db.session.scalars(
        select(User).where(User.role == Role.finance, User.enabled.is_(True), User.region_id.in_(region_ids))
    ).all()
