"""Payments from the order page: the buying unit records its payment, the supplier flags one it has not
received (and withdraws the flag) and settles the refunds it owes; the lists of flagged payments, refunds to
settle, arrears and what a supplier is owed.

The rules are in ``shop.payments.services`` and ``shop.payments.arrears``; who may see an order is
``shop.policy``. The order page (``orders.detail``) includes ``shop/payments/_block.html``, which asks
``payment_block(view)`` for the payment, the refunds and the forms the viewer may use.
"""

from dataclasses import dataclass, field

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import policy
from accounts.models import Role
from accounts.views.common import show_error
from shop import policy as shop_policy
from shop.aftersales.models import Refund, RefundStatus
from shop.common import DomainError, beijing_today, utcnow
from shop.extensions import db
from shop.orders import queries as order_queries
from shop.orders.models import Order, OrderStatus, PaymentStatus
from shop.payments import arrears, queries, services
from shop.payments.forms import ConfirmForm, FlagForm, PaymentForm, RefundForm, method_label, parse_date
from shop.payments.models import Payment

bp = Blueprint("payments", __name__, url_prefix="/payments")
bp.add_app_template_global(method_label, "payment_method_label")

BUYERS = (Role.purchaser, Role.unit_manager)
EVERYONE = (*BUYERS, Role.supplier, Role.finance, Role.operator)
#: Who watches arrears: the buying side, the finance bureaus, the operator.
ARREARS_READERS = (*BUYERS, Role.finance, Role.operator)


def page_size() -> int:
    return current_app.config.get("PAGE_SIZE", order_queries.PAGE_SIZE)


def arrears_days() -> int:
    return int(current_app.config.get("ARREARS_DAYS", 30))


# --- what the order page shows -----------------------------------------------------------------------------


@dataclass
class PaymentBlock:
    """The payment part of an order page, for the current user."""

    view: order_queries.OrderView
    party: str | None
    pay_form: PaymentForm | None = None
    flag_form: FlagForm | None = None
    #: Refund id → its settle form, for the supplier's pending refunds of a paid order.
    settle_forms: dict[int, RefundForm] = field(default_factory=dict)
    #: Whole days since the goods were accepted, when the order is in arrears.
    overdue_days: int | None = None


def settle_form(refund: Refund, **data) -> RefundForm:
    """The settle form of one refund (prefixed: the order page may carry several)."""
    return RefundForm(prefix=f"refund-{refund.id}", **data)


@bp.app_template_global("payment_block")
def payment_block(view: order_queries.OrderView, **forms) -> PaymentBlock:
    """What ``shop/payments/_block.html`` shows of ``view``'s order to the current user; ``forms`` are
    submitted forms to show again with their errors (``pay_form``, ``flag_form``, ``settle_forms``)."""
    order, payment = view.order, view.payment
    party = shop_policy.order_party(current_user, order)
    block = PaymentBlock(view, party)
    if party == "buyer" and payment is None and order.status != OrderStatus.cancelled:
        block.pay_form = forms.get("pay_form") or PaymentForm(
            formdata=None,
            method="bank_transfer",
            amount=f"{order.total:.2f}",
            paid_on=beijing_today().isoformat(),
        )
    if party == "supplier" and payment is not None:
        if payment.disputed_at is None:
            block.flag_form = forms.get("flag_form") or FlagForm(formdata=None)
        submitted = forms.get("settle_forms", {})
        for refund in view.refunds:
            if refund.status == RefundStatus.pending:
                block.settle_forms[refund.id] = submitted.get(refund.id) or settle_form(
                    refund,
                    formdata=None,
                    amount=f"{refund.amount:.2f}",
                    settled_on=beijing_today().isoformat(),
                )
    now = utcnow()
    if (
        order.payment_status == PaymentStatus.unpaid
        and order.status in arrears.ACCEPTED
        and order.received_at is not None
        and order.received_at < arrears.cutoff(now, arrears_days())
    ):
        block.overdue_days = (now - order.received_at).days
    return block


def _view_or_404(order_id: int) -> order_queries.OrderView:
    view = order_queries.order_view(order_id)
    if view is None or not shop_policy.can_view_order(current_user, view.order):
        abort(404)
    return view


def _show_again(order_id: int, error: DomainError | None, form, **forms):
    """After a refused form: roll back, and show the order's payment page with the form and its errors."""
    db.session.rollback()
    if error is not None:
        show_error(form, error)
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
    view = _view_or_404(order_id)
    return render_template("shop/payments/order.html", view=view, order=view.order, forms=forms), 400


def _back_to_order(order: Order):
    if policy.can_access("orders.detail"):
        return redirect(url_for("orders.detail", order_id=order.id, _anchor="payment"))
    return redirect(url_for("payments.order", order_id=order.id))


@bp.route("/orders/<int:order_id>")
@policy.roles(*EVERYONE)
def order(order_id: int):
    """An order's payment, refunds and flag, for whoever may see the order (the finance bureau and the
    operator, who do not open the order page, come here from the lists).

    :raise 404: no such order, or not one the viewer may see.
    """
    view = _view_or_404(order_id)
    return render_template("shop/payments/order.html", view=view, order=view.order, forms={})


@bp.route("/orders/<int:order_id>/pay", methods=["POST"])
@policy.roles(*BUYERS)
def pay(order_id: int):
    """The buying unit records the payment of an order (a double submit records once).

    :raise 404: not an order the viewer may see.
    """
    order = policy.get_visible_or_404(Order, order_id, shop_policy.can_view_order)
    form = PaymentForm()
    if not form.validate_on_submit():
        return _show_again(order_id, None, form, pay_form=form)
    try:
        services.record_payment(
            order,
            current_user,
            method=form.method.data or "",
            payer_account=form.payer_account.data,
            reference=form.reference.data,
            amount=form.amount.data,
            paid_on=parse_date(form.paid_on.data),
            today=beijing_today(),
        )
    except DomainError as error:
        return _show_again(order_id, error, form, pay_form=form)
    db.session.commit()
    flash(_("The payment is recorded; the supplier is told."), "success")
    return _back_to_order(order)


