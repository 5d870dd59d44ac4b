"""Payments under real concurrency: a payment submitted many times at once is recorded once, payments of one
unit's orders at once all reach its totals (no lost update), one bank reference used on two orders at once is
taken once, and a payment form posted twice at once records once.

Like tests/shop/test_stock_concurrency.py, these commit for real (marker ``real_commits``) on a database of
their own (a SQLite file, or a second database in the test PostgreSQL cluster); each thread works in its own
app context (its own session and connection), all released together by a barrier.
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from accounts.models import (
    BudgetUnit,
    Notice,
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
from shop.common import beijing_today, utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from shop.payments.models import LedgerEntry, Payment, UnitMonthPurchase, UnitYearPurchase
from shop.payments.services import PaymentError, record_payment
from tests.conftest import PASSWORD, login, own_database_url, valid_credit_code

pytestmark = pytest.mark.real_commits

_serial = itertools.count(1)
THREADS = 8


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    """An app on a database of its own, where commits are real."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": own_database_url(tmp_path_factory, "app_payments"),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": THREADS + 4, "max_overflow": 4},
            "SECRET_KEY": "test-secret",
            "WTF_CSRF_ENABLED": False,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


@dataclass
class Seeded:
    unit_id: int
    buyer_ids: list[int]
    seller_id: int
    order_ids: list[int]


def seed(app, orders: int, buyers: int = 1, price: str = "12.50") -> Seeded:
    """A fresh unit (no purchase totals yet), its purchasers, a supplier with one product, and ``orders``
    received orders of that unit, one of the product each (¥12.50)."""
    n = next(_serial)
    with app.app_context():
        county = Region(code=f"7{n:05d}", name=f"付款县{n}", level=RegionLevel.county, is_poverty_county=True)
        unit = BudgetUnit(
            code=f"P{n:06d}", name=f"付款单位{n}", credit_code=valid_credit_code(), region=county
        )
        supplier = Supplier(
            name=f"付款供应商{n}",
            kind=SupplierKind.coop,
            credit_code=valid_credit_code("93141123"),
            region=county,
            contact_name="张三",
            contact_phone="13800138000",
            bank_name="中国农业银行兴县支行",
            bank_account="6228480000000000000",
            status=SupplierStatus.admitted,
        )
        product = Product(
            supplier=supplier,
            category=Category(name=f"付款类目{n}"),
            name=f"小米{n}",
            spec="5kg/袋",
            unit="袋",
            price=Decimal(price),
            stock=100,
            origin_region=county,
            status=ProductStatus.listed,
            listed_at=utcnow(),
        )
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        people = [
            User(
                username=f"payer{n}-{index}",
                name="采购人",
                role=Role.purchaser,
                unit=unit,
                password_hash=password_hash,
                must_change_password=False,
                activated_at=utcnow(),
            )
            for index in range(buyers)
        ]
        seller = User(
            username=f"payee{n}", name="卖家", role=Role.supplier, supplier=supplier, password_hash="x"
        )
        placed = utcnow() - timedelta(days=5)
        made = [
            Order(
                number=f"PAY{n:05d}{index:04d}",
                unit=unit,
                purchaser=people[index % buyers],
                supplier=supplier,
                status=OrderStatus.received,
                total=product.price,
                delivery_address="吕梁市离石区滨河北路1号",
                delivery_contact="王师傅",
                delivery_phone="13800138000",
                checkout_token=f"pay-{n}-{index}",
                placed_at=placed,
                received_at=placed + timedelta(days=1),
                lines=[
                    OrderLine(
                        product=product,
                        product_name=product.name,
                        spec=product.spec,
                        unit=product.unit,
                        unit_price=product.price,
                        quantity=1,
                        amount=product.price,
                    )
                ],
            )
            for index in range(orders)
        ]
        db.session.add_all([*people, seller, *made])
        db.session.commit()
        return Seeded(unit.id, [p.id for p in people], seller.id, [o.id for o in made])


def pay_all(app, attempts: list[tuple[int, int, str]]) -> list[int | str]:
    """Run each (order id, purchaser id, reference) payment in its own thread, all started together; each
    answer is the payment's id, or the msgid of the PaymentError that refused it."""
    barrier = threading.Barrier(len(attempts), timeout=30)
    today = beijing_today()

    def attempt(order_id: int, buyer_id: int, reference: str) -> int | str:
        with app.app_context():
            barrier.wait()
            order, buyer = db.session.get(Order, order_id), db.session.get(User, buyer_id)
            try:
                payment = record_payment(
                    order,
                    buyer,
                    method="bank_transfer",
                    payer_account="6222000011112222",
                    reference=reference,
                    amount=order.total,
                    paid_on=today,
                    today=today,
                )
                payment_id = payment.id
                db.session.commit()
                return payment_id
            except PaymentError as error:
                db.session.rollback()
                return error.message

    with ThreadPoolExecutor(max_workers=len(attempts)) as pool:
        futures = [pool.submit(attempt, *args) for args in attempts]
        return [future.result(timeout=90) for future in futures]


