"""Orders: the list each side sees, the order page with its timeline, the lifecycle steps, "order again",
the supplier's sales figures, the operator's supplier ratings, and the home panels of what waits.

Steps go through ``shop.orders.transitions.transition``; who may see an order is ``shop.policy``.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from accounts import policy
from accounts.home import Panel, home_panel
from accounts.models import Role, User
from shop import policy as shop_policy
from shop.aftersales import ratings as rating_figures
from shop.aftersales import services as aftersales
from shop.common import DomainError
from shop.extensions import db
from shop.formatting import yuan
from shop.orders import dashboard, queries, transitions
from shop.orders.labels import status_label
from shop.orders.models import Order, OrderStatus, PaymentStatus

bp = Blueprint("orders", __name__, url_prefix="/orders")
bp.add_app_template_global(status_label, "order_status_label")

BUYERS = (Role.purchaser, Role.unit_manager)
SIDES = (*BUYERS, Role.supplier)
RATINGS_PAGE_SIZE = 50

STEP_LABELS = {
    "ship": _l("Ship"),
    "receive": _l("Accept the goods"),
    "close": _l("Close the order"),
    "cancel": _l("Cancel the order"),
}


class ShipForm(FlaskForm):
    # Required-ness is the transition's rule (its message names the field); the form only bounds lengths.
    carrier = StringField(_l("Carrier"), validators=[Optional(), Length(max=64)])
    tracking_number = StringField(_l("Tracking number"), validators=[Optional(), Length(max=64)])


class ReceiveForm(FlaskForm):
    acceptance_note = TextAreaField(_l("Acceptance note"), validators=[Optional(), Length(max=500)])


class CancelForm(FlaskForm):
    reason = TextAreaField(_l("Reason for cancelling"), validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """A button only (its CSRF token)."""


# --- the list and the order page ---------------------------------------------------------------------------


def _enum_arg(name: str, enum_class):
    value = request.args.get(name, "")
    return enum_class(value) if value in enum_class.__members__ else None


@bp.route("/")
@policy.roles(*SIDES)
def index():
    """The viewer's orders (a buyer: its unit's; a supplier: its own), newest first, by status and
    payment status, a page at a time."""
    status = _enum_arg("status", OrderStatus)
    payment_status = _enum_arg("payment", PaymentStatus)
    page = queries.order_page(
        current_user,
        status=status,
        payment_status=payment_status,
        before=request.args.get("before", type=int),
        limit=current_app.config.get("PAGE_SIZE", queries.PAGE_SIZE),
    )
    filters = {
        "status": status.value if status else "",
        "payment": payment_status.value if payment_status else "",
    }
    return render_template(
        "shop/orders/index.html",
        page=page,
        statuses=list(OrderStatus),
        payment_statuses=list(PaymentStatus),
        filters=filters,
        page_args={key: value for key, value in filters.items() if value},
        is_supplier=current_user.role == Role.supplier,
    )


def _visible_order_or_404(order_id: int) -> Order:
    return policy.get_visible_or_404(Order, order_id, shop_policy.can_view_order)


@bp.route("/<int:order_id>")
@policy.roles(*SIDES, Role.finance, Role.operator)
def detail(order_id: int):
    """An order: lines, totals, delivery, timeline, returns, evaluation and the viewer's possible steps.
    The finance bureau over the buying unit and the operator read it (no steps: they are no side of it).

    :raise 404: no such order, or not one the viewer may see.
    """
    view = queries.order_view(order_id)
    if view is None or not shop_policy.can_view_order(current_user, view.order):
        abort(404)
    order = view.order
    party = shop_policy.order_party(current_user, order)
    returnable = {}
    if party == "buyer" and order.status in aftersales.RETURNABLE:
        returnable = aftersales.returnable_quantities(order)
    return render_template(
        "shop/orders/detail.html",
        view=view,
        order=order,
        lines=queries.line_by_id(order),
        party=party,
        steps=transitions.available_steps(current_user, order),
        step_labels=STEP_LABELS,
        ship_form=ShipForm(),
        receive_form=ReceiveForm(
            acceptance_note=_("Goods received: quantities and specifications as ordered, packaging intact.")
        ),
        cancel_form=CancelForm(),
        confirm_form=ConfirmForm(),
        may_return=any(quantity > 0 for quantity in returnable.values()),
        may_evaluate=party == "buyer" and order.status in aftersales.EVALUABLE and view.evaluation is None,
    )


# --- lifecycle steps ---------------------------------------------------------------------------------------


def _take_step(order_id: int, to_status: OrderStatus, form: FlaskForm, fields: tuple[str, ...], done: str):
    order = _visible_order_or_404(order_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("orders.detail", order_id=order_id))
    try:
        transitions.transition(order, current_user, to_status, **{name: form[name].data for name in fields})
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("orders.detail", order_id=order_id))


@bp.route("/<int:order_id>/ship", methods=["POST"])
@policy.roles(Role.supplier)
def ship(order_id: int):
    """The supplier ships a placed order, with the carrier and tracking number.

    :raise 404: not the supplier's order.
    """
    return _take_step(
        order_id, OrderStatus.shipped, ShipForm(), ("carrier", "tracking_number"), _("The order is shipped.")
    )


@bp.route("/<int:order_id>/receive", methods=["POST"])
@policy.roles(*BUYERS)
def receive(order_id: int):
    """The buying unit accepts the goods of a shipped order (验收), with an acceptance note."""
    return _take_step(
        order_id, OrderStatus.received, ReceiveForm(), ("acceptance_note",), _("The goods are accepted.")
    )


@bp.route("/<int:order_id>/cancel", methods=["POST"])
@policy.roles(*SIDES)
def cancel(order_id: int):
    """Either side cancels an order not yet shipped, with a reason; the stock is given back."""
    return _take_step(
        order_id, OrderStatus.cancelled, CancelForm(), ("reason",), _("The order is cancelled.")
    )


@bp.route("/<int:order_id>/close", methods=["POST"])
@policy.roles(*BUYERS)
def close(order_id: int):
    """The buying unit closes an accepted order (no more returns)."""
    return _take_step(order_id, OrderStatus.closed, ConfirmForm(), (), _("The order is closed."))


@bp.route("/<int:order_id>/again", methods=["POST"])
@policy.roles(*BUYERS)
def order_again(order_id: int):
    """Put the order's products that are still on sale into the cart, at today's prices."""
    order = _visible_order_or_404(order_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        result = transitions.order_again(current_user, order)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
        return redirect(url_for("orders.detail", order_id=order_id))
    db.session.commit()
    if result.added:
        flash(_("Put in your cart: %(products)s.", products="、".join(result.added)), "success")
    for name, error in result.skipped:
        flash(
            _("Not put in your cart: %(product)s (%(reason)s)", product=name, reason=error.translated()),
            "warning",
        )
    if result.added and "cart.index" in current_app.view_functions:
        return redirect(url_for("cart.index"))
    return redirect(url_for("orders.detail", order_id=order_id))


# --- figures -----------------------------------------------------------------------------------------------


@bp.route("/dashboard")
@policy.roles(Role.supplier)
def supplier_dashboard():
    """The supplier's sales of the last 12 months by month, its top products and its buyers' regions."""
    supplier_id = current_user.supplier_id
    months = dashboard.sales_by_month(supplier_id)
    return render_template(
        "shop/orders/dashboard.html",
        months=months,
        year_total=sum((month.total for month in months), dashboard.ZERO),
        top_products=dashboard.top_products(supplier_id),
        regions=dashboard.buyer_regions(supplier_id),
        ratings=rating_figures.supplier_ratings([supplier_id]).get(supplier_id),
    )


@bp.route("/supplier-ratings")
@policy.roles(Role.operator)
def supplier_ratings():
    """Every evaluated supplier's average quality, delivery and service scores, lowest first."""
    page = max(request.args.get("page", 1, type=int), 1)
    rows = rating_figures.rated_suppliers(limit=RATINGS_PAGE_SIZE + 1, offset=(page - 1) * RATINGS_PAGE_SIZE)
    return render_template(
        "shop/orders/supplier_ratings.html",
        rows=rows[:RATINGS_PAGE_SIZE],
        page=page,
        has_next=len(rows) > RATINGS_PAGE_SIZE,
    )


