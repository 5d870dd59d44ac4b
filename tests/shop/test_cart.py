"""The cart: who may use it, adding with whole quantities within the minimum order and the stock, the page
grouped by supplier with its warnings, and changing or removing lines."""

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from accounts.models import Role, SupplierStatus
from shop.cart import services
from shop.cart.models import CartItem
from shop.catalogue.models import ProductStatus
from shop.extensions import db


def lines_of(user) -> dict[int, int]:
    """{product id: quantity} of the user's cart, as stored."""
    items = db.session.scalars(select(CartItem).where(CartItem.user_id == user.id)).all()
    return {item.product_id: item.quantity for item in items}


@pytest.fixture
def buyer(users):
    return users[Role.purchaser]


@pytest.fixture
def client_of_buyer(buyer, login_as):
    return login_as(buyer)


def add(client, product, quantity) -> int:
    response = client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
    return response.status_code


# --- who may use it ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.supplier, Role.finance, Role.operator])
def test_suppliers_finance_and_operators_have_no_cart(users, login_as, make_product, role):
    product = make_product()
    client = login_as(users[role])
    assert client.get("/cart/").status_code == 403
    assert client.get("/cart/checkout").status_code == 403
    assert add(client, product, "1") == 403
    assert client.post("/cart/1/update", data={"quantity": "2"}).status_code == 403
    assert client.post("/cart/1/remove").status_code == 403
    assert db.session.scalars(select(CartItem)).all() == []


def test_a_unit_manager_buys_for_its_unit_too(users, login_as, make_product):
    product = make_product()
    client = login_as(users[Role.unit_manager])
    assert add(client, product, "2") == 302
    assert lines_of(users[Role.unit_manager]) == {product.id: 2}
    assert client.get("/cart/").status_code == 200


def test_another_users_cart_line_cannot_be_updated_or_removed(
    users, make_user, login_as, make_product, fill_cart
):
    colleague = make_user(Role.purchaser, unit=users[Role.purchaser].unit)
    (item,) = fill_cart(colleague, {make_product(): 2})
    client = login_as(users[Role.purchaser])
    assert client.post(f"/cart/{item.id}/update", data={"quantity": "3"}).status_code == 404
    assert client.post(f"/cart/{item.id}/remove").status_code == 404
    assert lines_of(colleague) == {item.product_id: 2}


# --- adding ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", ["1.5", "-1", "0", "", "abc", "1e3", "2.0", " ", "9999999999"])
def test_add_with_a_fractional_negative_or_zero_quantity_is_refused(
    client_of_buyer, buyer, make_product, quantity
):
    product = make_product(stock=100)
    client_of_buyer.post("/lang/en")
    response = client_of_buyer.post(
        "/cart/add", data={"product_id": product.id, "quantity": quantity}, follow_redirects=True
    )
    assert "Quantity must be a whole number of at least 1." in response.get_data(as_text=True)
    assert lines_of(buyer) == {}


def test_add_below_the_minimum_order_quantity_is_refused(client_of_buyer, buyer, make_product):
    product = make_product(min_order_quantity=5)
    client_of_buyer.post("/lang/en")
    response = client_of_buyer.post(
        "/cart/add", data={"product_id": product.id, "quantity": "4"}, follow_redirects=True
    )
    assert f"The minimum order of {product.name} is 5 袋." in response.get_data(as_text=True)
    assert lines_of(buyer) == {}
    assert add(client_of_buyer, product, "5") == 302
    assert lines_of(buyer) == {product.id: 5}


def test_add_above_the_stock_is_refused(client_of_buyer, buyer, make_product):
    product = make_product(stock=3)
    assert add(client_of_buyer, product, "4") == 302
    assert lines_of(buyer) == {}
    assert add(client_of_buyer, product, "3") == 302
    assert lines_of(buyer) == {product.id: 3}


def test_adding_a_product_again_increases_its_quantity_within_the_stock(client_of_buyer, buyer, make_product):
    product = make_product(stock=5)
    assert add(client_of_buyer, product, "2") == 302
    assert add(client_of_buyer, product, "2") == 302
    assert lines_of(buyer) == {product.id: 4}
    assert add(client_of_buyer, product, "2") == 302  # 6 > 5 in stock
    assert lines_of(buyer) == {product.id: 4}


def test_adding_again_remembers_todays_price(buyer, make_product):
    product = make_product(price="10.00")
    services.add_item(buyer, product, 1)
    product.price = Decimal("12.50")
    item = services.add_item(buyer, product, 1)
    assert (item.quantity, item.price_seen) == (2, Decimal("12.50"))


def test_a_product_not_on_sale_cannot_be_added(client_of_buyer, buyer, make_product, make_supplier):
    delisted = make_product(status=ProductStatus.delisted)
    assert add(client_of_buyer, delisted, "1") == 404
    suspended = make_product(supplier=make_supplier(status=SupplierStatus.suspended))
    assert add(client_of_buyer, suspended, "1") == 404
    assert client_of_buyer.post("/cart/add", data={"product_id": "x", "quantity": "1"}).status_code == 404
    assert lines_of(buyer) == {}


