"""Checkout: a purchaser's cart becomes one order per supplier, in one transaction; cancellation gives the
stock back.

Stock is never oversold. Each product is taken with one conditional statement,
``UPDATE product SET stock = stock - :q … WHERE id = :id AND stock >= :q AND status = 'listed' …``, which
checks and decrements at once: on PostgreSQL it takes the row lock (a concurrent checkout waits, then
re-checks the condition against the committed row); on SQLite the app opens every transaction with
``BEGIN IMMEDIATE``, so writers queue. Products are taken in ascending id order and the day's order-number
counter after all of them, so two checkouts always lock in the same order and cannot deadlock.

A checkout is submitted with a one-time token (generated when the form is shown). A second submit of the
same token finds the orders the first placed (``Order.checkout_token`` is unique per supplier) and returns
them instead of placing again; when the two race, that unique constraint decides.
"""

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, replace
from decimal import Decimal

from flask import url_for
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.util import identity_key
from werkzeug.routing import BuildError

from accounts.audit import record
from accounts.models import User
from accounts.notices import notify
from accounts.validators import is_valid_phone
from shop.cart.models import CartItem
from shop.cart.services import (
    cart_items,
    check_buyer,
    line_problems,
    not_on_sale,
    price_changed,
    stock_short,
)
from shop.catalogue.models import Product, ProductStatus
from shop.common import N_, DomainError, utcnow
from shop.extensions import db
from shop.formatting import yuan
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from shop.orders.numbers import next_order_number

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class CheckoutError(DomainError):
    """The checkout was refused; nothing was placed. ``field`` names the form field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field


class StaleCart(CheckoutError):
    """A line changed since the cart was filled (price, listing, minimum order): review the cart first."""


class OutOfStock(CheckoutError):
    """Not enough stock left for a line (decided under the row lock)."""


@dataclass(frozen=True)
class Delivery:
    """Where and to whom the orders go."""

    address: str
    contact: str
    phone: str
    note: str | None = None

    def cleaned(self) -> "Delivery":
        """The same, trimmed, once every field is valid.

        :raise CheckoutError: a field missing, too long, or a phone that is neither a mobile number nor a
            landline with its area code (``field`` names it).
        """
        cleaned = replace(
            self,
            address=(self.address or "").strip(),
            contact=(self.contact or "").strip(),
            phone=(self.phone or "").strip(),
            note=(self.note or "").strip() or None,
        )
        if not cleaned.address or len(cleaned.address) > 255:
            raise CheckoutError(N_("Enter the delivery address (at most 255 characters)."), "address")
        if not cleaned.contact or len(cleaned.contact) > 64:
            raise CheckoutError(N_("Enter the contact person (at most 64 characters)."), "contact")
        if not is_valid_phone(cleaned.phone):
            raise CheckoutError(
                N_("Enter a valid phone number: a mobile number, or a landline with its area code."), "phone"
            )
        if cleaned.note and len(cleaned.note) > 1000:
            raise CheckoutError(N_("The note is too long (at most 1000 characters)."), "note")
        return cleaned


def new_checkout_token() -> str:
    """A one-time token for a checkout form (unguessable, so it also names the checkout safely)."""
    return secrets.token_urlsafe(24)


def last_delivery(unit_id: int) -> Delivery | None:
    """The delivery details of the unit's most recent order, to pre-fill the checkout form."""
    row = db.session.execute(
        select(Order.delivery_address, Order.delivery_contact, Order.delivery_phone)
        .where(Order.unit_id == unit_id)
        .order_by(Order.placed_at.desc(), Order.id.desc())
        .limit(1)
    ).first()
    return Delivery(*row) if row else None


def orders_of_checkout(purchaser: User, checkout_token: str) -> list[Order]:
    """The orders a checkout placed (by supplier), or [] if it placed none yet.

    :raise CheckoutError: the token belongs to someone else's checkout.
    """
    orders = list(
        db.session.scalars(
            select(Order)
            .where(Order.checkout_token == checkout_token)
            .options(selectinload(Order.lines), selectinload(Order.supplier))
            .order_by(Order.supplier_id)
        )
    )
    if any(order.purchaser_id != purchaser.id for order in orders):
        raise CheckoutError(N_("This checkout form has expired; please check out again."))
    return orders


