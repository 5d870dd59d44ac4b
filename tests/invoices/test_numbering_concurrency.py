"""Invoice numbers never clash or skip, and an order is invoiced once, under real concurrent issuing.

Like tests/shop/test_stock_concurrency.py: real commits seen across threads (marker ``real_commits``) on a
database of its own (a SQLite file, or a second database in the test PostgreSQL cluster); each thread issues
in its own app context, all released together by a barrier.
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import select

from accounts.models import (
    BudgetUnit,
    Region,
    RegionLevel,
    Role,
    Supplier,
    SupplierKind,
    SupplierStatus,
    User,
)
from shop.app import create_app
from shop.catalogue.models import Category, Product, ProductStatus
from shop.common import utcnow
from shop.counters import current_value
from shop.extensions import db
from shop.invoices.models import Invoice
from shop.invoices.services import InvoiceError, counter_key, issue_invoice
from shop.orders.models import Order, OrderLine, OrderStatus
from shop.payments.services import record_payment
from tests.conftest import own_database_url, valid_credit_code

pytestmark = pytest.mark.real_commits

TODAY = date(2026, 11, 20)
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": own_database_url(tmp_path_factory, "app_invoices"),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 15, "max_overflow": 5},
            "SECRET_KEY": "test-secret",
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def seed(app, orders: int) -> tuple[int, list[int]]:
    """A supplier with an account and ``orders`` paid orders from one unit: (seller id, order ids)."""
    n = next(_serial)
    with app.app_context():
        county = Region(code=f"7{n:05d}", name=f"开票县{n}", level=RegionLevel.county, is_poverty_county=True)
        unit = BudgetUnit(
            code=f"I{n:06d}", name=f"开票单位{n}", credit_code=valid_credit_code(), region=county
        )
        supplier = Supplier(
            name=f"开票供应商{n}",
            kind=SupplierKind.coop,
            credit_code=valid_credit_code("93141123"),
            region=county,
            contact_name="张三",
            contact_phone="13800138000",
            bank_name="中国农业银行兴县支行",
            bank_account="6228480000000000000",
            status=SupplierStatus.admitted,
        )
        seller = User(
            username=f"inv-seller{n}", name="开票员", role=Role.supplier, supplier=supplier, password_hash="x"
        )
        buyer = User(
            username=f"inv-buyer{n}", name="采购员", role=Role.purchaser, unit=unit, password_hash="x"
        )
        product = Product(
            supplier=supplier,
            category=Category(name=f"开票类目{n}"),
            name="小米",
            spec="5kg/袋",
            unit="袋",
            price="10.00",
            stock=1000,
            origin_region=county,
            status=ProductStatus.listed,
            listed_at=utcnow(),
        )
        db.session.add_all([seller, buyer, product])
        db.session.flush()
        placed = []
        for index in range(orders):
            order = Order(
                number=f"I{n:04d}{index:06d}",
                unit_id=unit.id,
                purchaser=buyer,
                supplier_id=supplier.id,
                status=OrderStatus.received,
                total="10.00",
                delivery_address="吕梁市离石区滨河北路1号",
                delivery_contact="王师傅",
                delivery_phone="13800138000",
                checkout_token=f"inv-{n}-{index}",
                placed_at=datetime(2026, 11, 1),
                lines=[
                    OrderLine(
                        product=product,
                        product_name="小米",
                        spec="5kg/袋",
                        unit="袋",
                        unit_price="10.00",
                        quantity=1,
                        amount="10.00",
                    )
                ],
            )
            db.session.add(order)
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
    barrier = threading.Barrier(len(order_ids), timeout=30)

    def issue(order_id: int) -> str | None:
        with app.app_context():
            # Nothing read before the barrier: on SQLite a transaction takes the write lock when it begins.
            barrier.wait()
            seller, order = db.session.get(User, seller_id), db.session.get(Order, order_id)
            try:
                number = issue_invoice(order, seller, TODAY).number
                db.session.commit()
                return number
            except InvoiceError:
                db.session.rollback()
                return None

    with ThreadPoolExecutor(max_workers=len(order_ids)) as pool:
        futures = [pool.submit(issue, order_id) for order_id in order_ids]
        return [future.result(timeout=120) for future in futures]


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
