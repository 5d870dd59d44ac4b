"""Fixtures of the invoice tests: a paid order of a supplier with an account, settled refunds, PDF text."""

import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal

import pytest

from accounts.models import Role
from shop.aftersales.models import Refund
from shop.extensions import db
from shop.orders.models import OrderStatus
from shop.payments.services import settle_refund

#: The day documents are issued in these tests (a Beijing calendar date, passed in as services expect).
TODAY = date(2026, 11, 20)


@pytest.fixture
def seller(users):
    """The supplier account of the ``users`` fixture (its supplier sells the products below)."""
    return users[Role.supplier]


@pytest.fixture
def paid_order(users, seller, make_product, make_order, pay):
    """``paid_order(lines=None)``: an accepted order of the demo unit from ``seller``'s supplier, paid on
    2 November 2026; default lines 4 × 小米 at ¥12.50 and 2 × 红枣 at ¥308.62 (total ¥667.24)."""

    def make(lines=None, **order_fields):
        if lines is None:
            lines = {
                make_product(seller.supplier, name="岢岚小米", price="12.50", spec="5kg/袋", unit="袋"): 4,
                make_product(seller.supplier, name="临县红枣", price="308.62", spec="10kg/箱", unit="箱"): 2,
            }
        order_fields.setdefault("status", OrderStatus.received)
        order_fields.setdefault("placed_at", datetime(2026, 11, 1, 2, 0))
        order = make_order(lines, **order_fields)
        pay(order, paid_on=date(2026, 11, 2))
        return order

    return make


@pytest.fixture
def refund_of(seller):
    """``refund_of(order, amount, settled=True)``: a refund of ``order`` (settled by the supplier unless
    told otherwise), as a cancellation after payment would leave it."""

    def make(order, amount="12.50", settled=True, reference=None):
        refund = Refund(order=order, amount=Decimal(amount), reason="一袋受潮")
        db.session.add(refund)
        db.session.commit()
        if settled:
            settle_refund(
                refund,
                seller,
                reference=reference or f"RF{refund.id:06d}",
                amount=amount,
                settled_on=date(2026, 11, 10),
                today=TODAY,
            )
            db.session.commit()
        return refund

    return make


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF as pdftotext (poppler) reads it: proof the words are text, not pictures."""
    assert pdf.startswith(b"%PDF-")
    result = subprocess.run(
        [shutil.which("pdftotext") or "pdftotext", "-layout", "-enc", "UTF-8", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
    )
    return result.stdout.decode("utf-8")
