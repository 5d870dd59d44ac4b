"""The order lifecycle: one transition function, its table of legal steps, the order pages and panels."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEntry, Notice, Role
from shop.aftersales.models import Refund
from shop.aftersales.services import accept_return, evaluate, request_return
from shop.cart.models import CartItem
from shop.catalogue.models import Product, ProductStatus
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from shop.orders.transitions import OrderError, close_received_orders, transition

S = OrderStatus


@pytest.fixture
def seller(users):
    return users[Role.supplier]


@pytest.fixture
def buyer(users):
    return users[Role.purchaser]


@pytest.fixture
def product(make_product, seller):
    return make_product(supplier=seller.supplier, price="12.50", stock=100)


@pytest.fixture
def order_in(make_order, product):
    def make(status=S.placed, quantity=3, **extra):
        return make_order({product: quantity}, status=status, **extra)

    return make


def events_of(order):
    return db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order.id)).all()


def audits(action):
    return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


# --- the transition function -------------------------------------------------------------------------------


def test_each_legal_step_writes_an_event_with_actor_from_and_to(order_in, seller, buyer):
    order = order_in()
    transition(order, seller, S.shipped, carrier="顺丰速运", tracking_number="SF1234567890")
    transition(order, buyer, S.received, acceptance_note="验收合格")
    transition(order, buyer, S.closed)

    steps = [(e.actor_id, e.from_status, e.to_status, e.kind) for e in events_of(order)]
    assert steps == [
        (seller.id, "placed", "shipped", "status"),
        (buyer.id, "shipped", "received", "status"),
        (buyer.id, "received", "closed", "status"),
    ]
    assert order.status == S.closed
    assert (order.carrier, order.tracking_number, order.acceptance_note) == (
        "顺丰速运",
        "SF1234567890",
        "验收合格",
    )
    assert order.shipped_at and order.received_at and order.closed_at
    assert [audits("order.ship"), audits("order.receive"), audits("order.close")] == [1, 1, 1]


def test_the_unit_manager_accepts_for_its_unit(order_in, users):
    order = order_in(S.shipped)
    transition(order, users[Role.unit_manager], S.received, acceptance_note="合格")
    assert order.status == S.received


ILLEGAL = [
    # (order status, actor, target, fields)
    (S.cancelled, Role.supplier, S.shipped, {"carrier": "顺丰", "tracking_number": "SF1"}),
    (S.placed, Role.purchaser, S.received, {"acceptance_note": "合格"}),
    (S.shipped, Role.purchaser, S.cancelled, {"reason": "不要了"}),
    (S.shipped, Role.supplier, S.cancelled, {"reason": "缺货"}),
    (S.placed, Role.purchaser, S.shipped, {"carrier": "顺丰", "tracking_number": "SF1"}),
    (S.shipped, Role.supplier, S.received, {"acceptance_note": "合格"}),
    (S.placed, Role.supplier, S.closed, {}),
    (S.received, Role.operator, S.closed, {}),
    (S.received, Role.finance, S.closed, {}),
    (S.closed, Role.purchaser, S.placed, {}),
]


@pytest.mark.parametrize(("status", "role", "target", "fields"), ILLEGAL)
def test_every_illegal_transition_is_refused_with_nothing_changed(
    order_in, product, users, status, role, target, fields
):
    order = order_in(status)
    with pytest.raises(OrderError):
        transition(order, users[role], target, **fields)
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == status
    assert events_of(order) == []
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("order.%"))) == 0
    assert db.session.get(Product, product.id).stock == 100


def test_another_supplier_may_not_act(order_in, make_user, make_supplier):
    other = make_user(Role.supplier, supplier=make_supplier())
    order = order_in()
    with pytest.raises(OrderError):
        transition(order, other, S.cancelled, reason="不卖了")
    assert order.status == S.placed


def test_the_system_may_close_but_not_ship(order_in):
    with pytest.raises(OrderError):
        transition(order_in(), None, S.shipped, carrier="顺丰", tracking_number="SF1")


@pytest.mark.parametrize(
    "fields",
    [
        {"carrier": "", "tracking_number": "SF1"},
        {"carrier": "顺丰", "tracking_number": "  "},
        {"carrier": "顺丰"},
    ],
)
def test_ship_needs_carrier_and_tracking_number(order_in, seller, fields):
    order = order_in()
    with pytest.raises(OrderError) as refused:
        transition(order, seller, S.shipped, **fields)
    assert refused.value.field in ("carrier", "tracking_number")
    assert order.status == S.placed and events_of(order) == []


def test_cancel_needs_a_reason(order_in, buyer):
    order = order_in()
    with pytest.raises(OrderError) as refused:
        transition(order, buyer, S.cancelled, reason=" ")
    assert refused.value.field == "reason"
    assert order.status == S.placed


def test_cancel_restores_stock_and_sales_and_tells_the_other_side(order_in, product, buyer, seller):
    order = order_in(quantity=3)
    # As the checkout left it: the ordered quantity taken off the stock and added to the sales.
    product.stock, product.sales_count = 97, 3
    db.session.commit()

    transition(order, buyer, S.cancelled, reason="采购计划调整")

    db.session.expire_all()
    product = db.session.get(Product, product.id)
    assert (product.stock, product.sales_count) == (100, 0)
    order = db.session.get(Order, order.id)
    assert (order.status, order.cancel_reason) == (S.cancelled, "采购计划调整")
    assert [(e.from_status, e.to_status, e.note) for e in events_of(order)] == [
        ("placed", "cancelled", "采购计划调整")
    ]
    told = db.session.scalars(select(Notice).where(Notice.user_id == seller.id)).all()
    assert [notice.params["number"] for notice in told] == [order.number]


def test_cancelling_a_paid_order_records_a_pending_refund_of_its_total(order_in, seller):
    order = order_in(quantity=4, payment_status=PaymentStatus.paid)
    transition(order, seller, S.cancelled, reason="缺货")
    refund = db.session.scalars(select(Refund).where(Refund.order_id == order.id)).one()
    assert refund.amount == Decimal("50.00") and refund.reason == "缺货"


def test_shipping_tells_the_purchaser(order_in, seller, buyer):
    order = order_in()
    transition(order, seller, S.shipped, carrier="京东物流", tracking_number="JD0001")
    notice = db.session.scalars(select(Notice).where(Notice.user_id == buyer.id)).one()
    assert notice.params == {"number": order.number, "carrier": "京东物流", "tracking": "JD0001"}
    assert notice.link == f"/orders/{order.id}"


def test_received_orders_close_automatically_after_a_while(order_in):
    old, recent = order_in(S.received), order_in(S.received)
    old.received_at = utcnow() - timedelta(days=20)
    recent.received_at = utcnow() - timedelta(days=2)
    db.session.commit()
    assert close_received_orders() == 1
    assert (old.status, recent.status) == (S.closed, S.received)
    assert [(e.actor_id, e.to_status) for e in events_of(old)] == [(None, "closed")]


def test_the_close_received_command_closes_old_accepted_orders(app, order_in):
    old, recent = order_in(S.received), order_in(S.received)
    old.received_at = utcnow() - timedelta(days=9)
    recent.received_at = utcnow() - timedelta(days=2)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["orders", "close-received", "--days", "7"])
    assert result.exit_code == 0, result.output
    assert "closed 1 order(s)" in result.output
    assert (old.status, recent.status) == (S.closed, S.received)


# --- the pages: who sees which order, who may take which step ----------------------------------------------


def test_a_purchaser_sees_its_own_units_orders_only(
    client, login_as, order_in, buyer, make_unit, make_user, make_order, product
):
    mine = order_in()
    colleague = make_user(Role.purchaser, unit=buyer.unit)
    theirs_same_unit = make_order({product: 1}, purchaser=colleague)
    other_unit = make_order({product: 1}, purchaser=make_user(Role.purchaser, unit=make_unit()))
    login_as(buyer)
    page = client.get("/orders/").get_data(as_text=True)
    assert mine.number in page and theirs_same_unit.number in page
    assert other_unit.number not in page
    assert client.get(f"/orders/{mine.id}").status_code == 200
    assert client.get(f"/orders/{other_unit.id}").status_code == 404


def test_the_unit_manager_sees_all_of_its_units_orders(client, login_as, users, order_in):
    order = order_in()
    login_as(users[Role.unit_manager])
    assert order.number in client.get("/orders/").get_data(as_text=True)
    assert client.get(f"/orders/{order.id}").status_code == 200


def test_a_supplier_sees_and_acts_on_its_own_orders_only(
    client, login_as, order_in, make_user, make_supplier
):
    order = order_in()
    other = make_user(Role.supplier, supplier=make_supplier())
    login_as(other)
    assert order.number not in client.get("/orders/").get_data(as_text=True)
    assert client.get(f"/orders/{order.id}").status_code == 404
    response = client.post(f"/orders/{order.id}/ship", data={"carrier": "顺丰", "tracking_number": "SF1"})
    assert response.status_code == 404
    assert client.post(f"/orders/{order.id}/cancel", data={"reason": "x"}).status_code == 404
    assert order.status == S.placed


def test_a_purchaser_shipping_and_a_supplier_receiving_are_forbidden(
    client, login_as, order_in, buyer, seller
):
    placed, shipped = order_in(), order_in(S.shipped)
    login_as(buyer)
    assert (
        client.post(f"/orders/{placed.id}/ship", data={"carrier": "a", "tracking_number": "b"}).status_code
        == 403
    )
    client.post("/logout")
    login_as(seller)
    assert client.post(f"/orders/{shipped.id}/receive", data={"acceptance_note": "ok"}).status_code == 403
    assert client.post(f"/orders/{shipped.id}/close").status_code == 403
    db.session.expire_all()
    assert (placed.status, shipped.status) == (S.placed, S.shipped)


@pytest.mark.parametrize("role", [Role.finance, Role.operator])
def test_other_roles_have_no_order_list_and_take_no_step(client, login_as, users, order_in, role):
    """They read an order's page (tests/shop/test_order_page_readers.py) but list and act on none."""
    order = order_in()
    login_as(users[role])
    assert client.get("/orders/").status_code == 403
    assert client.post(f"/orders/{order.id}/cancel", data={"reason": "x"}).status_code == 403