def place_orders(
    purchaser: User, delivery: Delivery, checkout_token: str, lines: list[CartItem] | None = None
) -> list[Order]:
    """Place the purchaser's cart: one order per supplier, all or nothing; the cart is emptied. With
    ``lines`` (unsaved ``CartItem`` rows: product, quantity, price seen; the API's order lines), place those
    instead, by the same rules, and leave the cart as it is.

    Returns the orders, by supplier id. A checkout token that already placed orders returns those orders
    and places nothing (a double submit, also when the two submits race). Flushes, never commits.

    :raise CartError: the purchaser does not buy for a budget unit.
    :raise CheckoutError: bad delivery details, an empty cart, a used or malformed token.
    :raise StaleCart: a line's price changed since it was seen, it is no longer on sale, or it is below
        the product's minimum order: the purchaser reviews the cart (which accepts the new prices) first.
    :raise OutOfStock: a line asks for more than is left; nothing at all is placed.
    """
    check_buyer(purchaser)
    delivery = delivery.cleaned()
    if not _TOKEN.match(checkout_token or ""):
        raise CheckoutError(N_("This checkout form has expired; please check out again."))
    placed = orders_of_checkout(purchaser, checkout_token)
    if placed:
        return placed
    try:
        # A savepoint, so that a racing submit of the same checkout can undo its own work and still read
        # (and return) what the other one placed.
        with db.session.begin_nested():
            orders = _place(purchaser, delivery, checkout_token, lines)
    except (DomainError, IntegrityError):
        # An empty cart, no stock left, or the unique (checkout_token, supplier) refusing the insert: all
        # three are what a concurrent submit of the same checkout leaves behind once it has committed.
        placed = orders_of_checkout(purchaser, checkout_token)
        if placed:
            return placed
        raise
    return orders


def _place(
    purchaser: User, delivery: Delivery, checkout_token: str, given: list[CartItem] | None
) -> list[Order]:
    # By product id: the lock order.
    items = cart_items(purchaser) if given is None else sorted(given, key=lambda item: item.product_id)
    if not items:
        raise CheckoutError(N_("Your cart is empty."))
    for item in items:
        # Stock is left to the conditional UPDATE: what was loaded here may be stale either way.
        problems = line_problems(item, with_stock=False)
        if problems:
            raise StaleCart(problems[0].message, **problems[0].params)

    now = utcnow()
    taken = {item.product_id: _take_stock(item) for item in items}

    by_supplier: dict[int, list[CartItem]] = defaultdict(list)
    for item in items:
        by_supplier[item.product.supplier_id].append(item)
    orders = []
    for supplier_id in sorted(by_supplier):
        lines = [
            OrderLine(
                product_id=item.product_id,
                product_name=taken[item.product_id].name,
                spec=taken[item.product_id].spec,
                unit=taken[item.product_id].unit,
                unit_price=taken[item.product_id].price,
                quantity=item.quantity,
                amount=taken[item.product_id].price * item.quantity,
            )
            for item in by_supplier[supplier_id]
        ]
        order = Order(
            number=next_order_number(now),
            unit_id=purchaser.unit_id,
            purchaser_id=purchaser.id,
            supplier_id=supplier_id,
            status=OrderStatus.placed,
            total=sum((line.amount for line in lines), Decimal("0.00")),
            delivery_address=delivery.address,
            delivery_contact=delivery.contact,
            delivery_phone=delivery.phone,
            note=delivery.note,
            checkout_token=checkout_token,
            placed_at=now,
            lines=lines,
            events=[
                OrderEvent(at=now, actor_id=purchaser.id, kind="status", to_status=OrderStatus.placed.value)
            ],
        )
        db.session.add(order)
        orders.append(order)
    db.session.flush()  # a racing submit of the same checkout fails here, on the unique constraint

    if given is None:
        for item in items:
            db.session.delete(item)
    _announce(purchaser, orders)
    db.session.flush()
    return orders


