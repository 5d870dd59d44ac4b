"""A supplier's products and their review by the operator (DESIGN.md rule 5: every product is reviewed
before it is listed), and the price monitoring that helps the review.

Services take explicit arguments, validate, audit, notify, flush and raise ``ProductError``; they never
commit and never read the request. ``TRANSITIONS`` is the one place that says who may move a product from
which status to which.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from flask import has_request_context, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts import audit
from accounts.models import Region, RegionLevel, Role, User
from accounts.notices import notify
from shop import policy as shop_policy
from shop.catalogue.models import Category, Product, ProductStatus
from shop.common import N_, DomainError, lock_row, utcnow
from shop.extensions import db

STATUS_LABELS = {
    ProductStatus.draft: _l("Draft"),
    ProductStatus.pending: _l("Awaiting review"),
    ProductStatus.listed: _l("Listed"),
    ProductStatus.rejected: _l("Rejected"),
    ProductStatus.delisted: _l("Delisted"),
}

#: Above market price × (1 + margin) a product's price is flagged for the operator.
#: The largest whole number the stock and minimum-order columns take (32-bit integers).
MAX_QUANTITY = 999_999_999
_AMOUNT = re.compile(r"^\d{1,12}(\.\d{1,2})?$")
_WHOLE = re.compile(r"^\d{1,9}$")


def status_label(status: ProductStatus) -> str:
    """The translated name of a product status (``accounts.labels.label`` is keyed by value, and
    "rejected" or "pending" mean other things for suppliers and refunds)."""
    return str(STATUS_LABELS.get(status, status))


class ProductError(DomainError):
    """A product rule refused the request. ``field`` names the form field at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field

    def translated(self) -> str:
        params = {
            key: status_label(value) if isinstance(value, ProductStatus) else value
            for key, value in self.params.items()
        }
        return gettext(self.message, **params)


# --- who may do which transition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    #: The audit action written, e.g. ``product.submit``.
    action: str
    target: ProductStatus
    #: The one role that takes the step (the supplier on its own products, the operator on any).
    role: Role
    allowed_from: frozenset[ProductStatus]
    #: The notice the supplier's accounts receive (params: name, reason), if any.
    notice: str | None = None
    reason_required: bool = False


_P = ProductStatus
TRANSITIONS: Mapping[str, Transition] = {
    "submit": Transition("product.submit", _P.pending, Role.supplier, frozenset({_P.draft, _P.rejected})),
    # A listed product whose reviewed facts changed goes back to review (``update_product``).
    "revise": Transition("product.revise", _P.pending, Role.supplier, frozenset({_P.listed})),
    "delist": Transition("product.delist", _P.delisted, Role.supplier, frozenset({_P.listed})),
    "relist": Transition("product.relist", _P.pending, Role.supplier, frozenset({_P.delisted})),
    "approve": Transition(
        "product.approve",
        _P.listed,
        Role.operator,
        frozenset({_P.pending}),
        N_("Your product %(name)s is approved and listed in the catalogue."),
    ),
    "reject": Transition(
        "product.reject",
        _P.rejected,
        Role.operator,
        frozenset({_P.pending}),
        N_("Your product %(name)s was rejected: %(reason)s"),
        reason_required=True,
    ),
}

#: The steps a supplier starts with a button (``revise`` happens through an edit).
SUPPLIER_ACTIONS = ("submit", "delist", "relist")


def may_transition(actor: User, product: Product, name: str) -> bool:
    """May ``actor`` take step ``name`` on ``product`` now (role, ownership, supplier and product status)?"""
    transition = TRANSITIONS[name]
    if actor.role != transition.role or product.status not in transition.allowed_from:
        return False
    if actor.role == Role.supplier:
        return shop_policy.owns_product(actor, product) and product.supplier.can_list_products
    return True


def available_actions(actor: User, product: Product) -> list[str]:
    """The button steps ``actor`` may take on ``product`` now, in table order."""
    return [name for name in TRANSITIONS if name != "revise" and may_transition(actor, product, name)]