def test_ship_through_the_page_and_the_timeline_shows_it(client, login_as, order_in, seller):
    order = order_in()
    login_as(seller)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f"/orders/{order.id}/ship" in page
    response = client.post(
        f"/orders/{order.id}/ship", data={"carrier": "顺丰速运", "tracking_number": "SF42"}
    )
    assert response.status_code == 302
    assert order.status == S.shipped
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'id="timeline"' in page and "SF42" in page


def test_a_refused_step_on_the_page_says_why_and_changes_nothing(client, login_as, order_in, seller):
    order = order_in(S.cancelled)
    login_as(seller)
    client.post("/lang/en")
    response = client.post(
        f"/orders/{order.id}/ship", data={"carrier": "顺丰", "tracking_number": "SF1"}, follow_redirects=True
    )
    assert "only a placed order can be shipped" in response.get_data(as_text=True)
    assert order.status == S.cancelled and events_of(order) == []

    placed = order_in()
    response = client.post(f"/orders/{placed.id}/ship", data={"carrier": "顺丰"}, follow_redirects=True)
    assert "Give the tracking number." in response.get_data(as_text=True)
    assert placed.status == S.placed


def test_cancel_through_the_page_needs_a_reason(client, login_as, order_in, buyer):
    order = order_in()
    login_as(buyer)
    client.post(f"/orders/{order.id}/cancel", data={"reason": ""})
    assert order.status == S.placed
    client.post(f"/orders/{order.id}/cancel", data={"reason": "预算调整"})
    assert order.status == S.cancelled


