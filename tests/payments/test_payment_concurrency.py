"""Payments under real concurrency: a payment submitted many times at once is recorded once, payments of one
unit's orders at once all reach its totals (no lost update), one bank reference used on two orders at once is
taken once, and a payment form posted twice at once records once.

Like tests/shop/test_stock_concurrency.py, these commit for real (marker ``real_commits``) on a database of
their own, each thread in its own app context, all released together (tests/real_world.py).
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from accounts.models import Notice, User
from shop.common import beijing_today, utcnow
from shop.extensions import db
from shop.orders.models import Order, PaymentStatus
from shop.payments.models import LedgerEntry, Payment, UnitMonthPurchase, UnitYearPurchase
from shop.payments.services import PaymentError, record_payment
from tests.conftest import PASSWORD, login
from tests.real_world import World, dispose, make_app, run_together

pytestmark = pytest.mark.real_commits

THREADS = 8


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    app = make_app(
        tmp_path_factory,
        "app_payments",
        connections=THREADS + 4,
        WTF_CSRF_ENABLED=False,
        PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    yield app
    dispose(app)


@dataclass
class Seeded:
    unit_id: int
    buyer_ids: list[int]
    seller_id: int
    order_ids: list[int]


def seed(app, orders: int, buyers: int = 1, price: str = "12.50") -> Seeded:
    """A fresh unit (no purchase totals yet), its purchasers, a supplier with one product, and ``orders``
    received orders of that unit, one of the product each (¥12.50)."""
    world = World("付款")
    n = world.n
    with app.app_context():
        county = world.county("7")
        unit = world.unit(county, "P")
        supplier = world.supplier(county)
        product = world.product(supplier, county, stock=100, name=f"小米{n}", price=price)
        password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
        people = [
            world.purchaser(
                unit,
                f"payer{n}-{index}",
                password_hash,
                must_change_password=False,
                activated_at=utcnow(),
            )
            for index in range(buyers)
        ]
        seller = world.seller(supplier, f"payee{n}")
        placed = utcnow() - timedelta(days=5)
        made = [
            world.received_order(f"PAY{n:05d}{index:04d}", unit, people[index % buyers], product, placed)
            for index in range(orders)
        ]
        db.session.commit()
        return Seeded(unit.id, [p.id for p in people], seller.id, [o.id for o in made])


def pay_all(app, attempts: list[tuple[int, int, str]]) -> list[int | str]:
    """Run each (order id, purchaser id, reference) payment in its own thread, all started together; each
    answer is the payment's id, or the msgid of the PaymentError that refused it."""
    today = beijing_today()

    def attempt(order_id: int, buyer_id: int, reference: str) -> int | str:
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

    return run_together(app, attempt, attempts)


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

    def submit() -> tuple[int, str]:
        client = real_app.test_client()
        client.set_cookie("session", cookie)
        response = client.post(f"/payments/orders/{order_id}/pay", data=form)
        return response.status_code, response.headers.get("Location", "")

    codes = run_together(real_app, submit, [(), ()])

    assert codes == [(302, f"/orders/{order_id}#payment")] * 2
    with real_app.app_context():
        assert count(Payment, Payment.order_id == order_id) == 1
        assert totals(seeded.unit_id) == (Decimal("12.50"), 1, Decimal("12.50"))