def totals(unit_id: int) -> tuple[Decimal, int, Decimal]:
    year = today_year()
    row = db.session.get(UnitYearPurchase, (unit_id, year))
    month = db.session.get(UnitMonthPurchase, (unit_id, year, beijing_today().month))
    return row.amount, row.entries, month.amount


def today_year() -> int:
    return beijing_today().year


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_one_payment_submitted_at_once_many_times_is_recorded_once(real_app):
    seeded = seed(real_app, orders=1, buyers=THREADS)
    (order_id,) = seeded.order_ids

    answers = pay_all(real_app, [(order_id, buyer_id, "SAME-REF-1") for buyer_id in seeded.buyer_ids])

    assert len(set(answers)) == 1 and isinstance(answers[0], int)
    with real_app.app_context():
        assert count(Payment, Payment.order_id == order_id) == 1
        assert count(LedgerEntry, LedgerEntry.order_id == order_id) == 1
        assert totals(seeded.unit_id) == (Decimal("12.50"), 1, Decimal("12.50"))
        assert db.session.get(Order, order_id).payment_status == PaymentStatus.paid
        assert count(Notice, Notice.user_id == seeded.seller_id) == 1


def test_one_order_paid_at_once_with_different_references_is_paid_once(real_app):
    seeded = seed(real_app, orders=1, buyers=THREADS)
    (order_id,) = seeded.order_ids

    answers = pay_all(real_app, [(order_id, buyer, f"REF-{buyer}") for buyer in seeded.buyer_ids])

    assert sum(isinstance(answer, int) for answer in answers) == 1
    assert {answer for answer in answers if isinstance(answer, str)} == {"Order %(number)s is already paid."}
    with real_app.app_context():
        assert count(Payment, Payment.order_id == order_id) == 1
        assert totals(seeded.unit_id) == (Decimal("12.50"), 1, Decimal("12.50"))


def test_payments_of_one_units_orders_at_once_all_reach_its_totals(real_app):
    seeded = seed(real_app, orders=THREADS, buyers=THREADS)

    answers = pay_all(
        real_app,
        [
            (order_id, buyer_id, f"UNIT-{order_id}")
            for order_id, buyer_id in zip(seeded.order_ids, seeded.buyer_ids, strict=True)
        ],
    )

    assert all(isinstance(answer, int) for answer in answers)
    with real_app.app_context():
        expected = Decimal("12.50") * THREADS
        assert totals(seeded.unit_id) == (expected, THREADS, expected)
        ledger = db.session.scalar(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.unit_id == seeded.unit_id)
        )
        assert Decimal(str(ledger)).quantize(Decimal("0.01")) == expected
        assert count(LedgerEntry, LedgerEntry.unit_id == seeded.unit_id) == THREADS


def test_one_reference_on_two_orders_at_once_is_taken_once(real_app):
    seeded = seed(real_app, orders=THREADS, buyers=THREADS)

    answers = pay_all(
        real_app,
        [
            (order_id, buyer_id, "SHARED-REF-9")
            for order_id, buyer_id in zip(seeded.order_ids, seeded.buyer_ids, strict=True)
        ],
    )

    assert sum(isinstance(answer, int) for answer in answers) == 1
    assert {a for a in answers if isinstance(a, str)} == {
        "The bank reference %(reference)s was already recorded."
    }
    with real_app.app_context():
        assert totals(seeded.unit_id) == (Decimal("12.50"), 1, Decimal("12.50"))
        assert count(Payment, Payment.reference == "SHARED-REF-9") == 1


def test_the_payment_form_posted_twice_at_once_records_once(real_app):
    seeded = seed(real_app, orders=1, buyers=1)
    (order_id,) = seeded.order_ids
    (buyer_id,) = seeded.buyer_ids
    with real_app.app_context():
        username = db.session.get(User, buyer_id).username
    signed_in = real_app.test_client()
    assert login(signed_in, username).status_code == 302
    cookie = signed_in.get_cookie("session").value
    form = {
        "method": "official_card",
        "payer_account": "6222000011112222",
        "reference": "FORM-TWICE-1",
        "amount": "12.50",
        "paid_on": beijing_today().isoformat(),
    }
    barrier = threading.Barrier(2, timeout=30)

    def submit() -> tuple[int, str]:
        client = real_app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait()
        response = client.post(f"/payments/orders/{order_id}/pay", data=form)
        return response.status_code, response.headers.get("Location", "")

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = [future.result(timeout=90) for future in [pool.submit(submit) for _ in range(2)]]

    assert codes == [(302, f"/orders/{order_id}#payment")] * 2
    with real_app.app_context():
        assert count(Payment, Payment.order_id == order_id) == 1
        assert totals(seeded.unit_id) == (Decimal("12.50"), 1, Decimal("12.50"))