def test_the_list_filters_by_status_and_payment_status(client, login_as, order_in, buyer):
    placed, shipped = order_in(), order_in(S.shipped, payment_status=PaymentStatus.paid)
    login_as(buyer)
    page = client.get("/orders/?status=shipped").get_data(as_text=True)
    assert shipped.number in page and placed.number not in page
    page = client.get("/orders/?payment=unpaid").get_data(as_text=True)
    assert placed.number in page and shipped.number not in page


def test_the_list_pages_with_a_next_link(app, client, login_as, order_in, buyer, monkeypatch):
    monkeypatch.setitem(app.config, "PAGE_SIZE", 2)
    orders = [order_in() for _ in range(3)]
    login_as(buyer)
    first = client.get("/orders/").get_data(as_text=True)
    assert f"before={orders[1].id}" in first
    second = client.get(f"/orders/?before={orders[1].id}").get_data(as_text=True)
    assert orders[0].number in second and orders[2].number not in second


# --- order again -------------------------------------------------------------------------------------------


def test_order_again_fills_the_cart_with_the_products_still_on_sale(
    client, login_as, make_order, make_product, seller, buyer
):
    kept = make_product(supplier=seller.supplier, price="8.00", min_order_quantity=5)
    gone = make_product(supplier=seller.supplier)
    order = make_order({kept: 2, gone: 1}, status=S.closed)
    kept.price = Decimal("9.00")
    gone.status = ProductStatus.delisted
    db.session.commit()

    login_as(buyer)
    response = client.post(f"/orders/{order.id}/again")
    assert response.status_code == 302
    items = db.session.scalars(select(CartItem).where(CartItem.user_id == buyer.id)).all()
    assert [(item.product_id, item.quantity, item.price_seen) for item in items] == [
        (kept.id, 5, Decimal("9.00"))
    ]