# --- home panels -------------------------------------------------------------------------------------------


def _order_items(orders: list[Order]) -> list[tuple[str, str | None]]:
    return [
        (f"{order.number} · {yuan(order.total)}", url_for("orders.detail", order_id=order.id))
        for order in orders
    ]


@home_panel(Role.supplier, order=20)
def orders_to_ship(user: User) -> Panel:
    count, first = queries.waiting_orders(user, OrderStatus.placed)
    return Panel(
        _("Orders to ship"),
        count,
        url_for("orders.index", status=OrderStatus.placed.value),
        _("All orders"),
        _order_items(first),
    )


@home_panel(Role.supplier, order=22)
def returns_to_answer(user: User) -> Panel:
    count, first = queries.returns_waiting(user)
    return Panel(
        _("Returns to answer"),
        count,
        url_for("aftersales.index"),
        _("All returns"),
        [(asked.order.number, url_for("aftersales.return_detail", request_id=asked.id)) for asked in first],
    )


@home_panel(Role.supplier, order=60)
def sales(user: User) -> Panel:
    months = dashboard.sales_by_month(user.supplier_id)
    return Panel(
        _("Sales"),
        0,
        url_for("orders.supplier_dashboard"),
        _("Sales figures"),
        [
            (_("This month: %(total)s", total=yuan(months[-1].total)), None),
            (
                _("Last 12 months: %(total)s", total=yuan(sum((m.total for m in months), dashboard.ZERO))),
                None,
            ),
        ],
    )


@home_panel(*BUYERS, order=30)
def orders_to_accept(user: User) -> Panel:
    count, first = queries.waiting_orders(user, OrderStatus.shipped)
    return Panel(
        _("Orders to accept"),
        count,
        url_for("orders.index", status=OrderStatus.shipped.value),
        _("All orders"),
        _order_items(first),
    )


@home_panel(*BUYERS, order=32)
def orders_to_evaluate(user: User) -> Panel:
    count, first = queries.orders_to_evaluate(user)
    return Panel(
        _("Orders to evaluate"),
        count,
        url_for("orders.index", status=OrderStatus.received.value),
        _("All orders"),
        _order_items(first),
    )


@home_panel(Role.operator, order=40)
def ratings_panel(user: User) -> Panel:
    lowest = rating_figures.rated_suppliers(limit=5)
    return Panel(
        _("Supplier ratings"),
        0,
        url_for("orders.supplier_ratings"),
        _("All supplier ratings"),
        [(f"{row.supplier.name} · {row.ratings.overall}", None) for row in lowest],
    )
