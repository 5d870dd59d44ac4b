"""Issuing invoices and credit notes; reading them back.

``issue_invoice`` and ``issue_credit_note`` lock the order's row, check, draw the next number of the
supplier's series for the year from its counter row (``shop.counters``: gap-free, never "last + 1"), build
the snapshot of everything the document prints, render its PDF once to store the SHA-256, and write an audit
entry, all in the caller's transaction. They flush, never commit: a rolled-back issue gives its number back.
"""

import secrets
from datetime import date

from flask import current_app
from sqlalchemy import select

from accounts import audit
from accounts.models import User
from shop import policy
from shop.aftersales.models import Refund, RefundStatus
from shop.common import N_, DomainError, lock_row, utcnow
from shop.counters import next_value
from shop.extensions import db
from shop.invoices import render
from shop.invoices.documents import beijing_date, party
from shop.invoices.models import PREFIXES, Invoice, InvoiceKind, InvoicePdf
from shop.money import capital_yuan, line_amount
from shop.orders.models import Order, PaymentStatus
from shop.payments.models import Payment

#: Letters and digits that cannot be misread for one another (Crockford's base 32): codes are typed in.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: 12 characters: 60 random bits, so codes cannot be guessed (the verification page is public).
CODE_LENGTH = 12


class InvoiceError(DomainError):
    """An invoice or credit note was refused; nothing changed."""


def counter_key(supplier_id: int, year: int) -> str:
    """The counter row of a supplier's series of documents for a year."""
    return f"invoice:{supplier_id}:{year}"


def format_number(kind: InvoiceKind, year: int, serial: int) -> str:
    """``FP2026-000001`` (invoice) or ``HC2026-000002`` (credit note)."""
    return f"{PREFIXES[kind]}{year}-{serial:06d}"


def new_verify_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def verify_url(code: str) -> str:
    """The public address that shows a document (printed and in its QR code), from ``PUBLIC_URL``: never
    from the request, and kept in the snapshot so a later change of address does not change the PDF."""
    return f"{current_app.config['PUBLIC_URL']}/verify/{code}"


def issue_invoice(order: Order, actor: User, today: date) -> Invoice:
    """The supplier invoices a paid ``order`` for the amount paid, dated ``today`` (Beijing calendar date).

    :raise InvoiceError: ``actor`` is not of the order's supplier; the order is not paid; it already has an
        invoice.
    """
    lock_row(order)
    if policy.order_party(actor, order) != "supplier":
        raise InvoiceError(N_("Only the supplier of order %(number)s may invoice it."), number=order.number)
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    if payment is None or order.payment_status == PaymentStatus.unpaid:
        raise InvoiceError(
            N_("Order %(number)s is not paid yet: an invoice is issued once the buyer has paid."),
            number=order.number,
        )
    existing = invoice_of(order)
    if existing is not None:
        raise InvoiceError(
            N_("Order %(number)s already has invoice %(invoice)s."),
            number=order.number,
            invoice=existing.number,
        )
    lines = [
        {
            "name": line.product_name,
            "spec": line.spec,
            "unit": line.unit,
            "quantity": line.quantity,
            "unit_price": str(line.unit_price),
            "amount": str(line.amount),
        }
        for line in order.lines
    ]
    return _issue(InvoiceKind.invoice, order, payment, actor, today, lines, total=payment.amount)


def issue_credit_note(refund: Refund, actor: User, today: date) -> Invoice:
    """The supplier issues the credit note of a settled ``refund``, correcting the order's invoice, dated
    ``today``. Its total and line amounts are negative.

    :raise InvoiceError: not of the order's supplier; the refund is not settled yet; it already has a credit
        note; the order has no invoice to correct.
    """
    order = refund.order
    lock_row(order)
    db.session.refresh(refund)
    if policy.order_party(actor, order) != "supplier":
        raise InvoiceError(
            N_("Only the supplier of order %(number)s may issue its credit notes."), number=order.number
        )
    if refund.status != RefundStatus.settled:
        raise InvoiceError(
            N_("The refund of order %(number)s is not settled yet: record paying it back first."),
            number=order.number,
        )
    existing = credit_note_of(refund)
    if existing is not None:
        raise InvoiceError(
            N_("This refund of order %(number)s already has credit note %(invoice)s."),
            number=order.number,
            invoice=existing.number,
        )
    original = invoice_of(order)
    if original is None:
        raise InvoiceError(
            N_("Order %(number)s has no invoice to credit: issue its invoice first."), number=order.number
        )
    payment = db.session.scalar(select(Payment).where(Payment.order_id == order.id))
    return _issue(
        InvoiceKind.credit_note,
        order,
        payment,
        actor,
        today,
        _credit_lines(refund),
        total=-refund.amount,
        refund=refund,
        original=original,
    )


