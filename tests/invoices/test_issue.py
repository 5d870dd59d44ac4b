"""Issuing invoices and credit notes (the services): numbers, snapshots, refusals that change nothing."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from accounts.models import AuditEntry, Role
from shop.counters import current_value
from shop.extensions import db
from shop.invoices import render
from shop.invoices.models import Invoice, InvoiceKind
from shop.invoices.services import (
    InvoiceError,
    by_verify_code,
    counter_key,
    issue_credit_note,
    issue_invoice,
)
from shop.orders.models import OrderStatus
from tests.invoices.conftest import TODAY


def invoices_of_supplier(supplier_id) -> list[Invoice]:
    return db.session.scalars(
        select(Invoice).where(Invoice.supplier_id == supplier_id).order_by(Invoice.id)
    ).all()


def test_an_invoice_snapshots_the_paid_order(paid_order, seller):
    order = paid_order()
    invoice = issue_invoice(order, seller, TODAY)
    db.session.commit()

    assert (invoice.kind, invoice.number, invoice.year, invoice.serial) == (
        InvoiceKind.invoice,
        "FP2026-000001",
        2026,
        1,
    )
    assert invoice.total == order.total == Decimal("667.24")
    snapshot = invoice.snapshot
    assert snapshot["buyer"] == {
        "name": order.unit.name,
        "credit_code": order.unit.credit_code,
        "region": "山西省吕梁市",
    }
    assert snapshot["seller"]["credit_code"] == seller.supplier.credit_code
    assert [(line["name"], line["quantity"], line["amount"]) for line in snapshot["lines"]] == [
        ("岢岚小米", 4, "50.00"),
        ("临县红枣", 2, "617.24"),
    ]
    assert snapshot["total"] == "667.24"
    assert snapshot["total_capitals"] == "陆佰陆拾柒元贰角肆分"
    assert snapshot["order"] == {
        "number": order.number,
        "placed_on": "2026-11-01",
        "paid_on": "2026-11-02",
        "received_on": snapshot["order"]["received_on"],
    }
    assert snapshot["verify_url"].endswith(f"/verify/{invoice.verify_code}")
    assert invoice.pdf_sha256 == render.sha256(render.invoice_pdf(snapshot))
    assert by_verify_code(invoice.verify_code.lower()) is invoice
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "invoice.issue"))
    assert (entry.actor_id, entry.object_id, entry.details["number"]) == (
        seller.id,
        invoice.id,
        "FP2026-000001",
    )


def test_numbers_run_per_supplier_and_year_across_both_kinds(
    paid_order, seller, refund_of, make_supplier, make_user
):
    first, second = paid_order(), paid_order()
    issue_invoice(first, seller, TODAY)
    note = issue_credit_note(refund_of(first), seller, TODAY)
    issue_invoice(second, seller, TODAY)
    assert [invoice.number for invoice in invoices_of_supplier(seller.supplier_id)] == [
        "FP2026-000001",
        "HC2026-000002",
        "FP2026-000003",
    ]
    assert note.serial == 2
    assert current_value(counter_key(seller.supplier_id, 2026)) == 3
    # A new year starts a new series.
    third = paid_order()
    assert issue_invoice(third, seller, TODAY.replace(year=2027, month=1, day=2)).number == "FP2027-000001"


def test_a_credit_note_is_negative_and_references_the_invoice(paid_order, seller, refund_of):
    order = paid_order()
    invoice = issue_invoice(order, seller, TODAY)
    refund = refund_of(order, "12.50")
    note = issue_credit_note(refund, seller, TODAY)
    assert (note.kind, note.total, note.invoice_id, note.refund_id) == (
        InvoiceKind.credit_note,
        Decimal("-12.50"),
        invoice.id,
        refund.id,
    )
    assert note.snapshot["credits"] == {"number": invoice.number, "issued_on": TODAY.isoformat()}
    assert note.snapshot["total_capitals"] == "负壹拾贰元伍角整"
    assert [line["amount"] for line in note.snapshot["lines"]] == ["-12.50"]
    assert note.snapshot["refund"]["settled_on"] == "2026-11-10"


def test_a_credit_note_for_a_return_lists_the_returned_lines(paid_order, seller, users):
    from datetime import date

    from shop.aftersales import services as aftersales
    from shop.payments.services import settle_refund

    order = paid_order()
    issue_invoice(order, seller, TODAY)
    line = order.lines[0]
    request = aftersales.request_return(users[Role.purchaser], order, {line.id: 2}, "两袋受潮")
    refund = aftersales.accept_return(seller, request)
    settle_refund(
        refund, seller, reference="RF-RETURN-1", amount="25.00", settled_on=date(2026, 11, 12), today=TODAY
    )
    note = issue_credit_note(refund, seller, TODAY)
    assert [(item["name"], item["quantity"], item["amount"]) for item in note.snapshot["lines"]] == [
        ("岢岚小米", -2, "-25.00")
    ]
    assert note.total == Decimal("-25.00")


def _nothing_changed(supplier_id, invoices_before, counter_before):
    db.session.rollback()
    assert (
        db.session.scalar(select(func.count(Invoice.id)).where(Invoice.supplier_id == supplier_id))
        == invoices_before
    )
    assert current_value(counter_key(supplier_id, 2026)) == counter_before


def test_an_unpaid_order_is_not_invoiced(seller, make_product, make_order):
    order = make_order({make_product(seller.supplier): 1}, status=OrderStatus.received)
    with pytest.raises(InvoiceError, match="not paid yet"):
        issue_invoice(order, seller, TODAY)
    _nothing_changed(seller.supplier_id, 0, 0)


def test_a_second_invoice_for_the_same_order_is_refused(paid_order, seller):
    order = paid_order()
    issue_invoice(order, seller, TODAY)
    db.session.commit()
    with pytest.raises(InvoiceError, match="already has invoice FP2026-000001"):
        issue_invoice(order, seller, TODAY)
    _nothing_changed(seller.supplier_id, 1, 1)


def test_only_the_orders_supplier_invoices_it(paid_order, users, make_user, make_supplier):
    order = paid_order()
    other = make_user(Role.supplier, supplier=make_supplier())
    for actor in (other, users[Role.purchaser], users[Role.operator]):
        with pytest.raises(InvoiceError, match="Only the supplier"):
            issue_invoice(order, actor, TODAY)
    _nothing_changed(order.supplier_id, 0, 0)


def test_a_credit_note_for_a_pending_refund_is_refused(paid_order, seller, refund_of):
    order = paid_order()
    issue_invoice(order, seller, TODAY)
    db.session.commit()
    refund = refund_of(order, settled=False)
    with pytest.raises(InvoiceError, match="not settled yet"):
        issue_credit_note(refund, seller, TODAY)
    _nothing_changed(seller.supplier_id, 1, 1)


def test_a_refund_gets_one_credit_note(paid_order, seller, refund_of):
    order = paid_order()
    issue_invoice(order, seller, TODAY)
    refund = refund_of(order)
    issue_credit_note(refund, seller, TODAY)
    db.session.commit()
    with pytest.raises(InvoiceError, match="already has credit note HC2026-000002"):
        issue_credit_note(refund, seller, TODAY)
    _nothing_changed(seller.supplier_id, 2, 2)


def test_a_credit_note_needs_the_orders_invoice(paid_order, seller, refund_of):
    refund = refund_of(paid_order())
    with pytest.raises(InvoiceError, match="no invoice to credit"):
        issue_credit_note(refund, seller, TODAY)
    _nothing_changed(seller.supplier_id, 0, 0)


@pytest.mark.parametrize(
    "statement", ["UPDATE invoice SET total = 1 WHERE id = :id", "DELETE FROM invoice WHERE id = :id"]
)
def test_an_issued_invoice_never_changes(paid_order, seller, statement):
    invoice = issue_invoice(paid_order(), seller, TODAY)
    db.session.commit()
    with pytest.raises(Exception, match="never changes"), db.session.begin_nested():
        db.session.execute(text(statement), {"id": invoice.id})


def test_the_database_keeps_one_invoice_per_order(paid_order, seller):
    """Even a writer that skipped the service's check could not add a second invoice to an order."""
    invoice = issue_invoice(paid_order(), seller, TODAY)
    db.session.commit()
    copy = Invoice(
        **{
            column: getattr(invoice, column)
            for column in (
                "supplier_id",
                "unit_id",
                "order_id",
                "kind",
                "year",
                "total",
                "snapshot",
                "pdf_sha256",
            )
        },
        serial=99,
        number="FP2026-000099",
        verify_code="ZZZZZZZZZZZZ",
        issued_on=TODAY,
        issued_by_id=seller.id,
    )
    with pytest.raises(Exception, match="(?i)unique"), db.session.begin_nested():
        db.session.add(copy)
        db.session.flush()
