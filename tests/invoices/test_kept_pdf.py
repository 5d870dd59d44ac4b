"""The PDF made at issue is kept: downloads and a month's ZIP send those bytes (no typesetting again), the
kept PDF never changes, and a document issued before PDFs were kept is still made from its snapshot."""

import io
import zipfile

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DatabaseError

from accounts.models import Role
from shop.extensions import db
from shop.invoices import render
from shop.invoices.models import InvoicePdf
from shop.invoices.services import issue_credit_note, issue_invoice, pdf_of
from tests.invoices.conftest import TODAY, pdf_text


def kept(invoice) -> bytes | None:
    row = db.session.get(InvoicePdf, invoice.id)
    return row.pdf if row is not None else None


def forget_kept_pdf(invoice) -> None:
    """As if the document had been issued before migration 0010 (inside the test's transaction only)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE invoice_pdf DISABLE TRIGGER invoice_pdf_no_change"))
    else:
        db.session.execute(text("DROP TRIGGER invoice_pdf_no_delete"))
    db.session.execute(delete(InvoicePdf).where(InvoicePdf.invoice_id == invoice.id))
    db.session.expire_all()


def test_issuing_keeps_the_pdf_whose_hash_is_recorded(paid_order, seller, refund_of):
    order = paid_order()
    invoice = issue_invoice(order, seller, TODAY)
    note = issue_credit_note(refund_of(order), seller, TODAY)
    for document in (invoice, note):
        pdf = kept(document)
        assert pdf.startswith(b"%PDF") and render.sha256(pdf) == document.pdf_sha256
        assert pdf_of(document) == pdf
    assert "红字发票" in pdf_text(kept(note))


def test_the_kept_pdf_never_changes(paid_order, seller):
    invoice = issue_invoice(paid_order(), seller, TODAY)
    db.session.flush()
    for statement in (
        update(InvoicePdf).where(InvoicePdf.invoice_id == invoice.id).values(pdf=b"%PDF-forged"),
        delete(InvoicePdf).where(InvoicePdf.invoice_id == invoice.id),
    ):
        with pytest.raises(DatabaseError), db.session.begin_nested():
            db.session.execute(statement)


def test_a_document_without_a_kept_pdf_is_made_from_its_snapshot(paid_order, seller, users, login_as):
    invoice = issue_invoice(paid_order(), seller, TODAY)
    db.session.flush()
    original = kept(invoice)
    forget_kept_pdf(invoice)
    assert kept(invoice) is None
    assert pdf_of(invoice) == original  # the same bytes, made again

    client = login_as(users[Role.finance])
    response = client.get(f"/invoices/archive.zip?month=2026-11&unit={invoice.unit_id}")
    assert response.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(response.data)).read(invoice.filename) == original


def test_the_zip_sends_the_kept_bytes(paid_order, seller, users, login_as):
    documents = [issue_invoice(paid_order(), seller, TODAY) for _ in range(3)]
    db.session.commit()
    client = login_as(users[Role.finance])
    response = client.get(f"/invoices/archive.zip?month=2026-11&unit={documents[0].unit_id}")
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    for document in documents:
        assert archive.read(document.filename) == kept(document)
