"""The purchaser's cart: adding, changing and removing lines, and reading it grouped by supplier.

A cart is a draft, not a transaction: nothing here reserves stock (the checkout takes it, in
``shop.orders.placing``) and nothing is audited (placing the orders is). Each line remembers the price the
purchaser saw (``price_seen``); the checkout refuses a line whose price moved since, until the purchaser
has seen the new price on the cart page (``mark_prices_seen``).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts.models import Role, Supplier, User
from shop.cart.models import CartItem
from shop.catalogue.models import Product, ProductStatus
from shop.common import N_, DomainError
from shop.extensions import db
from shop.formatting import yuan

#: Who buys: a unit manager buys for its unit too.
BUYERS = (Role.purchaser, Role.unit_manager)

#: A quantity as typed: digits only (no sign, no decimal point), and not absurdly long.
_WHOLE_NUMBER = re.compile(r"^\d{1,9}$")


class CartError(DomainError):
    """A cart change was refused; nothing changed."""


@dataclass(frozen=True)
class Problem:
    """Why a line cannot be ordered as it stands: an English msgid and its params."""

    message: str
    params: dict

    def error(self) -> CartError:
        return CartError(self.message, **self.params)


@dataclass
class CartLine:
    item: CartItem
    problems: list[Problem] = field(default_factory=list)

    @property
    def product(self) -> Product:
        return self.item.product

    @property
    def amount(self) -> Decimal:
        """At today's price: what the order would cost now."""
        return self.item.product.price * self.item.quantity