def _payment_or_404(order_id: int) -> Payment:
    order = policy.get_visible_or_404(Order, order_id, shop_policy.can_view_order)
    payment = db.session.scalar(db.select(Payment).where(Payment.order_id == order.id))
    if payment is None:
        abort(404)
    return payment


@bp.route("/orders/<int:order_id>/flag", methods=["POST"])
@policy.roles(Role.supplier)
def flag(order_id: int):
    """The supplier flags the order's payment as not received, with a note.

    :raise 404: not the supplier's order, or no payment recorded.
    """
    payment = _payment_or_404(order_id)
    form = FlagForm()
    if not form.validate_on_submit():
        return _show_again(order_id, None, form, flag_form=form)
    try:
        services.flag_payment(payment, current_user, form.note.data)
    except DomainError as error:
        return _show_again(order_id, error, form, flag_form=form)
    db.session.commit()
    flash(_("The payment is flagged as not received; the buyer is told."), "success")
    return _back_to_order(payment.order)


@bp.route("/orders/<int:order_id>/unflag", methods=["POST"])
@policy.roles(Role.supplier)
def unflag(order_id: int):
    """The supplier withdraws its flag on the order's payment.

    :raise 404: not the supplier's order, or no payment recorded.
    """
    payment = _payment_or_404(order_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw_flag(payment, current_user)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(_("The flag is withdrawn; the buyer is told."), "success")
    return _back_to_order(payment.order)


@bp.route("/refunds/<int:refund_id>/settle", methods=["POST"])
@policy.roles(Role.supplier)
def settle(refund_id: int):
    """The supplier records paying a refund back (reference, amount, date).

    :raise 404: not a refund on an order the supplier may see.
    """
    refund = db.session.get(Refund, refund_id)
    if refund is None or not shop_policy.can_view_order(current_user, refund.order):
        abort(404)
    order_id = refund.order_id
    form = settle_form(refund)
    if not form.validate_on_submit():
        return _show_again(order_id, None, form, settle_forms={refund_id: form})
    try:
        services.settle_refund(
            refund,
            current_user,
            reference=form.reference.data,
            amount=form.amount.data,
            settled_on=parse_date(form.settled_on.data),
            today=beijing_today(),
        )
    except DomainError as error:
        return _show_again(order_id, error, form, settle_forms={refund_id: form})
    db.session.commit()
    flash(_("The refund is recorded; the buyer is told."), "success")
    return _back_to_order(refund.order)


# --- lists -------------------------------------------------------------------------------------------------


@bp.route("/flagged")
@policy.roles(*EVERYONE)
def flagged():
    """Payments their supplier flagged as not received, on the orders the viewer may see, newest first."""
    rows, next_before = queries.flagged_payments(
        current_user, request.args.get("before", type=int), page_size()
    )
    return render_template("shop/payments/flagged.html", payments=rows, next_before=next_before)


@bp.route("/refunds")
@policy.roles(Role.supplier)
def refunds():
    """The supplier's refunds still to pay back, newest first."""
    rows, next_before = queries.refunds_to_settle(
        current_user.supplier_id, request.args.get("before", type=int), page_size()
    )
    return render_template("shop/payments/refunds.html", refunds=rows, next_before=next_before)


@bp.route("/arrears")
@policy.roles(*ARREARS_READERS)
def arrears_list():
    """Orders accepted but unpaid more than ``ARREARS_DAYS`` days after receipt, oldest first: a buying
    unit's own (and, for a supervising unit's manager, its units'), a finance bureau's region (by county),
    or the whole platform (operator)."""
    counties = (
        arrears.counties_for(current_user) if current_user.role in (Role.finance, Role.operator) else []
    )
    county = None
    code = request.args.get("county", "")
    if code:
        county = next((region for region in counties if region.code == code), None)
        if county is None:
            abort(404)
    page = arrears.overdue_orders(
        current_user,
        now=utcnow(),
        days=arrears_days(),
        county=county,
        after=request.args.get("after", type=int),
        limit=page_size(),
    )
    return render_template(
        "shop/payments/arrears.html",
        page=page,
        county_options=[(region.code, region.name) for region in counties],
        county=code,
        days=arrears_days(),
        show_supplier=True,
    )


@bp.route("/owed")
@policy.roles(Role.supplier)
def owed():
    """What the supplier is owed: its accepted, unpaid orders, oldest first; ``?overdue=1`` the overdue
    ones only."""
    overdue_only = request.args.get("overdue") == "1"
    now, days = utcnow(), arrears_days()
    return render_template(
        "shop/payments/owed.html",
        owed=arrears.owed_to(current_user.supplier_id, now=now, days=days),
        page=arrears.owed_orders(
            current_user.supplier_id,
            now=now,
            days=days,
            overdue_only=overdue_only,
            after=request.args.get("after", type=int),
            limit=page_size(),
        ),
        overdue_only=overdue_only,
        days=days,
    )


def order_url(order: Order) -> str:
    """Where a list links an order: its page for those who open order pages (the buying side, the supplier),
    its payment page for the others (finance, operator)."""
    if policy.can_access("orders.detail"):
        return url_for("orders.detail", order_id=order.id, _anchor="payment")
    return url_for("payments.order", order_id=order.id)


bp.add_app_template_global(order_url, "payment_order_url")

from shop.payments import panels  # noqa: E402, F401  (registers the home panels)
