"""The append-only audit log."""

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, event
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


class AuditSeal(db.Model):
    """The link of one audit entry in the tamper-evident chain: ``hash`` is SHA-256 over the entry's content
    and ``prev_hash``, the hash of the seal before it (``seq`` - 1). Written when the entry's transaction
    commits, after locking :class:`AuditChain`, so the chain has one order across processes. Append-only, like
    the entries (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_seal"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entry.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(db.Model):
    """The head of the chain (one row, id 1): the last seal's ``seq`` and ``hash``. Locked while sealing."""

    __tablename__ = "audit_chain"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64), default="0" * 64)
