"""The checkout: one order per supplier with snapshots and totals, all or nothing, refused for a stale cart,
pre-filled delivery details, a double submit placed once, numbers by the Beijing day; and cancellation's
stock given back."""

import re
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from accounts.models import AuditEntry, Notice, Role, SupplierStatus
from shop.cart.models import CartItem
from shop.catalogue.models import Product, ProductStatus
from shop.common import utcnow
from shop.counters import current_value
from shop.extensions import db
from shop.orders import numbers
from shop.orders.models import Order, OrderStatus
from shop.orders.placing import (
    CheckoutError,
    Delivery,
    OutOfStock,
    StaleCart,
    new_checkout_token,
    place_orders,
    restore_stock,
)
from tests.conftest import login
from tests.shop.conftest import DELIVERY


@pytest.fixture
def buyer(users):
    return users[Role.purchaser]


def orders_of(user) -> list[Order]:
    return list(db.session.scalars(select(Order).where(Order.purchaser_id == user.id).order_by(Order.id)))


def stock_of(product) -> tuple[int, int]:
    """(stock, sales_count) as stored now."""
    return tuple(
        db.session.execute(select(Product.stock, Product.sales_count).where(Product.id == product.id)).one()
    )


def cart_size(user) -> int:
    return db.session.scalar(select(func.count(CartItem.id)).where(CartItem.user_id == user.id))


# --- placing -----------------------------------------------------------------------------------------------


def test_checkout_places_one_order_per_supplier_with_totals_and_snapshots(
    buyer, make_supplier, make_product, make_user, fill_cart
):
    first, second = make_supplier(), make_supplier()
    seller = make_user(Role.supplier, supplier=first)
    rice = make_product(first, name="兴县小米", price="12.50", stock=10, spec="2.5kg/袋", unit="袋")
    dates = make_product(first, name="临县红枣", price="30.00", stock=5, spec="1kg/盒", unit="盒")
    oil = make_product(second, name="胡麻油", price="88.80", stock=3, spec="5L/桶", unit="桶")
    fill_cart(buyer, {rice: 4, dates: 1, oil: 3})

    orders = place_orders(buyer, DELIVERY, new_checkout_token())
    db.session.commit()

    assert [order.supplier_id for order in orders] == [first.id, second.id]
    assert [order.total for order in orders] == [Decimal("80.00"), Decimal("266.40")]
    one = orders[0]
    assert [
        (line.product_name, line.spec, line.unit, line.unit_price, line.quantity, line.amount)
        for line in one.lines
    ] == [
        ("兴县小米", "2.5kg/袋", "袋", Decimal("12.50"), 4, Decimal("50.00")),
        ("临县红枣", "1kg/盒", "盒", Decimal("30.00"), 1, Decimal("30.00")),
    ]
    assert (one.unit_id, one.status, one.delivery_address, one.delivery_phone) == (
        buyer.unit_id,
        OrderStatus.placed,
        DELIVERY.address,
        DELIVERY.phone,
    )
    assert [(event.to_status, event.actor_id) for event in one.events] == [("placed", buyer.id)]
    for order in orders:
        assert re.fullmatch(rf"DD{numbers.order_day(order.placed_at)}\d{{6}}", order.number)
    assert stock_of(rice) == (6, 4) and stock_of(dates) == (4, 1) and stock_of(oil) == (0, 3)
    assert cart_size(buyer) == 0

    audited = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.place")).all()
    assert sorted(entry.object_id for entry in audited) == [order.id for order in orders]
    notice = db.session.scalars(select(Notice).where(Notice.user_id == seller.id)).one()
    assert notice.params["number"] == one.number

    # Later edits of the product never change the order.
    rice.name, rice.price = "改名", Decimal("1.00")
    db.session.commit()
    db.session.refresh(one)
    assert (one.lines[0].product_name, one.lines[0].unit_price) == ("兴县小米", Decimal("12.50"))


def test_a_changed_price_is_refused_until_the_cart_is_seen_again(buyer, login_as, make_product, fill_cart):
    product = make_product(price="10.00")
    fill_cart(buyer, {product: 2})
    product.price = Decimal("9.00")
    db.session.commit()
    with pytest.raises(StaleCart):
        place_orders(buyer, DELIVERY, new_checkout_token())
    db.session.rollback()
    assert orders_of(buyer) == [] and stock_of(product) == (100, 0)

    login_as(buyer).get("/cart/")  # shows the new price, and accepts it
    (order,) = place_orders(buyer, DELIVERY, new_checkout_token())
    assert order.total == Decimal("18.00")


