"""Issue 5's "done means", through the pages where they are this work's: a purchaser pays, the supplier
issues the invoice, the buyer downloads a PDF whose Chinese text and capital-numeral amount are real text, the
unit's purchases rise by the order's amount; a return leads to a credit note and lowers them again."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from accounts.models import Role
from shop.aftersales import services as aftersales
from shop.extensions import db
from shop.invoices.models import Invoice, InvoiceKind
from shop.payments.models import UnitYearPurchase
from shop.payments.services import settle_refund
from tests.conftest import login
from tests.invoices.conftest import TODAY, pdf_text


def purchased(unit_id: int) -> Decimal:
    total = db.session.get(UnitYearPurchase, (unit_id, 2026))
    return total.amount if total else Decimal("0.00")


def test_pay_invoice_download_return_credit(app, users, seller, paid_order):
    buyer = users[Role.purchaser]
    unit_id = buyer.unit_id
    before = purchased(unit_id)
    order = paid_order()  # paid through record_payment: the ledger has its entry
    assert purchased(unit_id) == before + Decimal("667.24")

    supplier_client, buyer_client = app.test_client(), app.test_client()
    login(supplier_client, seller)
    login(buyer_client, buyer)
    assert supplier_client.post(f"/invoices/orders/{order.id}/issue").status_code == 302
    invoice = db.session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    page = buyer_client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/invoices/{invoice.id}.pdf" in page
    text = "".join(pdf_text(buyer_client.get(f"/invoices/{invoice.id}.pdf").data).split())
    assert "发票" in text and order.unit.name in text and "陆佰陆拾柒元贰角肆分" in text

    line = order.lines[1]  # 2 × 临县红枣 at ¥308.62
    request = aftersales.request_return(buyer, order, {line.id: 1}, "一箱破损")
    refund = aftersales.accept_return(seller, request)
    settle_refund(
        refund, seller, reference="RF-JOURNEY", amount="308.62", settled_on=date(2026, 11, 15), today=TODAY
    )
    db.session.commit()
    assert purchased(unit_id) == before + Decimal("358.62")

    assert supplier_client.post(f"/invoices/refunds/{refund.id}/credit").status_code == 302
    note = db.session.scalar(select(Invoice).where(Invoice.refund_id == refund.id))
    assert (note.kind, note.total, note.invoice_id) == (
        InvoiceKind.credit_note,
        Decimal("-308.62"),
        invoice.id,
    )
    text = "".join(pdf_text(buyer_client.get(f"/invoices/{note.id}.pdf").data).split())
    assert "红字发票" in text and "负叁佰零捌元陆角贰分" in text and "-¥308.62" in text