def _credit_lines(refund: Refund) -> list[dict]:
    """The returned lines, negative; one line for the whole refund when it was not a return (a cancellation
    after payment) or when the lines would not add up to the amount refunded."""
    lines = []
    if refund.return_request is not None:
        for returned in sorted(refund.return_request.lines, key=lambda item: item.order_line_id):
            line = returned.order_line
            lines.append(
                {
                    "name": line.product_name,
                    "spec": line.spec,
                    "unit": line.unit,
                    "quantity": -returned.quantity,
                    "unit_price": str(line.unit_price),
                    "amount": str(-line_amount(line.unit_price, returned.quantity)),
                }
            )
    if not lines or sum(line_amount(line["amount"], 1) for line in lines) != -refund.amount:
        lines = [
            {
                "name": f"退款：{refund.reason}"[:128],
                "spec": "",
                "unit": "",
                "quantity": "",
                "unit_price": "",
                "amount": str(-refund.amount),
            }
        ]
    return lines


def _issue(kind, order, payment, actor, today, lines, *, total, refund=None, original=None) -> Invoice:
    """Number, snapshot, render (the PDF is kept, with its hash), add, flush, audit."""
    year = today.year
    serial = next_value(counter_key(order.supplier_id, year))
    number = format_number(kind, year, serial)
    code = new_verify_code()
    snapshot = {
        "kind": kind.value,
        "number": number,
        "issued_on": today.isoformat(),
        "issued_by": actor.name,
        "verify_code": code,
        "verify_url": verify_url(code),
        "order": {
            "number": order.number,
            "placed_on": beijing_date(order.placed_at),
            "paid_on": payment.paid_on.isoformat(),
            "received_on": beijing_date(order.received_at),
        },
        "seller": party(order.supplier),
        "buyer": party(order.unit),
        "lines": lines,
        "total": str(total),
        "total_capitals": capital_yuan(total),
    }
    if refund is not None:
        snapshot["refund"] = {
            "reason": refund.reason,
            "settled_on": refund.settled_on.isoformat() if refund.settled_on else None,
            "reference": refund.reference,
        }
        snapshot["credits"] = {"number": original.number, "issued_on": original.issued_on.isoformat()}
    pdf = render.invoice_pdf(snapshot)
    invoice = Invoice(
        supplier_id=order.supplier_id,
        unit_id=order.unit_id,
        order=order,
        kind=kind,
        year=year,
        serial=serial,
        number=number,
        refund=refund,
        invoice=original,
        total=total,
        snapshot=snapshot,
        pdf_sha256=render.sha256(pdf),
        verify_code=code,
        issued_on=today,
        issued_at=utcnow(),
        issued_by_id=actor.id,
    )
    db.session.add(invoice)
    db.session.flush()
    db.session.add(InvoicePdf(invoice_id=invoice.id, pdf=pdf))
    audit.record(
        actor,
        "invoice.issue" if kind == InvoiceKind.invoice else "invoice.credit",
        invoice,
        number=number,
        order=order.number,
        total=str(total),
    )
    return invoice


# --- reading ------------------------------------------------------------------------------------------------


def invoice_of(order: Order) -> Invoice | None:
    """The order's invoice (not its credit notes), or None."""
    return db.session.scalar(
        select(Invoice).where(Invoice.order_id == order.id, Invoice.kind == InvoiceKind.invoice)
    )


def credit_note_of(refund: Refund) -> Invoice | None:
    return db.session.scalar(select(Invoice).where(Invoice.refund_id == refund.id))


def documents_of(order_id: int) -> list[Invoice]:
    """The order's invoice and credit notes, in the order they were issued (one query)."""
    return list(db.session.scalars(select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)))


def pdf_of(invoice: Invoice) -> bytes:
    """The document's PDF as made at issue; for a document issued before PDFs were kept, made again from its
    snapshot (see ``remade_pdf``)."""
    stored = db.session.get(InvoicePdf, invoice.id)
    if stored is not None:
        return stored.pdf
    return remade_pdf(invoice.id, invoice.number, invoice.snapshot, invoice.pdf_sha256)


def stored_pdfs(invoice_ids: list[int]) -> dict[int, bytes]:
    """The kept PDFs of these documents by id, in one query (those without one are left out)."""
    kept = select(InvoicePdf.invoice_id, InvoicePdf.pdf).where(InvoicePdf.invoice_id.in_(invoice_ids))
    return dict(db.session.execute(kept).all())


def remade_pdf(invoice_id: int, number: str, snapshot: dict, sha256: str) -> bytes:
    """The PDF made again from a snapshot. A different hash than the one recorded at issue means the rendering
    software changed since (the snapshot, the record, did not): logged, and served."""
    pdf = render.invoice_pdf(snapshot)
    if render.sha256(pdf) != sha256:
        current_app.logger.warning(
            "invoice %s (id %s) renders to other bytes than when issued", number, invoice_id
        )
    return pdf


def by_verify_code(code: str) -> Invoice | None:
    """The document with this verification code (typed in any case, with or without spaces), or None."""
    code = "".join(code.split()).upper()
    if len(code) != CODE_LENGTH or set(code) - set(CODE_ALPHABET):
        return None
    return db.session.scalar(select(Invoice).where(Invoice.verify_code == code))