@pytest.mark.parametrize("change", ["delisted", "supplier_suspended", "minimum_raised"])
def test_a_line_no_longer_orderable_is_refused(buyer, make_product, fill_cart, change):
    product = make_product(stock=10)
    fill_cart(buyer, {product: 2})
    if change == "delisted":
        product.status = ProductStatus.delisted
    elif change == "supplier_suspended":
        product.supplier.status = SupplierStatus.suspended
    else:
        product.min_order_quantity = 3
    db.session.commit()
    with pytest.raises(StaleCart) as refused:
        place_orders(buyer, DELIVERY, new_checkout_token())
    assert refused.value.params["product"] == product.name
    db.session.rollback()
    assert orders_of(buyer) == [] and stock_of(product) == (10, 0) and cart_size(buyer) == 1


def test_nothing_is_placed_when_the_second_suppliers_product_is_short(
    buyer, make_supplier, make_product, fill_cart
):
    first = make_product(make_supplier(), stock=10)
    second = make_product(make_supplier(), stock=5)
    fill_cart(buyer, {first: 3, second: 5})
    second.stock = 4  # sold elsewhere since
    db.session.commit()
    day_counter = numbers.counter_key(numbers.order_day(utcnow()))
    before = current_value(day_counter)

    with pytest.raises(OutOfStock) as refused:
        place_orders(buyer, DELIVERY, new_checkout_token())
    assert refused.value.params == {"product": second.name, "stock": 4, "unit": "袋"}
    db.session.rollback()
    assert stock_of(first) == (10, 0) and stock_of(second) == (4, 0)
    assert orders_of(buyer) == [] and cart_size(buyer) == 2
    assert current_value(day_counter) == before


def test_an_out_of_stock_checkout_through_the_page_changes_nothing(buyer, login_as, make_product, fill_cart):
    product = make_product(stock=5)
    fill_cart(buyer, {product: 5})
    product.stock = 2
    db.session.commit()
    client = login_as(buyer)
    response = client.post("/cart/checkout", data={**delivery_form(), "checkout_token": new_checkout_token()})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart/")
    assert orders_of(buyer) == [] and stock_of(product) == (2, 0) and cart_size(buyer) == 1


def test_an_empty_cart_places_nothing(buyer, login_as):
    with pytest.raises(CheckoutError):
        place_orders(buyer, DELIVERY, new_checkout_token())
    assert login_as(buyer).get("/cart/checkout").status_code == 302


@pytest.mark.parametrize(
    "field, value", [("address", " "), ("contact", ""), ("phone", "12345"), ("phone", "138001380001")]
)
def test_bad_delivery_details_are_refused(buyer, login_as, make_product, fill_cart, field, value):
    product = make_product()
    fill_cart(buyer, {product: 1})
    with pytest.raises(CheckoutError) as refused:
        place_orders(buyer, Delivery(**{**DELIVERY.__dict__, field: value}), new_checkout_token())
    assert refused.value.field == field
    db.session.rollback()

    client = login_as(buyer)
    data = {**delivery_form(), field: value, "checkout_token": new_checkout_token()}
    response = client.post("/cart/checkout", data=data)
    assert response.status_code == 200  # the form again, with the message at the field
    assert 'class="field has-error"' in response.get_data(as_text=True)
    assert orders_of(buyer) == [] and cart_size(buyer) == 1


# --- the form ----------------------------------------------------------------------------------------------


def delivery_form(delivery: Delivery = DELIVERY) -> dict:
    return {"address": delivery.address, "contact": delivery.contact, "phone": delivery.phone, "note": ""}


