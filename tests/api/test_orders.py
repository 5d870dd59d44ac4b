"""Placing orders, reading them, steps and payments through the API: the web's rules, JSON errors, and
nothing changed by a refused request."""

from datetime import date, timedelta

from sqlalchemy import func, select

from accounts.models import AuditEntry, Role, SupplierStatus
from shop.cart.models import CartItem
from shop.catalogue.models import Product
from shop.extensions import db
from shop.orders.models import Order, OrderStatus, PaymentStatus
from shop.payments.models import Payment

DELIVERY = {"address": "吕梁市离石区滨河北路1号", "contact": "王师傅", "phone": "13800138000"}


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_place_splits_per_supplier_and_keeps_the_web_cart(api_client, users, make_product, make_supplier):
    buyer = users[Role.purchaser]
    a = make_product(supplier=make_supplier(), price="10.00", stock=5)
    b = make_product(supplier=make_supplier(), price="2.50", stock=5)
    in_web_cart = make_product(price="1.00")
    db.session.add(CartItem(user_id=buyer.id, product=in_web_cart, quantity=3, price_seen=in_web_cart.price))
    db.session.commit()

    response = api_client(buyer).post(
        "/api/v1/orders",
        json={
            "lines": [
                {"product_id": a.id, "quantity": 2},
                {"product_id": b.id, "quantity": 4, "unit_price": "2.50"},
            ],
            "delivery": DELIVERY,
        },
    )
    assert response.status_code == 201, response.json
    orders = response.json["orders"]
    assert len(orders) == 2
    assert sorted(order["total"] for order in orders) == ["10.00", "20.00"]
    assert {order["supplier"]["id"] for order in orders} == {a.supplier_id, b.supplier_id}
    assert all(order["status"] == "placed" and order["unit"]["id"] == buyer.unit_id for order in orders)
    db.session.expire_all()
    assert db.session.get(Product, a.id).stock == 3
    cart = db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)).all()
    assert [(item.product_id, item.quantity) for item in cart] == [(in_web_cart.id, 3)]
    assert (
        _count(AuditEntry)
        and db.session.scalar(select(func.count()).where(AuditEntry.action == "order.place")) == 2
    )


def test_refusals_change_nothing(api_client, users, make_product):
    buyer = users[Role.purchaser]
    product = make_product(price="10.00", stock=5, min_order_quantity=2)
    api = api_client(buyer)
    api.get("/api/v1/me")
    cases = [
        ({"product_id": product.id, "quantity": 9}, 409, "out_of_stock"),
        ({"product_id": product.id, "quantity": 1}, 422, "invalid_field"),
        ({"product_id": product.id, "quantity": 2, "unit_price": "9.00"}, 409, "price_changed"),
        ({"product_id": 999999, "quantity": 2}, 422, "invalid_field"),
    ]
    for line, status, code in cases:
        response = api.post("/api/v1/orders", json={"lines": [line], "delivery": DELIVERY})
        assert (response.status_code, response.json["code"]) == (status, code), (line, response.json)
    response = api.post(
        "/api/v1/orders",
        json={"lines": [{"product_id": product.id, "quantity": 2}], "delivery": {**DELIVERY, "phone": "12"}},
    )
    assert response.status_code == 422
    assert "phone" in response.json["details"]["json"]["delivery"]
    db.session.expire_all()
    assert _count(Order) == 0
    assert db.session.get(Product, product.id).stock == 5


def test_list_scoped_and_paged(
    api_client, users, make_order, make_product, make_unit, make_user, count_queries
):
    product = make_product()
    other_buyer = make_user(Role.purchaser, unit=make_unit("另一单位"))
    mine = [make_order({product: 1}) for _ in range(3)]
    theirs = make_order({product: 1}, purchaser=other_buyer)
    api = api_client(users[Role.purchaser])

    seen, cursor = [], None
    while True:
        page = api.get("/api/v1/orders?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(order.id for order in mine)
    assert api.get(f"/api/v1/orders/{theirs.id}").status_code == 404
    assert api.get(f"/api/v1/orders/{mine[0].id}").json["delivery_phone"] == "13800138000"
    assert api.get("/api/v1/orders").json["items"][0]["delivery_phone"] == "138****8000"

    supplier_view = api_client(users[Role.supplier]).get("/api/v1/orders").json["items"]
    assert supplier_view == []  # another supplier's orders

    counts = []
    for rows in (2, 15):
        for _ in range(rows):
            make_order({product: 1})
        with count_queries() as queries:
            assert api.get("/api/v1/orders?limit=100").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_ship_receive_cancel(api_client, users, make_product):
    seller = users[Role.supplier]
    product = make_product(supplier=seller.supplier, stock=10)
    buyer_api = api_client(users[Role.purchaser])
    seller_api = api_client(seller)
    order_id = buyer_api.post(
        "/api/v1/orders", json={"lines": [{"product_id": product.id, "quantity": 2}], "delivery": DELIVERY}
    ).json["orders"][0]["id"]

    # The buyer cannot ship; the supplier cannot receive.
    assert (
        buyer_api.post(
            f"/api/v1/orders/{order_id}/ship", json={"carrier": "x", "tracking_number": "1"}
        ).status_code
        == 403
    )
    assert seller_api.post(f"/api/v1/orders/{order_id}/receive", json={"note": "ok"}).status_code == 403
    # Receiving before shipment is a state conflict.
    response = buyer_api.post(f"/api/v1/orders/{order_id}/receive", json={"note": "ok"})
    assert (response.status_code, response.json["code"]) == (409, "wrong_status")

    response = seller_api.post(
        f"/api/v1/orders/{order_id}/ship", json={"carrier": "顺丰", "tracking_number": "SF1"}
    )
    assert response.status_code == 200
    assert response.json["status"] == "shipped" and response.json["carrier"] == "顺丰"
    response = buyer_api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "late"})
    assert (response.status_code, response.json["code"]) == (409, "wrong_status")
    response = buyer_api.post(f"/api/v1/orders/{order_id}/receive", json={"note": "货已收到"})
    assert response.status_code == 200 and response.json["status"] == "received"


