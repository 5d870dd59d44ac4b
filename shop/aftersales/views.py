"""Returns and evaluations: the buyer's return form and evaluation form, the supplier's answer, the list of
returns each side sees, and the returns' photos.

The rules are in ``shop.aftersales.services``; who may see what in ``shop.policy``.
"""

from decimal import Decimal

from flask import Blueprint, abort, flash, redirect, render_template, request, send_from_directory, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from wtforms import MultipleFileField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from accounts import policy
from accounts.models import Role
from accounts.views.common import show_error
from shop import policy as shop_policy
from shop.aftersales import photos, services
from shop.aftersales.models import Evaluation, ReturnLine, ReturnPhoto, ReturnRequest, ReturnStatus
from shop.common import DomainError, newest_first_page
from shop.extensions import db
from shop.orders.models import Order
from shop.orders.queries import PAGE_SIZE

bp = Blueprint("aftersales", __name__, url_prefix="/aftersales")

BUYERS = (Role.purchaser, Role.unit_manager)
SIDES = (*BUYERS, Role.supplier)
SCORE_CHOICES = [SelectChoice(str(score)) for score in range(1, 6)]


class ReturnForm(FlaskForm):
    """The reason and photos; the per-line quantities are the fields ``line-<order line id>``."""

    reason = TextAreaField(_l("Reason for the return"), validators=[Optional(), Length(max=500)])
    photos = MultipleFileField(_l("Photos (up to 3: JPEG, PNG or WebP)"))


class RefuseForm(FlaskForm):
    response = TextAreaField(_l("Reason for refusing"), validators=[Optional(), Length(max=500)])


class ConfirmForm(FlaskForm):
    """A button only (its CSRF token)."""


class EvaluationForm(FlaskForm):
    # The service checks the scores (1–5, whole): its message names the field.
    quality = RadioField(_l("Quality of goods"), choices=SCORE_CHOICES, validate_choice=False)
    delivery = RadioField(_l("Timeliness of delivery"), choices=SCORE_CHOICES, validate_choice=False)
    service = RadioField(_l("Quality of service"), choices=SCORE_CHOICES, validate_choice=False)
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=1000)])


def _order_or_404(order_id: int) -> Order:
    order = db.session.scalar(
        select(Order).where(Order.id == order_id).options(selectinload(Order.lines), joinedload(Order.unit))
    )
    if order is None or not shop_policy.can_view_order(current_user, order):
        abort(404)
    return order


def _return_or_404(request_id: int) -> ReturnRequest:
    asked = db.session.scalar(
        select(ReturnRequest)
        .where(ReturnRequest.id == request_id)
        .options(
            joinedload(ReturnRequest.order),
            selectinload(ReturnRequest.lines).joinedload(ReturnLine.order_line),
            selectinload(ReturnRequest.photos),
        )
    )
    if asked is None or not shop_policy.can_view_return(current_user, asked):
        abort(404)
    return asked


# --- returns -----------------------------------------------------------------------------------------------


@bp.route("/")
@policy.roles(*SIDES)
def index():
    """Return requests on the viewer's orders, newest first, by status, a page at a time."""
    status = request.args.get("status", "")
    before = request.args.get("before", type=int)
    query = (
        select(ReturnRequest)
        .join(Order, ReturnRequest.order_id == Order.id)
        .options(
            joinedload(ReturnRequest.order).joinedload(Order.unit), joinedload(ReturnRequest.requested_by)
        )
    )
    scope = shop_policy.order_scope(current_user)
    if scope is not None:
        query = query.where(scope)
    if status in ReturnStatus.__members__:
        query = query.where(ReturnRequest.status == ReturnStatus(status))
    rows, next_before = newest_first_page(query, ReturnRequest, before, PAGE_SIZE)
    return render_template(
        "shop/aftersales/index.html",
        returns=rows,
        next_before=next_before,
        statuses=list(ReturnStatus),
        status=status,
    )