def form_value(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, name
    value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
    return value.group(1) if value else ""


def test_the_delivery_details_are_prefilled_from_the_units_last_order(
    users, make_user, login_as, make_product, fill_cart, make_order
):
    buyer = users[Role.purchaser]
    colleague = make_user(Role.purchaser, unit=buyer.unit, name="李四", phone="13911112222")
    product = make_product()
    fill_cart(colleague, {product: 1})

    page = login_as(colleague).get("/cart/checkout").get_data(as_text=True)
    assert (form_value(page, "contact"), form_value(page, "phone")) == ("李四", "13911112222")

    make_order({product: 1}, purchaser=buyer)  # the unit's last order, by a colleague
    page = login_as(colleague).get("/cart/checkout").get_data(as_text=True)
    assert form_value(page, "address") == "吕梁市离石区滨河北路1号"
    assert (form_value(page, "contact"), form_value(page, "phone")) == ("王师傅", "13800138000")
    assert len(form_value(page, "checkout_token")) >= 16


def test_checkout_goes_back_to_the_cart_when_a_line_changed(buyer, login_as, make_product, fill_cart):
    product = make_product(price="10.00")
    fill_cart(buyer, {product: 1})
    product.price = Decimal("12.00")
    db.session.commit()
    client = login_as(buyer)
    response = client.get("/cart/checkout")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart/")
    client.get("/cart/")
    assert client.get("/cart/checkout").status_code == 200


def test_a_double_submit_places_the_orders_once(buyer, login_as, make_supplier, make_product, fill_cart):
    first, second = make_product(make_supplier(), stock=10), make_product(make_supplier(), stock=10)
    fill_cart(buyer, {first: 2, second: 3})
    client = login_as(buyer)
    page = client.get("/cart/checkout").get_data(as_text=True)
    data = {**delivery_form(), "checkout_token": form_value(page, "checkout_token")}

    answers = [client.post("/cart/checkout", data=data) for _ in range(2)]
    assert [answer.status_code for answer in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert len(orders_of(buyer)) == 2
    assert stock_of(first) == (8, 2) and stock_of(second) == (7, 3)

    if not answers[0].headers["Location"].startswith("/orders"):
        page = client.get(answers[0].headers["Location"]).get_data(as_text=True)
        assert sorted(re.findall(r'data-order="(\w+)"', page)) == sorted(o.number for o in orders_of(buyer))


def test_a_checkout_token_is_the_purchasers_own(users, make_user, make_product, fill_cart):
    buyer = users[Role.purchaser]
    other = make_user(Role.purchaser, unit=buyer.unit)
    product = make_product()
    token = new_checkout_token()
    fill_cart(buyer, {product: 1})
    place_orders(buyer, DELIVERY, token)
    fill_cart(other, {product: 1})
    with pytest.raises(CheckoutError):
        place_orders(other, DELIVERY, token)
    with pytest.raises(CheckoutError):
        place_orders(other, DELIVERY, "short")


def test_the_confirmation_page_is_the_purchasers_own(
    app, users, make_user, login_as, make_product, fill_cart
):
    buyer = users[Role.purchaser]
    token = new_checkout_token()
    fill_cart(buyer, {make_product(): 1})
    place_orders(buyer, DELIVERY, token)
    db.session.commit()
    assert login_as(buyer).get(f"/cart/placed/{token}").status_code == 200
    other = make_user(Role.purchaser, unit=buyer.unit)
    other_client = app.test_client()
    login(other_client, other)
    assert other_client.get(f"/cart/placed/{token}").status_code == 404


# --- numbers and cancellation ------------------------------------------------------------------------------


def test_order_numbers_count_the_beijing_day():
    # 17:00 UTC on the 29th is 01:00 on the 30th in Beijing.
    assert numbers.order_day(datetime(2026, 11, 29, 17, 0)) == "20261130"
    assert numbers.order_day(datetime(2026, 11, 29, 15, 59)) == "20261129"
    assert numbers.format_number("20261130", 42) == "DD20261130000042"
    assert numbers.serial_of("DD20261130000042") == 42


def test_order_numbers_of_a_day_follow_each_other(buyer, make_supplier, make_product, fill_cart):
    products = [make_product(make_supplier()) for _ in range(3)]
    fill_cart(buyer, dict.fromkeys(products, 1))
    orders = place_orders(buyer, DELIVERY, new_checkout_token())
    serials = [numbers.serial_of(order.number) for order in orders]
    assert serials == list(range(serials[0], serials[0] + 3))


def test_restore_stock_puts_the_stock_and_sales_back(buyer, make_supplier, make_product, fill_cart):
    first, second = make_product(stock=10), make_product(stock=4)
    fill_cart(buyer, {first: 3, second: 4})
    orders = place_orders(buyer, DELIVERY, new_checkout_token())
    assert stock_of(first) == (7, 3) and stock_of(second) == (0, 4)
    for order in orders:
        restore_stock(order)
    assert stock_of(first) == (10, 0) and stock_of(second) == (4, 0)
    assert first.stock == 10  # the loaded product sees it too


def test_restore_stock_of_an_order_made_outside_the_checkout_keeps_sales_at_zero(make_product, make_order):
    product = make_product(stock=5)
    restore_stock(make_order({product: 2}))
    assert stock_of(product) == (7, 0)