def test_adding_goes_back_to_the_product_page(client_of_buyer, make_product):
    product = make_product()
    response = client_of_buyer.post("/cart/add", data={"product_id": product.id, "quantity": "1"})
    assert response.headers["Location"].endswith(f"/catalogue/{product.id}")
    response = client_of_buyer.post(
        "/cart/add", data={"product_id": product.id, "quantity": "1", "next": "https://evil.example/"}
    )
    assert response.headers["Location"].endswith(f"/catalogue/{product.id}")


# --- the page ----------------------------------------------------------------------------------------------


def test_the_cart_page_groups_lines_by_supplier_with_subtotals(
    client_of_buyer, buyer, make_supplier, make_product, fill_cart
):
    first, second = make_supplier(name="甲合作社"), make_supplier(name="乙合作社")
    fill_cart(
        buyer,
        {
            make_product(first, price="10.00"): 2,
            make_product(first, price="2.50"): 4,
            make_product(second, price="7.00"): 3,
        },
    )
    page = client_of_buyer.get("/cart/").get_data(as_text=True)
    assert re.findall(r'data-supplier="(\d+)"', page) == [str(first.id), str(second.id)]
    assert "¥30.00" in page and "¥21.00" in page  # the subtotals
    assert "¥51.00" in page  # the total
    assert "data-problem" not in page


def test_the_cart_page_warns_of_a_changed_price_once_and_accepts_it(
    client_of_buyer, buyer, make_product, fill_cart
):
    product = make_product(price="10.00")
    (item,) = fill_cart(buyer, {product: 2})
    product.price = Decimal("11.00")
    db.session.commit()
    client_of_buyer.post("/lang/en")
    page = client_of_buyer.get("/cart/").get_data(as_text=True)
    assert f"The price of {product.name} changed from ¥10.00 to ¥11.00." in page
    assert db.session.get(CartItem, item.id).price_seen == Decimal("11.00")
    assert "data-problem" not in client_of_buyer.get("/cart/").get_data(as_text=True)


def test_the_cart_page_warns_of_products_off_sale_and_short_stock(
    client_of_buyer, buyer, make_product, make_supplier, fill_cart
):
    delisted, short, suspended_supplier = make_product(), make_product(stock=10), make_supplier()
    suspended = make_product(suspended_supplier)
    fill_cart(buyer, {delisted: 1, short: 5, suspended: 1})
    delisted.status = ProductStatus.delisted
    short.stock = 3
    suspended_supplier.status = SupplierStatus.suspended
    db.session.commit()
    client_of_buyer.post("/lang/en")
    page = client_of_buyer.get("/cart/").get_data(as_text=True)
    assert page.count("data-problem") == 3
    assert f"{delisted.name} is no longer on sale." in page
    assert f"{suspended.name} is no longer on sale." in page
    assert f"Only 3 袋 of {short.name} are in stock." in page


def test_the_cart_page_runs_the_same_queries_for_2_or_12_lines(
    client_of_buyer, buyer, make_supplier, make_product, fill_cart, count_queries
):
    suppliers = [make_supplier() for _ in range(4)]
    fill_cart(buyer, {make_product(suppliers[0]): 1, make_product(suppliers[1]): 1})
    client_of_buyer.get("/cart/")
    with count_queries() as few:
        assert client_of_buyer.get("/cart/").status_code == 200
    fill_cart(buyer, {make_product(suppliers[n % 4]): 1 for n in range(10)})
    client_of_buyer.get("/cart/")
    with count_queries() as many:
        assert client_of_buyer.get("/cart/").status_code == 200
    assert len(many) == len(few)


# --- changing and removing ---------------------------------------------------------------------------------


def test_a_lines_quantity_changes_within_the_minimum_order_and_the_stock(
    client_of_buyer, buyer, make_product, fill_cart
):
    product = make_product(stock=10, min_order_quantity=2)
    (item,) = fill_cart(buyer, {product: 2})
    for refused in ("1", "11", "2.5", "-3", "0"):
        assert client_of_buyer.post(f"/cart/{item.id}/update", data={"quantity": refused}).status_code == 302
        assert lines_of(buyer) == {product.id: 2}
    assert client_of_buyer.post(f"/cart/{item.id}/update", data={"quantity": "10"}).status_code == 302
    assert lines_of(buyer) == {product.id: 10}


def test_a_line_is_removed(client_of_buyer, buyer, make_product, fill_cart):
    kept, dropped = make_product(), make_product()
    items = fill_cart(buyer, {kept: 1, dropped: 1})
    assert client_of_buyer.post(f"/cart/{items[1].id}/remove").status_code == 302
    assert lines_of(buyer) == {kept.id: 1}
