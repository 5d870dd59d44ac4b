"""Invoice numbers never clash or skip, and an order is invoiced once, under real concurrent issuing.

Like tests/shop/test_stock_concurrency.py: real commits seen across threads (marker ``real_commits``) on a
database of its own, each thread in its own app context, all released together (tests/real_world.py).
"""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from accounts.models import User
from shop.counters import current_value
from shop.extensions import db
from shop.invoices.models import Invoice
from shop.invoices.services import InvoiceError, counter_key, issue_invoice
from shop.orders.models import Order
from shop.payments.services import record_payment
from tests.real_world import World, dispose, make_app, run_together

pytestmark = pytest.mark.real_commits

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    app = make_app(tmp_path_factory, "app_invoices", connections=15)
    yield app
    dispose(app)


def seed(app, orders: int) -> tuple[int, list[int]]:
    """A supplier with an account and ``orders`` paid orders from one unit: (seller id, order ids)."""
    world = World("开票")
    n = world.n
    with app.app_context():
        county = world.county("7")
        unit = world.unit(county, "I")
        supplier = world.supplier(county)
        seller = world.seller(supplier, f"inv-seller{n}")
        buyer = world.purchaser(unit, f"inv-buyer{n}")
        product = world.product(supplier, county, stock=1000)
        placed = []
        for index in range(orders):
            order = world.received_order(f"I{n:04d}{index:06d}", unit, buyer, product, datetime(2026, 11, 1))
            db.session.flush()
            record_payment(
                order,
                buyer,
                method="bank_transfer",
                payer_account="6222000011112222",
                reference=f"INV{n:04d}{index:06d}",
                amount="10.00",
                paid_on=date(2026, 11, 2),
                today=TODAY,
            )
            placed.append(order.id)
        db.session.commit()
        return seller.id, placed


def issue_all(app, seller_id: int, order_ids: list[int]) -> list[str | None]:
    """Issue the invoice of each order in its own thread, all started together: the numbers, or None for a
    refusal (anything else fails the test)."""

    def issue(order_id: int) -> str | None:
        seller, order = db.session.get(User, seller_id), db.session.get(Order, order_id)
        try:
            number = issue_invoice(order, seller, TODAY).number
            db.session.commit()
            return number
        except InvoiceError:
            db.session.rollback()
            return None

    return run_together(app, issue, [(order_id,) for order_id in order_ids], timeout=120)


def test_concurrent_invoices_of_one_supplier_are_numbered_without_gaps_or_repeats(real_app):
    seller_id, order_ids = seed(real_app, 8)
    numbers = issue_all(real_app, seller_id, order_ids)
    assert None not in numbers
    assert sorted(numbers) == [f"FP2026-{serial:06d}" for serial in range(1, 9)]
    with real_app.app_context():
        supplier_id = db.session.get(User, seller_id).supplier_id
        assert current_value(counter_key(supplier_id, 2026)) == 8
        invoices = db.session.scalars(select(Invoice).where(Invoice.supplier_id == supplier_id)).all()
        assert sorted(invoice.serial for invoice in invoices) == list(range(1, 9))
        assert {invoice.order_id for invoice in invoices} == set(order_ids)


def test_one_order_issued_at_once_from_several_threads_gets_one_invoice(real_app):
    seller_id, (order_id,) = seed(real_app, 1)
    numbers = issue_all(real_app, seller_id, [order_id] * 5)
    assert [number for number in numbers if number] == ["FP2026-000001"]
    assert numbers.count(None) == 4
    with real_app.app_context():
        supplier_id = db.session.get(User, seller_id).supplier_id
        assert current_value(counter_key(supplier_id, 2026)) == 1  # the refused ones used no number
