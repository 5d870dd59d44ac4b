"""The purchaser's cart and the checkout (purchasers and unit managers).

Opening the cart page is how a purchaser accepts changed prices: the page warns about each line whose price
moved since it was added, and from then on the checkout accepts the new price (``mark_prices_seen``).
"""

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from accounts import policy
from accounts.validators import is_valid_phone
from shop import policy as shop_policy
from shop.cart import services
from shop.cart.models import CartItem
from shop.cart.services import BUYERS
from shop.catalogue.models import Product
from shop.common import DomainError
from shop.extensions import db
from shop.orders import placing

bp = Blueprint("cart", __name__, url_prefix="/cart")


class CheckoutForm(FlaskForm):
    """The delivery details; the service checks them again (``Delivery.cleaned``)."""

    address = StringField(_l("Delivery address"), validators=[DataRequired(), Length(max=255)])
    contact = StringField(_l("Contact person"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Contact phone"), validators=[DataRequired(), Length(max=20)])
    note = TextAreaField(_l("Note to the suppliers"), validators=[Optional(), Length(max=1000)])
    #: One per form shown: a second submit of the same form finds the orders the first one placed.
    checkout_token = HiddenField()

    def validate_phone(self, field) -> None:
        if not is_valid_phone(field.data):
            raise ValidationError(_l("Enter a mobile number, or a landline with its area code."))


def _own_item_or_404(item_id: int) -> CartItem:
    """:raise 404: no such line, or another user's."""
    return policy.get_visible_or_404(CartItem, item_id, shop_policy.owns_cart_item)


def _back(default: str) -> str:
    """The form's ``next`` when it is a path on this site, else ``default``."""
    target = request.form.get("next", "")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@bp.route("/")
@policy.roles(*BUYERS)
def index():
    """The cart by supplier, with subtotals and a warning on each line that cannot be ordered as it is.

    Showing it accepts today's prices: the page is rendered first, then the prices it showed are stored.
    """
    cart = services.cart_of(current_user)
    page = render_template("shop/cart/index.html", cart=cart)
    if services.mark_prices_seen(cart):
        db.session.commit()
    return page


@bp.route("/add", methods=["POST"])
@policy.roles(*BUYERS)
def add():
    """Add ``quantity`` of product ``product_id`` (the product page's form); back to that page.

    :raise 404: no such product, or the user may not see it.
    """
    product_id = request.form.get("product_id", type=int)
    product = db.session.get(Product, product_id) if product_id else None
    if product is None or not shop_policy.can_view_product(current_user, product):
        abort(404)
    back = _back(url_for("catalogue.product", product_id=product.id))
    try:
        quantity = services.parse_quantity(request.form.get("quantity"))
        services.add_item(current_user, product, quantity)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
        return redirect(back)
    name, unit = product.name, product.unit
    db.session.commit()
    flash(
        _(
            "Added %(quantity)d %(unit)s of %(product)s to your cart.",
            quantity=quantity,
            unit=unit,
            product=name,
        ),
        "success",
    )
    return redirect(back)


@bp.route("/<int:item_id>/update", methods=["POST"])
@policy.roles(*BUYERS)
def update(item_id: int):
    """Change a line's quantity.

    :raise 404: no such line, or another user's.
    """
    item = _own_item_or_404(item_id)
    try:
        services.set_quantity(current_user, item, services.parse_quantity(request.form.get("quantity")))
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(_("Quantity changed."), "success")
    return redirect(url_for("cart.index"))


@bp.route("/<int:item_id>/remove", methods=["POST"])
@policy.roles(*BUYERS)
def remove(item_id: int):
    """Take a line out of the cart.

    :raise 404: no such line, or another user's.
    """
    item = _own_item_or_404(item_id)
    services.remove_item(current_user, item)
    db.session.commit()
    flash(_("Removed from your cart."), "success")
    return redirect(url_for("cart.index"))


@bp.route("/checkout", methods=["GET", "POST"])
@policy.roles(*BUYERS)
def checkout():
    """GET: the delivery form (pre-filled from the unit's last order) under a summary of the orders to be
    placed. POST: place them, one per supplier, and go to the orders (or the confirmation page).

    A cart with warnings goes back to the cart page first; a refused checkout changes nothing.
    """
    form = CheckoutForm()
    if form.validate_on_submit():
        token = form.checkout_token.data or ""
        delivery = placing.Delivery(form.address.data, form.contact.data, form.phone.data, form.note.data)
        try:
            orders = placing.place_orders(current_user, delivery, token)
        except DomainError as error:
            db.session.rollback()
            flash(error.translated(), "error")
            field = getattr(error, "field", None)
            if not (field and field in form):
                return redirect(url_for("cart.index"))
            form[field].errors = [*form[field].errors, error.translated()]
        else:
            numbers = ", ".join(order.number for order in orders)
            db.session.commit()
            flash(_("Orders placed: %(numbers)s.", numbers=numbers), "success")
            if "orders.index" in current_app.view_functions and policy.can_access("orders.index"):
                return redirect(url_for("orders.index"))
            return redirect(url_for("cart.placed", token=token))

    cart = services.cart_of(current_user)
    if not cart.lines:
        flash(_("Your cart is empty."), "info")
        return redirect(url_for("cart.index"))
    if cart.has_problems:
        flash(_("Your cart has changed since you filled it: check the lines marked below."), "warning")
        return redirect(url_for("cart.index"))
    if not form.is_submitted():
        _prefill(form)
    if not form.checkout_token.data:
        form.checkout_token.data = placing.new_checkout_token()
    return render_template("shop/cart/checkout.html", form=form, cart=cart)


def _prefill(form: CheckoutForm) -> None:
    """The unit's last delivery details; for a first order, the purchaser's own name and phone."""
    last = placing.last_delivery(current_user.unit_id)
    if last is not None:
        form.address.data, form.contact.data, form.phone.data = last.address, last.contact, last.phone
    else:
        form.contact.data, form.phone.data = current_user.name, current_user.phone


@bp.route("/placed/<token>")
@policy.roles(*BUYERS)
def placed(token: str):
    """The orders one checkout placed: their numbers, suppliers and totals.

    :raise 404: the checkout placed nothing, or was someone else's.
    """
    try:
        orders = placing.orders_of_checkout(current_user, token)
    except DomainError:
        abort(404)
    if not orders:
        abort(404)
    opens_orders = policy.can_access("orders.detail")
    links = {order.id: placing.order_link(order) if opens_orders else None for order in orders}
    return render_template("shop/cart/placed.html", orders=orders, links=links)
