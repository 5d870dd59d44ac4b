"""Idempotency-Key on placing orders and recording payments: a replay answers the stored result and does
nothing new; the same key with another body is refused (409); two concurrent requests with one key have
one effect (real threads, real commits, on SQLite and PostgreSQL)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from accounts.models import (
    Role,
)
from accounts.models.security import IdempotencyRecord
from accounts.tokens import create_token
from shop.catalogue.models import Product
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import Order
from shop.payments.models import Payment
from tests.real_world import World, dispose, make_app, run_together

DELIVERY = {"address": "吕梁市离石区滨河北路1号", "contact": "王师傅", "phone": "13800138000"}


def _orders() -> int:
    return db.session.scalar(select(func.count()).select_from(Order))


def test_replay_returns_the_stored_answer(api_client, users, make_product):
    product = make_product(stock=10)
    api = api_client(users[Role.purchaser])
    body = {"lines": [{"product_id": product.id, "quantity": 2}], "delivery": DELIVERY}
    first = api.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "order-1"})
    assert first.status_code == 201
    # The same body with its keys in another order is the same request.
    again = api.post(
        "/api/v1/orders",
        json={"delivery": DELIVERY, "lines": body["lines"]},
        headers={"Idempotency-Key": "order-1"},
    )
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    db.session.expire_all()
    assert _orders() == 1
    assert db.session.get(Product, product.id).stock == 8


def test_same_key_other_body_is_refused(api_client, users, make_product):
    product = make_product(stock=10)
    api = api_client(users[Role.purchaser])
    body = {"lines": [{"product_id": product.id, "quantity": 2}], "delivery": DELIVERY}
    assert api.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k"}).status_code == 201
    other = {"lines": [{"product_id": product.id, "quantity": 3}], "delivery": DELIVERY}
    response = api.post("/api/v1/orders", json=other, headers={"Idempotency-Key": "k"})
    assert (response.status_code, response.json["code"]) == (409, "idempotency_key_reused")
    db.session.expire_all()
    assert _orders() == 1


def test_keys_are_per_user_and_errors_are_not_stored(api_client, users, make_product, make_user):
    product = make_product(stock=10)
    body = {"lines": [{"product_id": product.id, "quantity": 2}], "delivery": DELIVERY}
    api = api_client(users[Role.purchaser])
    refused = api.post(
        "/api/v1/orders",
        json={**body, "delivery": {**DELIVERY, "phone": "1"}},
        headers={"Idempotency-Key": "k"},
    )
    assert refused.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    assert api.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k"}).status_code == 201
    colleague = api_client(make_user(Role.purchaser, unit=users[Role.purchaser].unit))
    assert colleague.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k"}).status_code == 201
    db.session.expire_all()
    assert _orders() == 2


def test_bad_key(api_client, users):
    response = api_client(users[Role.purchaser]).post(
        "/api/v1/orders", json={}, headers={"Idempotency-Key": "has space"}
    )
    assert (response.status_code, response.json["code"]) == (400, "invalid_idempotency_key")


def test_payment_replay(api_client, users, make_order, make_product):
    order = make_order({make_product(price="5.00"): 1})
    api = api_client(users[Role.purchaser])
    body = {
        "method": "bank_transfer",
        "payer_account": "6222000011112222",
        "reference": "PAY-1",
        "amount": "5.00",
        "paid_on": date.today().isoformat(),
    }
    first = api.post(f"/api/v1/orders/{order.id}/payment", json=body, headers={"Idempotency-Key": "p"})
    again = api.post(f"/api/v1/orders/{order.id}/payment", json=body, headers={"Idempotency-Key": "p"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json
    other = api.post(
        f"/api/v1/orders/{order.id}/payment",
        json={**body, "reference": "PAY-2"},
        headers={"Idempotency-Key": "p"},
    )
    assert other.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Payment)) == 1


# --- concurrency: real commits ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    app = make_app(tmp_path_factory, "api_idempotency", connections=10, WTF_CSRF_ENABLED=False)
    yield app
    dispose(app)


def _seed(app) -> tuple[str, int]:
    """A purchaser with a token and a product with stock: (token, product id)."""
    world = World("幂等")
    with app.app_context():
        county = world.county("7")
        unit = world.unit(county, "I")
        product = world.product(world.supplier(county), county, stock=100, name=f"小米{world.n}")
        buyer = world.purchaser(unit, f"idem{world.n}", must_change_password=False, activated_at=utcnow())
        db.session.flush()
        _row, token = create_token(buyer, "concurrency")
        db.session.commit()
        return token, product.id


@pytest.mark.real_commits
def test_concurrent_requests_with_one_key_have_one_effect(real_app):
    token, product_id = _seed(real_app)
    body = {"lines": [{"product_id": product_id, "quantity": 1}], "delivery": DELIVERY}
    threads = 6

    def send():
        client = real_app.test_client()
        response = client.post(
            "/api/v1/orders",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"},
        )
        return response.status_code, response.get_json()

    answers = run_together(real_app, send, [()] * threads)
    assert {status for status, _ in answers} == {201}, answers
    assert len({answer["orders"][0]["id"] for _, answer in answers}) == 1
    with real_app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.get(Product, product_id).stock == 99