@dataclass
class SupplierGroup:
    """One supplier's lines: what becomes one order at checkout."""

    supplier: Supplier
    lines: list[CartLine]

    @property
    def subtotal(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


@dataclass
class Cart:
    groups: list[SupplierGroup]

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def total(self) -> Decimal:
        return sum((group.subtotal for group in self.groups), Decimal("0.00"))

    @property
    def has_problems(self) -> bool:
        return any(line.problems for line in self.lines)


# --- rules -------------------------------------------------------------------------------------------------


def parse_quantity(text: str | None) -> int:
    """A quantity typed in a form: a whole number of at least 1 (units are whole: 袋, 箱 …).

    :raise CartError: empty, negative, fractional, zero or not a number.
    """
    text = (text or "").strip()
    if not _WHOLE_NUMBER.match(text) or int(text) < 1:
        raise CartError(N_("Quantity must be a whole number of at least 1."))
    return int(text)


def is_on_sale(product: Product) -> bool:
    return product.status == ProductStatus.listed and product.supplier.can_list_products


def check_buyer(user: User) -> None:
    """:raise CartError: the user does not buy for a budget unit."""
    if user.role not in BUYERS or user.unit_id is None:
        raise CartError(N_("Only purchasers of a budget unit can buy."))


def check_quantity(product: Product, quantity: int) -> None:
    """:raise CartError: not a whole number ≥ 1, below the minimum order (起订量), or above the stock."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        raise CartError(N_("Quantity must be a whole number of at least 1."))
    if quantity < product.min_order_quantity:
        raise below_minimum(product).error()
    if quantity > product.stock:
        raise stock_short(product).error()


#: The msgids of a line's problems, for callers that answer each differently (the API's error codes).
NOT_ON_SALE = N_("%(product)s is no longer on sale.")
PRICE_CHANGED = N_("The price of %(product)s changed from %(old)s to %(new)s.")
STOCK_SHORT = N_("Only %(stock)d %(unit)s of %(product)s are in stock.")


def below_minimum(product: Product) -> Problem:
    return Problem(
        N_("The minimum order of %(product)s is %(minimum)d %(unit)s."),
        {"product": product.name, "minimum": product.min_order_quantity, "unit": product.unit},
    )


def stock_short(product: Product) -> Problem:
    return Problem(
        STOCK_SHORT,
        {"product": product.name, "stock": product.stock, "unit": product.unit},
    )


def not_on_sale(product: Product) -> Problem:
    return Problem(NOT_ON_SALE, {"product": product.name})


def price_changed(item: CartItem) -> Problem:
    return Problem(
        PRICE_CHANGED,
        {"product": item.product.name, "old": yuan(item.price_seen), "new": yuan(item.product.price)},
    )


def line_problems(item: CartItem, with_stock: bool = True) -> list[Problem]:
    """Everything that stops a line from being ordered as it stands, most serious first.

    The checkout refuses a line with any of these; it leaves out the stock (``with_stock=False``), which
    its conditional UPDATE decides under the row lock.
    """
    product = item.product
    if not is_on_sale(product):
        return [not_on_sale(product)]
    problems = []
    if item.price_seen != product.price:
        problems.append(price_changed(item))
    if item.quantity < product.min_order_quantity:
        problems.append(below_minimum(product))
    if with_stock and item.quantity > product.stock:
        problems.append(stock_short(product))
    return problems


# --- reading -----------------------------------------------------------------------------------------------


def cart_items(user: User) -> list[CartItem]:
    """The user's lines with their products and suppliers, in one query, by product id (the lock order)."""
    return list(
        db.session.scalars(
            select(CartItem)
            .where(CartItem.user_id == user.id)
            .options(joinedload(CartItem.product).joinedload(Product.supplier))
            .order_by(CartItem.product_id)
        )
    )


def cart_of(user: User) -> Cart:
    """The user's cart grouped by supplier (in the order the checkout places their orders: by supplier id),
    each line with its problems."""
    groups: dict[int, SupplierGroup] = {}
    for item in cart_items(user):
        supplier = item.product.supplier
        group = groups.setdefault(supplier.id, SupplierGroup(supplier, []))
        group.lines.append(CartLine(item, line_problems(item)))
    return Cart([groups[supplier_id] for supplier_id in sorted(groups)])


# --- changing ----------------------------------------------------------------------------------------------


def check_line(product: Product, quantity: int) -> None:
    """A line of ``quantity`` of ``product`` may be bought now: on sale, a whole number of at least 1.

    :raise CartError: not on sale, or a bad quantity.
    """
    if not is_on_sale(product):
        raise not_on_sale(product).error()
    if not isinstance(quantity, int) or quantity < 1:
        raise CartError(N_("Quantity must be a whole number of at least 1."))


def add_item(user: User, product: Product, quantity: int) -> CartItem:
    """Put ``quantity`` of ``product`` in the user's cart (adding to a line already there).

    The line's new quantity must reach the minimum order and fit the stock now; the price the user saw
    (today's) is remembered.

    :raise CartError: not a buyer, product not on sale, bad quantity, below minimum, above stock.
    """
    check_buyer(user)
    check_line(product, quantity)
    item = db.session.scalar(
        select(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product.id)
    )
    total = quantity + (item.quantity if item else 0)
    check_quantity(product, total)
    if item is None:
        item = CartItem(user_id=user.id, product=product, quantity=total, price_seen=product.price)
        db.session.add(item)
    else:
        item.quantity = total
        item.price_seen = product.price
    db.session.flush()
    return item


def set_quantity(user: User, item: CartItem, quantity: int) -> CartItem:
    """Change a line's quantity (within the minimum order and today's stock).

    :raise CartError: not the user's line, bad quantity, below minimum, above stock.
    """
    _check_owner(user, item)
    check_quantity(item.product, quantity)
    item.quantity = quantity
    db.session.flush()
    return item


def remove_item(user: User, item: CartItem) -> None:
    """:raise CartError: not the user's line."""
    _check_owner(user, item)
    db.session.delete(item)
    db.session.flush()


def mark_prices_seen(cart: Cart) -> int:
    """The purchaser has been shown today's prices (the cart page): remember them, so that the checkout
    accepts them. Uses the prices loaded into ``cart`` (those shown), never a fresher one. Returns how
    many lines changed."""
    changed = 0
    for line in cart.lines:
        if line.item.price_seen != line.product.price:
            line.item.price_seen = line.product.price
            changed += 1
    if changed:
        db.session.flush()
    return changed


def _check_owner(user: User, item: CartItem) -> None:
    if item.user_id != user.id:
        # Views answer 404 first (shop.policy.owns_cart_item); this guards other callers.
        raise CartError(N_("This cart line is not yours."))
