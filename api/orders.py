"""Orders: list and read (``GET /api/v1/orders``, ``/orders/<id>``), place (``POST /orders``), take a step
(``POST /orders/<id>/ship|receive|cancel``) and record the payment (``POST /orders/<id>/payment``).

Every call goes through the web's own rules: what a user sees is ``shop.policy.order_scope`` /
``can_view_order`` (an order outside it answers 404, as on the web); placing is the checkout
(``api.checkout`` → ``place_orders``), steps are ``shop.orders.transitions.transition``, payments
``shop.payments.services.record_payment``. Placing and paying take an ``Idempotency-Key``.
"""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from accounts.models import Role
from api import checkout
from api.auth import current_api_user
from api.core import ApiBlueprint, ErrorSchema
from api.errors import ApiError, domain_error
from api.order_schemas import (
    CancelIn,
    OrderIn,
    OrderListQuery,
    OrderSchema,
    OrderSummarySchema,
    PaymentIn,
    PlacedSchema,
    ReceiveIn,
    ShipIn,
)
from api.pagination import CursorQuery, SortKey, keyset_page, page_schema
from shop import policy
from shop.catalogue.browse import MAX_ID
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderStatus, PaymentStatus
from shop.orders.placing import Delivery
from shop.orders.queries import visible_orders
from shop.orders.transitions import STEPS, OrderError, transition
from shop.payments.models import Payment
from shop.payments.services import NOT_THE_BUYER, PaymentError, beijing_date, record_payment

blp = ApiBlueprint("api_orders", __name__, description="Orders: placing, steps, payment")

BUYERS = (Role.purchaser, Role.unit_manager)


class OrderPageQuery(CursorQuery, OrderListQuery):
    pass


@blp.route("/orders")
@blp.auth()
@blp.arguments(OrderPageQuery, location="query")
@blp.response(200, page_schema(OrderSummarySchema, name="OrderPage"))
@blp.alt_response(400, schema=ErrorSchema, description="Invalid cursor")
def orders(args):
    """The orders the token's user may see, newest first: a purchaser its unit's, a unit manager its unit's
    and those of the units it supervises, a supplier its own, a finance bureau its region's."""
    statement = visible_orders(current_api_user()).options(joinedload(Order.unit), joinedload(Order.supplier))
    if args.get("status"):
        statement = statement.where(Order.status == OrderStatus(args["status"]))
    if args.get("payment_status"):
        statement = statement.where(Order.payment_status == PaymentStatus(args["payment_status"]))
    keys = [SortKey(Order.placed_at, descending=True), SortKey(Order.id, descending=True)]
    return keyset_page(statement, keys, args, sort_name="placed")


@blp.route("/orders/<int:order_id>")
@blp.auth()
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such order (or not visible to you)")
def order(order_id: int):
    """One order with its lines and payment."""
    return _loaded([_visible(order_id).id])[0]


@blp.route("/orders", methods=["POST"])
@blp.auth(*BUYERS)
@blp.write(idempotent=True)
@blp.arguments(OrderIn)
@blp.response(201, PlacedSchema)
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def place(data):
    """Place orders for the lines, one per supplier, as the web checkout does (all or nothing). The web
    cart of the user is left as it was."""
    lines = [
        checkout.Line(
            line["product_id"],
            line["quantity"],
            Decimal(line["unit_price"]) if line.get("unit_price") is not None else None,
        )
        for line in data["lines"]
    ]
    placed = checkout.place(current_api_user(), lines, Delivery(**data["delivery"]))
    return {"orders": _loaded([placed_order.id for placed_order in placed])}


def _step(order_id: int, to_status: OrderStatus, **fields):
    """Take a step on a visible order; refusals as API errors (not a side: 403; wrong status: 409)."""
    found = _visible(order_id)
    step = STEPS[to_status]
    try:
        transition(found, current_api_user(), to_status, **fields)
    except OrderError as error:
        if error.message == step.not_yours:
            raise ApiError(403, "not_your_order", domain_error(error).message) from error
        if error.message == step.not_now:
            raise ApiError(409, "wrong_status", domain_error(error).message) from error
        raise domain_error(error) from error
    return _loaded([found.id])[0]


@blp.route("/orders/<int:order_id>/ship", methods=["POST"])
@blp.auth(Role.supplier)
@blp.write()
@blp.arguments(ShipIn)
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such order (or not visible to you)")
@blp.alt_response(409, schema=ErrorSchema, description="The order's status does not allow it")
def ship(data, order_id: int):
    """The supplier ships a placed order."""
    return _step(
        order_id, OrderStatus.shipped, carrier=data["carrier"], tracking_number=data["tracking_number"]
    )


@blp.route("/orders/<int:order_id>/receive", methods=["POST"])
@blp.auth(*BUYERS)
@blp.write()
@blp.arguments(ReceiveIn)
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such order (or not visible to you)")
@blp.alt_response(409, schema=ErrorSchema, description="The order's status does not allow it")
def receive(data, order_id: int):
    """The buying unit accepts the goods of a shipped order."""
    return _step(order_id, OrderStatus.received, acceptance_note=data["note"])


@blp.route("/orders/<int:order_id>/cancel", methods=["POST"])
@blp.auth(*BUYERS, Role.supplier)
@blp.write()
@blp.arguments(CancelIn)
@blp.response(200, OrderSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such order (or not visible to you)")
@blp.alt_response(409, schema=ErrorSchema, description="The order's status does not allow it")
def cancel(data, order_id: int):
    """Either side cancels an order not yet shipped (the stock goes back; a paid order owes a refund)."""
    return _step(order_id, OrderStatus.cancelled, reason=data["reason"])


@blp.route("/orders/<int:order_id>/payment", methods=["POST"])
@blp.auth(*BUYERS)
@blp.write(idempotent=True)
@blp.arguments(PaymentIn)
@blp.response(201, OrderSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such order (or not visible to you)")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid fields")
def pay(data, order_id: int):
    """The buying unit records that it paid the order in full (outside the platform); answers the order
    with its payment. The same bank reference again records nothing new."""
    found = _visible(order_id)
    try:
        record_payment(
            found,
            current_api_user(),
            method=data["method"],
            payer_account=data["payer_account"],
            reference=data["reference"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            today=beijing_date(utcnow()),
        )
    except PaymentError as error:
        if error.message == NOT_THE_BUYER:
            raise ApiError(403, "not_your_order", domain_error(error).message) from error
        if error.field is None:
            raise ApiError(409, "payment_refused", domain_error(error).message) from error
        raise domain_error(error) from error
    return _loaded([found.id])[0]


# --- helpers -----------------------------------------------------------------------------------------------


def _visible(order_id: int) -> Order:
    """The order, if the user may see it; 404 otherwise (another unit's order is not revealed)."""
    found = db.session.get(Order, order_id) if 0 < order_id <= MAX_ID else None
    if found is None or not policy.can_view_order(current_api_user(), found):
        raise ApiError(404, "not_found", "No such order.")
    return found


def _loaded(order_ids: list[int]) -> list[Order]:
    """The orders with what ``OrderSchema`` shows, in three queries whatever their number, in id order."""
    db.session.flush()
    found = db.session.scalars(
        select(Order)
        .where(Order.id.in_(order_ids))
        .options(joinedload(Order.unit), joinedload(Order.supplier), selectinload(Order.lines))
        .order_by(Order.id)
        .execution_options(populate_existing=True)
    ).all()
    payments = {
        payment.order_id: payment
        for payment in db.session.scalars(select(Payment).where(Payment.order_id.in_(order_ids)))
    }
    for each in found:
        each.api_payment = payments.get(each.id)
    return list(found)
