"""Placing orders from an API request's lines, through the web checkout itself (``place_orders``).

The checkout places a purchaser's cart. So that an API order follows exactly the same rules (on sale,
minimum order, price seen, stock taken under the row lock, one order per supplier, audit, notices), the
request's lines become the purchaser's cart for the length of the transaction: the web cart is set aside,
the lines are added with ``add_item`` (the cart's own checks), ``place_orders`` places and empties the
cart, and the web cart is put back as it was. All of it is one transaction: a refusal leaves everything,
the web cart included, untouched. The placed lines are compared with the request's, so a cart line the
purchaser added on the web at that very moment can never slip into an API order.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.models import User
from api.errors import ApiError, english
from shop import policy
from shop.cart.models import CartItem
from shop.cart.services import CartError, add_item, cart_items, check_buyer
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

    parked = _park_cart(purchaser)
    for index, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None or not policy.can_view_product(purchaser, product):
            raise _line_error(index, "product_id", "No such product.")
        try:
            item = add_item(purchaser, product, line.quantity)
        except CartError as error:
            raise _cart_error(index, product, error) from error
        if line.unit_price is not None:
            item.price_seen = line.unit_price  # the checkout refuses it if the price is no longer this
    db.session.flush()
    try:
        orders = place_orders(purchaser, delivery, new_checkout_token())
    except OutOfStock as error:
        raise ApiError(409, "out_of_stock", english(error)) from error
    except StaleCart as error:
        code = "price_changed" if error.message.startswith("The price of") else "not_on_sale"
        raise ApiError(409, code, english(error)) from error
    except (CheckoutError, CartError) as error:
        raise ApiError(409, "conflict", english(error)) from error
    placed = {(line.product_id, line.quantity) for order in orders for line in order.lines}
    if placed != {(line.product_id, line.quantity) for line in lines}:
        raise ApiError(
            409, "conflict", "The cart changed while the order was placed; send the request again."
        )
    _restore_cart(parked)
    return orders


def _park_cart(purchaser: User) -> list[dict]:
    """Take the purchaser's web cart out of the way; what ``_restore_cart`` needs to put it back."""
    parked = []
    for item in cart_items(purchaser):
        parked.append(
            {
                "user_id": item.user_id,
                "product_id": item.product_id,
                "quantity": item.quantity,
                "price_seen": item.price_seen,
                "added_at": item.added_at,
            }
        )
        db.session.delete(item)
    db.session.flush()
    return parked


def _restore_cart(parked: list[dict]) -> None:
    for values in parked:
        db.session.add(CartItem(**values))
    db.session.flush()


def _line_error(index: int, field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_field", message, {"json": {"lines": {str(index): {field: [message]}}}})


def _cart_error(index: int, product: Product, error: CartError) -> ApiError:
    message = english(error)
    if "no longer on sale" in error.message:
        return ApiError(409, "not_on_sale", message, {"line": index, "product_id": product.id})
    if "in stock" in error.message:
        return ApiError(409, "out_of_stock", message, {"line": index, "product_id": product.id})
    return _line_error(index, "quantity", message)