@bp.route("/orders/<int:order_id>/return", methods=["GET", "POST"])
@policy.roles(*BUYERS)
def new_return(order_id: int):
    """The buyer asks to return some of a received order's lines.

    :raise 404: not an order of the buyer's unit.
    """
    order = _order_or_404(order_id)
    form = ReturnForm()
    if form.validate_on_submit():
        quantities = {line.id: request.form.get(f"line-{line.id}") for line in order.lines}
        uploads = [
            (upload.filename or "", upload.read()) for upload in request.files.getlist("photos") if upload
        ]
        try:
            asked = services.request_return(current_user, order, quantities, form.reason.data, uploads)
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            order = _order_or_404(order_id)
        else:
            db.session.commit()
            flash(_("Your return is asked; the supplier will answer it."), "success")
            return redirect(url_for("aftersales.return_detail", request_id=asked.id))
    return render_template(
        "shop/aftersales/new_return.html",
        order=order,
        form=form,
        returnable=services.returnable_quantities(order),
        entered={key: value for key, value in request.form.items() if key.startswith("line-")},
        max_photos=services.MAX_PHOTOS,
    )


@bp.route("/returns/<int:request_id>")
@policy.roles(*SIDES)
def return_detail(request_id: int):
    """A return request: lines, reason, photos, the supplier's answer (or the answer forms).

    :raise 404: not a return on an order the viewer may see.
    """
    asked = _return_or_404(request_id)
    may_answer = (
        shop_policy.order_party(current_user, asked.order) == "supplier"
        and asked.status == ReturnStatus.requested
    )
    return render_template(
        "shop/aftersales/return.html",
        asked=asked,
        order=asked.order,
        amount=sum((line.order_line.unit_price * line.quantity for line in asked.lines), Decimal("0.00")),
        may_answer=may_answer,
        confirm_form=ConfirmForm(),
        refuse_form=RefuseForm(),
    )


def _answer(request_id: int, accept: bool):
    asked = _return_or_404(request_id)
    form = ConfirmForm() if accept else RefuseForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(url_for("aftersales.return_detail", request_id=request_id))
    try:
        if accept:
            services.accept_return(current_user, asked)
        else:
            services.refuse_return(current_user, asked, form.response.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(
            _("The return is accepted; a refund is recorded.") if accept else _("The return is refused."),
            "success",
        )
    return redirect(url_for("aftersales.return_detail", request_id=request_id))


@bp.route("/returns/<int:request_id>/accept", methods=["POST"])
@policy.roles(Role.supplier)
def accept(request_id: int):
    """The supplier accepts the return: a pending refund is recorded."""
    return _answer(request_id, accept=True)


@bp.route("/returns/<int:request_id>/refuse", methods=["POST"])
@policy.roles(Role.supplier)
def refuse(request_id: int):
    """The supplier refuses the return, with a reason."""
    return _answer(request_id, accept=False)


@bp.route("/photos/<int:photo_id>")
@policy.roles(*SIDES)
def photo(photo_id: int):
    """A return photo, to those who see its order.

    :raise 404: no such photo, or not on an order the viewer may see.
    """
    stored = db.session.get(ReturnPhoto, photo_id)
    if stored is None or not shop_policy.can_view_return(current_user, stored.request):
        abort(404)
    response = send_from_directory(photos.folder(), stored.filename, mimetype=stored.content_type)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# --- evaluations -------------------------------------------------------------------------------------------


@bp.route("/orders/<int:order_id>/evaluate", methods=["GET", "POST"])
@policy.roles(*BUYERS)
def evaluate(order_id: int):
    """The buyer evaluates an accepted order once (履约评价): quality, delivery, service and a comment.

    :raise 404: not an order of the buyer's unit.
    """
    order = _order_or_404(order_id)
    existing = db.session.scalar(select(Evaluation).where(Evaluation.order_id == order.id))
    form = EvaluationForm()
    if existing is None and form.validate_on_submit():
        try:
            services.evaluate(
                current_user,
                order,
                form.quality.data,
                form.delivery.data,
                form.service.data,
                form.comment.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_error(form, error)
            order = _order_or_404(order_id)
        else:
            db.session.commit()
            flash(_("Thank you: your evaluation is recorded."), "success")
            return redirect(url_for("orders.detail", order_id=order_id))
    elif existing is not None and request.method == "POST":
        flash(_("Order %(number)s is already evaluated.", number=order.number), "error")
    return render_template("shop/aftersales/evaluate.html", order=order, form=form, existing=existing)
