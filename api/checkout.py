"""Placing orders from an API request's lines, through the web checkout itself (``place_orders``).

So that an API order follows exactly the same rules as the web's (on sale, minimum order, price seen, stock
taken under the row lock, one order per supplier, audit, notices), each line is checked as the cart checks a
line it adds, and ``place_orders`` places the lines (unsaved cart rows) instead of the purchaser's cart,
which stays as it is. A refusal changes nothing.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.models import User
from api.errors import ApiError, english
from shop import policy
from shop.cart.models import CartItem
from shop.cart.services import (
    NOT_ON_SALE,
    PRICE_CHANGED,
    STOCK_SHORT,
    CartError,
    check_buyer,
    check_line,
    check_quantity,
)
from shop.catalogue.models import Product
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.placing import (
    CheckoutError,
    Delivery,
    OutOfStock,
    StaleCart,
    new_checkout_token,
    place_orders,
)


@dataclass(frozen=True)
class Line:
    product_id: int
    quantity: int
    #: The price the client expects (None: today's).
    unit_price: Decimal | None = None


def place(purchaser: User, lines: list[Line], delivery: Delivery) -> list[Order]:
    """Place ``lines`` for ``purchaser``: one order per supplier (by supplier id). Flushes, never commits.

    :raise ApiError: 403 ``not_a_buyer``; 422 ``invalid_field`` (a line's product unknown or not
        visible, a quantity below the minimum order, a delivery field; ``details`` names the line and field);
        409 ``not_on_sale`` / ``out_of_stock`` / ``price_changed`` / ``conflict``.
    """
    try:
        check_buyer(purchaser)
    except CartError as error:
        raise ApiError(403, "not_a_buyer", english(error)) from error
    try:
        delivery = delivery.cleaned()
    except CheckoutError as error:
        raise ApiError(
            422, "invalid_field", english(error), {"json": {"delivery": {error.field: [english(error)]}}}
        ) from error

    merged: dict[int, Line] = {}
    for index, line in enumerate(lines):
        if line.product_id in merged:
            raise _line_error(index, "product_id", "This product is already on another line.")
        merged[line.product_id] = line
    products = {
        product.id: product
        for product in db.session.scalars(
            select(Product).where(Product.id.in_(merged)).options(joinedload(Product.supplier))
        )
    }

    items = []
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or not policy.can_view_product(purchaser, product):
            raise _line_error(index, "product_id", "No such product.")
        try:
            check_line(product, line.quantity)
            check_quantity(product, line.quantity)  # the minimum order, and the stock now
        except CartError as error:
            raise _cart_error(index, product, error) from error
        # The price the client expects (or today's): the checkout refuses the line if it is no longer this.
        seen = line.unit_price if line.unit_price is not None else product.price
        item = CartItem(user_id=purchaser.id, product_id=product.id, quantity=line.quantity, price_seen=seen)
        item.product = product  # no backref: the row stays out of the session
        items.append(item)
    try:
        orders = place_orders(purchaser, delivery, new_checkout_token(), items)
    except OutOfStock as error:
        raise ApiError(409, "out_of_stock", english(error)) from error
    except StaleCart as error:
        code = "price_changed" if error.message == PRICE_CHANGED else "not_on_sale"
        raise ApiError(409, code, english(error)) from error
    except (CheckoutError, CartError) as error:
        raise ApiError(409, "conflict", english(error)) from error
    return orders


def _line_error(index: int, field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_field", message, {"json": {"lines": {str(index): {field: [message]}}}})


def _cart_error(index: int, product: Product, error: CartError) -> ApiError:
    message = english(error)
    if error.message == NOT_ON_SALE:
        return ApiError(409, "not_on_sale", message, {"line": index, "product_id": product.id})
    if error.message == STOCK_SHORT:
        return ApiError(409, "out_of_stock", message, {"line": index, "product_id": product.id})
    return _line_error(index, "quantity", message)
