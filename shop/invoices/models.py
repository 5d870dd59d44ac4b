"""Invoices and credit notes: documents a supplier issues once and never changes.

An ``Invoice`` row is the record of an issued document: its number, a snapshot of everything printed on it
(seller, buyer, lines, amounts, dates, the verification address) and the SHA-256 of the PDF made from that
snapshot. The PDF made at issue is kept beside it (``InvoicePdf``, as immutable), so a download or a month's
ZIP sends stored bytes instead of typesetting again (~0.1 s a document); the snapshot stays the record, and
``shop.invoices.render`` makes the same bytes from it again (documents issued before migration 0010 have no
stored PDF and are made on download, checked against the hash).

Sign convention (the same as the purchase ledger's): ``total`` is positive for an invoice and negative for
a credit note, and the snapshot's line amounts carry the same sign, so summing a month's documents gives
what was invoiced net of credits.

Numbers: one series per supplier and calendar year (Beijing), shared by both kinds and drawn from the
counter row ``invoice:<supplier id>:<year>`` (``shop.counters``), so a supplier's serials of a year run
1, 2, 3 … without gaps or repeats; the prefix tells the kind: ``FP2026-000001`` (发票) for an invoice,
``HC2026-000002`` (红冲) for a credit note.
"""

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from accounts.models import BudgetUnit, Supplier, User
from shop.aftersales.models import Refund
from shop.common import Money, utcnow
from shop.extensions import db
from shop.orders.models import Order


class InvoiceKind(enum.StrEnum):
    invoice = "invoice"
    #: 红字发票 / 红冲: cancels (part of) an invoice for a settled refund.
    credit_note = "credit_note"


#: The number prefix of each kind.
PREFIXES = {InvoiceKind.invoice: "FP", InvoiceKind.credit_note: "HC"}


class Invoice(db.Model):
    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("supplier_id", "year", "serial", name="uq_invoice_supplier_year_serial"),
        CheckConstraint(
            "(kind = 'invoice' AND total > 0 AND refund_id IS NULL AND invoice_id IS NULL)"
            " OR (kind = 'credit_note' AND total < 0 AND refund_id IS NOT NULL AND invoice_id IS NOT NULL)",
            name="kind_fields",
        ),
        # One invoice per order (credit notes are many, one per refund: ``refund_id`` is unique).
        Index(
            "uq_invoice_one_per_order",
            "order_id",
            unique=True,
            sqlite_where=text("kind = 'invoice'"),
            postgresql_where=text("kind = 'invoice'"),
        ),
        # The finance bureau's month of a unit's (or a county's units') documents.
        Index("ix_invoice_unit_issued_on", "unit_id", "issued_on"),
        Index("ix_invoice_supplier_issued_on", "supplier_id", "issued_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("supplier.id"))
    #: The buying unit, from the order: what finance bureaus select by.
    unit_id: Mapped[int] = mapped_column(ForeignKey("budget_unit.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    kind: Mapped[InvoiceKind] = mapped_column(
        db.Enum(InvoiceKind, native_enum=False, length=16, validate_strings=True)
    )
    #: The calendar year (Beijing) of ``issued_on``: the numbering series.
    year: Mapped[int]
    #: The place in the supplier's series of the year, from the counter row.
    serial: Mapped[int]
    #: ``FP2026-000001`` / ``HC2026-000002``: prefix, year and serial, as printed.
    number: Mapped[str] = mapped_column(String(24))
    #: The settled refund a credit note is for.
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refund.id"), unique=True)
    #: The invoice a credit note corrects.
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoice.id"), index=True)
    #: Positive for an invoice, negative for a credit note.
    total: Mapped[Decimal] = mapped_column(Money)
    #: Everything printed on the document, as plain JSON (amounts as strings): the document's content.
    snapshot: Mapped[dict] = mapped_column(JSON)
    #: SHA-256 (hex) of the PDF rendered from ``snapshot`` when the document was issued.
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    #: The short code printed on the document and in its QR code; ``/verify/<code>`` shows the document.
    verify_code: Mapped[str] = mapped_column(String(16), unique=True)
    #: The Beijing calendar date of issue, printed on the document.
    issued_on: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    supplier: Mapped[Supplier] = relationship()
    unit: Mapped[BudgetUnit] = relationship()
    order: Mapped[Order] = relationship()
    refund: Mapped[Refund | None] = relationship()
    invoice: Mapped["Invoice | None"] = relationship(remote_side=[id])
    issued_by: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Invoice {self.number} {self.kind} {self.total}>"

    @property
    def filename(self) -> str:
        """The PDF's file name: the number (unique per supplier) and the supplier's id."""
        return f"{self.number}-S{self.supplier_id}.pdf"


class InvoicePdf(db.Model):
    """The PDF of an issued document, as made at issue (its SHA-256 is ``Invoice.pdf_sha256``). Kept apart
    from ``invoice`` so lists never read the bytes. Never changes (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "invoice_pdf"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoice.id"), primary_key=True, autoincrement=False)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