@dataclass(frozen=True)
class _Taken:
    """The product as it was when its stock was taken: what the order line snapshots."""

    name: str
    spec: str
    unit: str
    price: Decimal


def _take_stock(item: CartItem) -> _Taken:
    """Check and decrement the stock of one line in one statement (which takes the row lock).

    The price must still be the one the purchaser accepted, in the same statement, so that the order
    never charges a price changed a moment ago.

    :raise OutOfStock / StaleCart: the statement matched no row; the product, re-read, says why.
    """
    quantity = item.quantity
    statement = (
        update(Product)
        .where(
            Product.id == item.product_id,
            Product.stock >= quantity,
            Product.status == ProductStatus.listed,
            Product.price == item.price_seen,
        )
        .values(
            stock=Product.stock - quantity,
            sales_count=Product.sales_count + quantity,
            updated_at=Product.updated_at,  # a sale is not an edit of the product
        )
        .returning(Product.name, Product.spec, Product.unit, Product.price)
        .execution_options(synchronize_session=False)
    )
    row = db.session.execute(statement).first()
    product = item.product
    db.session.expire(product, ["stock", "sales_count", "status", "price"])
    if row is None:
        if product.status != ProductStatus.listed:
            raise StaleCart(**_problem_args(not_on_sale(product)))
        if product.price != item.price_seen:
            raise StaleCart(**_problem_args(price_changed(item)))
        raise OutOfStock(**_problem_args(stock_short(product)))
    return _Taken(*row)


def _problem_args(problem) -> dict:
    return {"message": problem.message, **problem.params}


def _announce(purchaser: User, orders: list[Order]) -> None:
    """Audit each order and tell its supplier's active accounts."""
    supplier_ids = {order.supplier_id for order in orders}
    staff: dict[int, list[User]] = defaultdict(list)
    for user in db.session.scalars(
        select(User).where(User.supplier_id.in_(supplier_ids), User.enabled.is_(True)).order_by(User.id)
    ):
        staff[user.supplier_id].append(user)
    unit_name = purchaser.unit.name
    for order in orders:
        record(
            purchaser,
            "order.place",
            order,
            number=order.number,
            supplier_id=order.supplier_id,
            total=str(order.total),
            lines=len(order.lines),
        )
        notify(
            staff[order.supplier_id],
            N_("New order %(number)s from %(unit)s: %(total)s."),
            link=order_link(order),
            number=order.number,
            unit=unit_name,
            total=yuan(order.total),
        )


def order_link(order: Order) -> str | None:
    """The order's page (``orders.detail``), or None while that page does not exist."""
    try:
        return url_for("orders.detail", order_id=order.id, _external=False)
    except (BuildError, RuntimeError):  # no such endpoint yet, or no request and no SERVER_NAME
        return None


def restore_stock(order: Order) -> None:
    """Give an order's quantities back to its products' stock and take them off their sales (when the
    order is cancelled, which happens before shipment). Products are updated in ascending id order, the
    checkout's lock order. The caller (the cancel transition) audits and writes the order's event; call
    it once per order. Flushes, never commits."""
    quantities: dict[int, int] = defaultdict(int)
    for line in order.lines:
        quantities[line.product_id] += line.quantity
    for product_id in sorted(quantities):
        quantity = quantities[product_id]
        db.session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(
                stock=Product.stock + quantity,
                # Orders made outside the checkout (imports, fixtures) never added to the sales.
                sales_count=case((Product.sales_count >= quantity, Product.sales_count - quantity), else_=0),
                updated_at=Product.updated_at,
            )
            .execution_options(synchronize_session=False)
        )
        product = db.session.identity_map.get(identity_key(Product, product_id))
        if product is not None:
            db.session.expire(product, ["stock", "sales_count"])
    db.session.flush()