def apply_transition(actor: User, product: Product, name: str, reason: str | None = None) -> None:
    """Move ``product`` by step ``name``; audit it and tell the supplier's accounts when the table says so.

    :raise ProductError: the actor may not take this step on this product (not its supplier, supplier not
        admitted), the product's status does not allow it, or a required reason is missing.
    """
    transition = TRANSITIONS[name]
    # Re-read the status under a row lock: two reviewers (or a reviewer and the supplier) acting at once
    # must not both move it.
    lock_row(product)
    if actor.role != transition.role:
        raise _not_yours(product)
    if actor.role == Role.supplier:
        check_seller(actor, product)
    if product.status not in transition.allowed_from:
        raise ProductError(
            N_("%(name)s is now “%(status)s”: this step is not possible."),
            name=product.name,
            status=product.status,
        )
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise ProductError(N_("Give the reason (the supplier will read it)."), field="reason")
    if len(reason) > 500:
        raise ProductError(N_("The reason may have at most 500 characters."), field="reason")
    previous = product.status
    product.status = transition.target
    product.status_reason = reason if transition.reason_required else None
    if transition.target == _P.listed:
        product.listed_at = utcnow()
    audit.record(
        actor,
        transition.action,
        product,
        name=product.name,
        from_status=previous,
        to_status=transition.target,
        reason=reason or None,
    )
    if transition.notice:
        notify(
            _accounts_of(product.supplier_id),
            transition.notice,
            link=product_link(product),
            name=product.name,
            reason=reason,
        )
    db.session.flush()


def _not_yours(product: Product) -> ProductError:
    return ProductError(N_("Your account may not change the product %(name)s."), name=product.name)


def check_may_sell(actor: User) -> None:
    """:raise ProductError: ``actor`` is not the account of an admitted supplier (others are read-only)."""
    if actor.role != Role.supplier or actor.supplier is None:
        raise ProductError(N_("Only a supplier's account may manage products."))
    if not actor.supplier.can_list_products:
        raise ProductError(
            N_("Your supplier is not admitted to the platform now: its products are read-only."),
        )


def check_seller(actor: User, product: Product) -> None:
    """:raise ProductError: ``product`` is not ``actor``'s supplier's, or that supplier is not admitted."""
    if not shop_policy.owns_product(actor, product):
        raise _not_yours(product)
    check_may_sell(actor)


# --- the facts of a product ------------------------------------------------------------------------------


@dataclass
class ProductData:
    """What a supplier enters for a product, as entered (``checked`` normalises it and checks every rule).

    Amounts and quantities may be given as text: the rules on them (two decimals, whole numbers) are
    checked here, so that a form and a test get the same answer.
    """

    category_id: int | None
    name: str
    spec: str
    unit: str
    price: str | Decimal
    stock: str | int
    origin_region_id: int | None
    market_price: str | Decimal | None = None
    min_order_quantity: str | int = 1
    certification_number: str | None = None
    is_green: bool = False
    is_organic: bool = False
    is_geographic_indication: bool = False
    description: str = ""


#: The facts the operator reviewed (all but stock and minimum order quantity, which change with the harvest):
#: changing one of them on a listed product sends it back to review.
REVIEWED_FIELDS = frozenset(
    {"category_id", "name", "spec", "unit", "price", "market_price", "origin_region_id", "description"}
    | {"certification_number", "is_green", "is_organic", "is_geographic_indication"}
)


def _text(value: str | None, field: str, message: str, max_length: int, required: bool = True) -> str:
    text = " ".join((value or "").split()) if field != "description" else (value or "").strip()
    if (required and not text) or len(text) > max_length:
        raise ProductError(message, field=field)
    return text


def parse_amount(value: str | Decimal | None) -> Decimal | None:
    """Yuan greater than 0 with at most two decimals, as Decimal; None when it is not such an amount."""
    if value is None:
        return None
    text = format(value, "f") if isinstance(value, Decimal) else str(value)
    text = text.strip().lstrip("¥￥").replace(",", "")
    if not _AMOUNT.match(text):
        return None
    amount = Decimal(text)
    return amount if amount > 0 else None


