"""The append-only audit log."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shop.common import utcnow
from shop.extensions import db


class AuditEntry(db.Model):
    """One state change or administrative act. Rows are never updated or deleted (triggers refuse it)."""

    __tablename__ = "audit_entry"
    #: The history of one object (a supplier's admission, an account) is read by object.
    __table_args__ = (Index("ix_audit_entry_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    #: None for the system (CLI, demo loader) or an anonymous visitor (registration, failed login).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    #: Dotted verb, e.g. ``account.create``, ``supplier.admit``, ``import.units``.
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[int | None]
    #: What changed, as plain JSON (never a password).
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    actor = relationship("User")


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _refuse_change(mapper, connection, target):
    raise RuntimeError("the audit log is append-only")