def test_cancel_restores_stock(api_client, users, make_product):
    product = make_product(stock=10)
    api = api_client(users[Role.purchaser])
    order_id = api.post(
        "/api/v1/orders", json={"lines": [{"product_id": product.id, "quantity": 4}], "delivery": DELIVERY}
    ).json["orders"][0]["id"]
    response = api.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "买错了"})
    assert response.status_code == 200 and response.json["status"] == "cancelled"
    db.session.expire_all()
    assert db.session.get(Product, product.id).stock == 10


def test_other_units_order_is_404_for_every_action(
    api_client, users, make_order, make_product, make_unit, make_user
):
    theirs = make_order({make_product(): 1}, purchaser=make_user(Role.purchaser, unit=make_unit("另一单位")))
    api = api_client(users[Role.purchaser])
    for path, body in (
        ("receive", {"note": "x"}),
        ("cancel", {"reason": "x"}),
        (
            "payment",
            {
                "method": "bank_transfer",
                "payer_account": "6222000011112222",
                "reference": "REF0001",
                "amount": str(theirs.total),
                "paid_on": date.today().isoformat(),
            },
        ),
    ):
        response = api.post(f"/api/v1/orders/{theirs.id}/{path}", json=body)
        assert (response.status_code, response.json["code"]) == (404, "not_found"), path
    db.session.expire_all()
    assert db.session.get(Order, theirs.id).status == OrderStatus.placed


def test_payment(api_client, users, make_order, make_product):
    order = make_order({make_product(price="12.50"): 2})
    api = api_client(users[Role.purchaser])
    body = {
        "method": "official_card",
        "payer_account": "6222 0000 1111 2222",
        "reference": "ab-123",
        "amount": "25.00",
        "paid_on": date.today().isoformat(),
    }

    wrong = api.post(f"/api/v1/orders/{order.id}/payment", json={**body, "amount": "20.00"})
    assert (wrong.status_code, wrong.json["code"], wrong.json["details"]) == (
        422,
        "invalid_field",
        {"field": "amount"},
    )
    future = api.post(
        f"/api/v1/orders/{order.id}/payment",
        json={**body, "paid_on": (date.today() + timedelta(days=2)).isoformat()},
    )
    assert future.status_code == 422
    floaty = api.post(f"/api/v1/orders/{order.id}/payment", json={**body, "amount": 25.0})
    assert floaty.status_code == 422  # money is a string
    assert _count(Payment) == 0

    response = api.post(f"/api/v1/orders/{order.id}/payment", json=body)
    assert response.status_code == 201, response.json
    assert response.json["payment_status"] == "paid"
    assert response.json["payment"]["reference"] == "AB-123"
    assert response.json["payment"]["payer_account"] == "6222 **** 2222"
    again = api.post(f"/api/v1/orders/{order.id}/payment", json={**body, "reference": "OTHER-1"})
    assert (again.status_code, again.json["code"]) == (409, "payment_refused")
    db.session.expire_all()
    assert db.session.get(Order, order.id).payment_status == PaymentStatus.paid
    assert _count(Payment) == 1


def test_finance_sees_but_cannot_act(api_client, users, make_order, make_product):
    order = make_order({make_product(): 1})
    finance = api_client(users[Role.finance])
    assert finance.get(f"/api/v1/orders/{order.id}").status_code == 200
    assert finance.post(f"/api/v1/orders/{order.id}/cancel", json={"reason": "x"}).status_code == 403


def test_a_suspended_suppliers_product_is_no_product_to_order(api_client, users, make_product):
    product = make_product(stock=5)
    product.supplier.status = SupplierStatus.suspended  # its products stay listed but leave the catalogue
    db.session.flush()
    api = api_client(users[Role.purchaser])
    line = {"product_id": product.id, "quantity": 1}
    response = api.post("/api/v1/orders", json={"lines": [line], "delivery": DELIVERY})
    assert (response.status_code, response.json["code"]) == (422, "invalid_field"), response.json
    assert response.json["details"]["json"]["lines"]["0"] == {"product_id": ["No such product."]}
    assert _count(Order) == 0


def test_a_supervising_manager_sees_but_may_not_pay_a_subordinate_units_order(
    api_client, users, make_order, make_product, make_unit, make_user
):
    manager = users[Role.unit_manager]
    below = make_unit("下属单位", parent=manager.unit)
    order = make_order({make_product(price="12.50"): 1}, purchaser=make_user(Role.purchaser, unit=below))
    api = api_client(manager)
    assert api.get(f"/api/v1/orders/{order.id}").status_code == 200
    body = {
        "method": "official_card",
        "payer_account": "6222000011112222",
        "reference": "SUP-1",
        "amount": "12.50",
        "paid_on": date.today().isoformat(),
    }
    response = api.post(f"/api/v1/orders/{order.id}/payment", json=body)
    assert (response.status_code, response.json["code"]) == (403, "not_your_order")
    assert _count(Payment) == 0