def parse_whole(value: str | int | None, minimum: int) -> int | None:
    """A whole number from ``minimum`` to ``MAX_QUANTITY``; None when it is anything else (1.5, -1, "x")."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    if not _WHOLE.match(text):
        return None
    number = int(text)
    return number if minimum <= number <= MAX_QUANTITY else None


def checked(data: ProductData) -> dict:
    """The product's column values from ``data``, every rule checked.

    :raise ProductError: naming the first field at fault.
    """
    category = db.session.get(Category, data.category_id) if data.category_id else None
    if category is None:
        raise ProductError(N_("Choose the category."), field="category_id")
    values = {
        "category_id": category.id,
        "name": _text(data.name, "name", N_("Enter the product name (at most 128 characters)."), 128),
        "spec": _text(data.spec, "spec", N_("Enter the specification, such as 5kg/bag (at most 64)."), 64),
        "unit": _text(
            data.unit, "unit", N_("Enter the sales unit, such as bag (at most 16 characters)."), 16
        ),
    }
    price = parse_amount(data.price)
    if price is None:
        raise ProductError(
            N_("Price: enter an amount in yuan greater than 0 with at most two decimals, such as 12.50."),
            field="price",
        )
    values["price"] = price
    market_price = None
    if data.market_price not in (None, ""):
        market_price = parse_amount(data.market_price)
        if market_price is None:
            raise ProductError(
                N_(
                    "Market reference price: enter an amount in yuan greater than 0 with at most two"
                    " decimals, such as 12.50, or leave it empty."
                ),
                field="market_price",
            )
    values["market_price"] = market_price
    values["stock"] = parse_whole(data.stock, 0)
    if values["stock"] is None:
        raise ProductError(N_("Stock: enter a whole number, 0 or more."), field="stock")
    values["min_order_quantity"] = parse_whole(data.min_order_quantity, 1)
    if values["min_order_quantity"] is None:
        raise ProductError(
            N_("Minimum order quantity: enter a whole number, 1 or more."), field="min_order_quantity"
        )
    origin = db.session.get(Region, data.origin_region_id) if data.origin_region_id else None
    if origin is None or origin.level != RegionLevel.county or not origin.is_poverty_county:
        raise ProductError(N_("The origin must be a poverty county."), field="origin_region_id")
    values["origin_region_id"] = origin.id
    values["certification_number"] = (
        _text(
            data.certification_number,
            "certification_number",
            N_("The certificate number may have at most 64 characters."),
            64,
            required=False,
        )
        or None
    )
    values["is_green"] = bool(data.is_green)
    values["is_organic"] = bool(data.is_organic)
    values["is_geographic_indication"] = bool(data.is_geographic_indication)
    values["description"] = _text(
        data.description,
        "description",
        N_("The description may have at most 5,000 characters."),
        5000,
        required=False,
    )
    return values


def create_product(actor: User, data: ProductData) -> Product:
    """An admitted supplier's account adds a product, as a draft. Audits ``product.create``.

    :raise ProductError: the supplier is not admitted, or a fact is wrong (naming the field).
    """
    check_may_sell(actor)
    values = checked(data)
    product = Product(supplier_id=actor.supplier_id, status=_P.draft, **values)
    db.session.add(product)
    db.session.flush()
    audit.record(actor, "product.create", product, **_audited(values))
    return product


def update_product(actor: User, product: Product, data: ProductData) -> list[str]:
    """Change a product's facts; returns the names of the fields that changed (empty: nothing done).

    A listed product whose reviewed facts changed goes back to review (``revise``: not buyable until
    approved again); a change of stock or minimum order quantity alone keeps it listed. Audits
    ``product.update`` with the old and new values.

    :raise ProductError: not the actor's product, supplier not admitted, or a fact is wrong.
    """
    check_seller(actor, product)
    # Orders decrement the stock concurrently: read the row under a lock before overwriting it.
    lock_row(product)
    values = checked(data)
    changed = [key for key, value in values.items() if getattr(product, key) != value]
    if not changed:
        return []
    before = {key: getattr(product, key) for key in changed}
    for key in changed:
        setattr(product, key, values[key])
    db.session.flush()  # before ``revise`` re-reads the row under its lock
    audit.record(
        actor,
        "product.update",
        product,
        before=_audited(before),
        after=_audited({key: values[key] for key in changed}),
    )
    if product.status == _P.listed and REVIEWED_FIELDS.intersection(changed):
        apply_transition(actor, product, "revise")
    db.session.flush()
    return changed


def send_back_to_review(actor: User, product: Product) -> None:
    """What is shown to buyers changed (e.g. a new picture): a listed product is reviewed again."""
    if product.status == _P.listed:
        apply_transition(actor, product, "revise")


def _audited(values: dict) -> dict:
    # JSON has no Decimal: amounts as their exact text.
    return {key: str(value) if isinstance(value, Decimal) else value for key, value in values.items()}


# --- helpers -----------------------------------------------------------------------------------------------


def product_link(product: Product) -> str:
    """The supplier's page for the product, for notices (also outside a request)."""
    if has_request_context():
        return url_for("products.edit", product_id=product.id)
    return f"/supplier/products/{product.id}"


def _accounts_of(supplier_id: int) -> list[User]:
    return db.session.scalars(
        select(User).where(User.supplier_id == supplier_id, User.enabled.is_(True))
    ).all()
