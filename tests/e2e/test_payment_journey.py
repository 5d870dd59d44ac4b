"""Issue 5's "done means" in a real browser, on the demo city: a purchaser records the payment of a received
order on the order page; the supplier issues the invoice there; the buyer downloads the invoice PDF, whose
text holds the seller's Chinese name and the amount in capital numerals; the unit's completion page rises by
the order's amount. Then the buyer asks to return part of a line, the supplier accepts, settles the refund
and issues the credit note (also downloaded and read), and the completion falls again by the refund.
"""

import subprocess
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from accounts.models import BudgetUnit, Role, User
from quotas.models import QuotaFiling
from quotas.reports.formatting import percent
from quotas.reports.unit_year import unit_year
from quotas.rules import counting_filings
from shop.aftersales.models import Refund, RefundStatus, ReturnRequest, ReturnStatus
from shop.common import beijing_today
from shop.extensions import db
from shop.formatting import yuan
from shop.invoices.models import Invoice, InvoiceKind
from shop.money import capital_yuan
from shop.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from shop.payments.models import LedgerEntry, Payment
from tests.e2e.test_foundation_journeys import log_in, log_out


def _received_unpaid_order(app) -> dict:
    """A demo order accepted but not paid, of several lines, with nothing returned or asked back, whose unit
    reserved a share this year (so that its completion is a rate, not only a sum)."""
    year = beijing_today().year
    with app.app_context():
        counting = counting_filings(year)
        lines = select(func.count(OrderLine.id)).where(OrderLine.order_id == Order.id).scalar_subquery()
        order = db.session.scalar(
            select(Order)
            .join(counting, counting.c.unit_id == Order.unit_id)
            .join(QuotaFiling, QuotaFiling.id == counting.c.id)
            .where(
                Order.status == OrderStatus.received,
                Order.payment_status == PaymentStatus.unpaid,
                QuotaFiling.reserved_amount > 0,
                lines >= 2,
                ~select(ReturnRequest.id).where(ReturnRequest.order_id == Order.id).exists(),
                ~select(Payment.id).where(Payment.order_id == Order.id).exists(),
            )
            .order_by(Order.id)
            .limit(1)
        )
        assert order is not None, "the demo holds received, unpaid orders of several lines"
        supplier_login = db.session.scalar(
            select(User.username)
            .where(User.role == Role.supplier, User.supplier_id == order.supplier_id)
            .order_by(User.id)
            .limit(1)
        )
        first_line = min(order.lines, key=lambda line: line.id)
        return {
            "id": order.id,
            "unit_id": order.unit_id,
            "total": order.total,
            "buyer": order.purchaser.username,
            "supplier": supplier_login,
            "seller_name": order.supplier.name,
            "line_id": first_line.id,
            "unit_price": first_line.unit_price,
        }


def _unit_figures(app, unit_id: int) -> tuple[Decimal, Decimal | None]:
    """This year's counted purchases and completion of the unit, by the completion page's own service."""
    today = beijing_today()
    with app.app_context():
        figures = unit_year(db.session.get(BudgetUnit, unit_id), today.year, today, months=False)
        return figures.purchased, figures.completion


def _expect_completion_page(page: Page, base: str, purchased: Decimal, completion: Decimal | None) -> None:
    page.goto(f"{base}/completion/")
    expect(page.locator("main")).to_contain_text(yuan(purchased))
    expect(page.locator("main")).to_contain_text(percent(completion))


def _submit(page: Page, form: str) -> None:
    """Submit ``form`` and wait for the answer: no error, and the form gone (each is offered once)."""
    page.click(f"{form} button[type=submit]")
    expect(page.locator(form)).to_have_count(0)
    expect(page.locator(".flash-error")).to_have_count(0)


def _pdf_text(page: Page, selector: str, folder: Path) -> str:
    """Download the PDF behind ``selector``; its text (pdftotext), with all whitespace removed."""
    with page.expect_download() as arrived:
        page.click(selector)
    download = arrived.value
    path = folder / download.suggested_filename
    download.save_as(path)
    assert path.suffix == ".pdf" and path.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())