def test_a_supplier_may_not_order_again(client, login_as, order_in, seller):
    order = order_in()
    login_as(seller)
    assert client.post(f"/orders/{order.id}/again").status_code == 403


# --- query counts ------------------------------------------------------------------------------------------


def _index_queries(client, count_queries, path):
    with count_queries() as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_the_order_list_runs_a_constant_number_of_queries(
    client, login_as, order_in, buyer, seller, count_queries
):
    for _ in range(2):
        order_in()
    login_as(buyer)
    few = _index_queries(client, count_queries, "/orders/")
    for _ in range(10):
        order_in()
    assert _index_queries(client, count_queries, "/orders/") == few
    client.post("/logout")
    login_as(seller)
    assert _index_queries(client, count_queries, "/orders/") == few


def test_the_order_page_runs_a_constant_number_of_queries(
    client, login_as, make_order, make_product, seller, buyer, count_queries
):
    def order_of(lines):
        order = make_order({make_product(supplier=seller.supplier): 2 for _ in range(lines)}, status=S.placed)
        transition(order, seller, S.shipped, carrier="顺丰", tracking_number="SF1")
        transition(order, buyer, S.received, acceptance_note="合格")
        # Returns (one accepted, with its refund) and the evaluation are on the page too.
        for line in order.lines[:2]:
            accept_return(seller, request_return(buyer, order, {line.id: 1}, "破损"))
        request_return(buyer, order, {line.id: 1 for line in order.lines}, "不新鲜")
        evaluate(buyer, order, 5, 4, 5, "好")
        db.session.commit()
        return order

    small, large = order_of(2), order_of(12)
    login_as(buyer)
    few = _index_queries(client, count_queries, f"/orders/{small.id}")
    assert _index_queries(client, count_queries, f"/orders/{large.id}") == few


# --- home panels -------------------------------------------------------------------------------------------


def test_home_panels_show_what_waits_for_each_side(client, login_as, order_in, buyer, seller, users):
    to_ship, to_accept = order_in(), order_in(S.shipped)
    to_evaluate = order_in(S.received)
    login_as(seller)
    page = client.get("/").get_data(as_text=True)
    assert to_ship.number in page and to_accept.number not in page
    assert "/orders/dashboard" in page
    client.post("/logout")
    login_as(buyer)
    page = client.get("/").get_data(as_text=True)
    assert to_accept.number in page and to_evaluate.number in page and to_ship.number not in page
    client.post("/logout")
    login_as(users[Role.operator])
    assert "/orders/supplier-ratings" in client.get("/").get_data(as_text=True)


def test_a_supervising_manager_sees_but_cannot_act_on_subordinate_orders(
    client, users, make_user, make_unit, make_product, make_order, login_as
):
    from shop.orders.models import OrderStatus

    manager = users[Role.unit_manager]
    school = make_unit("吕梁市第一中学", parent=manager.unit)
    buyer = make_user(Role.purchaser, unit=school)
    order = make_order({make_product(): 2}, purchaser=buyer)
    other = make_order({make_product(): 1}, purchaser=make_user(Role.purchaser, unit=make_unit("别的单位")))
    login_as(manager)
    assert order.number in client.get("/orders/").get_data(as_text=True)
    assert client.get(f"/orders/{order.id}").status_code == 200
    assert client.get(f"/orders/{other.id}").status_code == 404
    client.post(f"/orders/{order.id}/cancel", data={"reason": "不需要了"})
    assert db.session.get(type(order), order.id).status == OrderStatus.placed