def test_pay_invoice_return_refund_credit_note_and_completion(page: Page, live_server, e2e_app, tmp_path):
    order = _received_unpaid_order(e2e_app)
    order_id, total = order["id"], order["total"]
    order_page = f"{live_server}/orders/{order_id}"
    purchased_before, completion_before = _unit_figures(e2e_app, order["unit_id"])

    # The purchaser sees the unit's completion, then records the payment on the order page.
    log_in(page, live_server, order["buyer"])
    _expect_completion_page(page, live_server, purchased_before, completion_before)
    page.goto(order_page)
    pay_form = f"form[action='/payments/orders/{order_id}/pay']"
    expect(page.locator(f"{pay_form} input[name=amount]")).to_have_value(f"{total:.2f}")
    page.check(f"{pay_form} input[name=method][value=official_card]")
    page.fill(f"{pay_form} input[name=payer_account]", "6222 0212 3456 7890")
    page.fill(f"{pay_form} input[name=reference]", f"E2EPAY{order_id:08d}")
    _submit(page, pay_form)
    with e2e_app.app_context():
        paid = db.session.scalar(select(Payment).where(Payment.order_id == order_id))
        assert paid.amount == total and paid.fiscal_year == beijing_today().year
        assert db.session.get(Order, order_id).payment_status == PaymentStatus.paid
    purchased_paid, completion_paid = _unit_figures(e2e_app, order["unit_id"])
    assert purchased_paid == purchased_before + total
    assert completion_paid > completion_before
    _expect_completion_page(page, live_server, purchased_paid, completion_paid)
    log_out(page)

    # The supplier issues the invoice from the order page.
    log_in(page, live_server, order["supplier"])
    page.goto(order_page)
    _submit(page, f"form[action='/invoices/orders/{order_id}/issue']")
    with e2e_app.app_context():
        invoice = db.session.scalar(
            select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == InvoiceKind.invoice)
        )
        assert invoice.total == total
        invoice_id = invoice.id
    log_out(page)

    # The buyer downloads the invoice: a PDF whose text holds the seller's name and the capital numerals.
    log_in(page, live_server, order["buyer"])
    page.goto(order_page)
    text = _pdf_text(page, f"#documents a[href='/invoices/{invoice_id}.pdf']", tmp_path)
    assert order["seller_name"] in text
    assert capital_yuan(total) in text

    # The buyer asks to return one of the first line.
    page.click(f"#actions a[href='/aftersales/orders/{order_id}/return']")
    page.fill(f"input[name='line-{order['line_id']}']", "1")
    page.fill("textarea[name=reason]", "一件包装破损，申请退回")
    _submit(page, "form:has(textarea[name=reason])")
    with e2e_app.app_context():
        request_id = db.session.scalar(select(ReturnRequest.id).where(ReturnRequest.order_id == order_id))
    log_out(page)

    # The supplier accepts the return (from the order page), settles the refund and issues the credit note.
    log_in(page, live_server, order["supplier"])
    page.goto(order_page)
    page.click(f"a[href='/aftersales/returns/{request_id}']")
    _submit(page, f"form[action='/aftersales/returns/{request_id}/accept']")
    with e2e_app.app_context():
        assert db.session.get(ReturnRequest, request_id).status == ReturnStatus.accepted
        refund = db.session.scalar(select(Refund).where(Refund.return_request_id == request_id))
        assert refund.status == RefundStatus.pending and refund.amount == order["unit_price"]
        refund_id, refund_amount = refund.id, refund.amount
    page.goto(order_page)
    settle = f"form[action='/payments/refunds/{refund_id}/settle']"
    expect(page.locator(f"{settle} input[name='refund-{refund_id}-amount']")).to_have_value(
        f"{refund_amount:.2f}"
    )
    page.fill(f"{settle} input[name='refund-{refund_id}-reference']", f"E2EREF{refund_id:08d}")
    _submit(page, settle)
    _submit(page, f"form[action='/invoices/refunds/{refund_id}/credit']")
    with e2e_app.app_context():
        assert db.session.get(Refund, refund_id).status == RefundStatus.settled
        assert db.session.get(Order, order_id).payment_status == PaymentStatus.partially_refunded
        entries = db.session.scalars(
            select(LedgerEntry.amount).where(LedgerEntry.order_id == order_id).order_by(LedgerEntry.id)
        ).all()
        assert entries == [total, -refund_amount]
        credit = db.session.scalar(select(Invoice).where(Invoice.refund_id == refund_id))
        assert credit.kind == InvoiceKind.credit_note and credit.invoice_id == invoice_id
        assert credit.total == -refund_amount
        credit_id = credit.id
    log_out(page)

    # The buyer reads the credit note and watches the completion fall by the refund.
    log_in(page, live_server, order["buyer"])
    page.goto(order_page)
    text = _pdf_text(page, f"#documents a[href='/invoices/{credit_id}.pdf']", tmp_path)
    assert order["seller_name"] in text
    assert capital_yuan(-refund_amount) in text
    purchased_after, completion_after = _unit_figures(e2e_app, order["unit_id"])
    assert purchased_after == purchased_paid - refund_amount == purchased_before + total - refund_amount
    assert completion_before < completion_after < completion_paid
    _expect_completion_page(page, live_server, purchased_after, completion_after)
