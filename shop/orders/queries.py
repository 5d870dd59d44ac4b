"""Reading orders: the list a user may see (filtered, keyset-paged), one order with everything its page
shows, and what waits for each side (home panels). A constant number of queries whatever the row count.
"""

from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from accounts.models import User
from shop import policy
from shop.aftersales.models import Evaluation, Refund, ReturnLine, ReturnRequest, ReturnStatus
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus, PaymentStatus
from shop.payments.models import Payment

PAGE_SIZE = 50


@dataclass
class OrderPage:
    orders: list[Order]
    #: The id to pass as ``before`` for the next page, or None on the last page.
    next_before: int | None


def visible_orders(user: User):
    """A select of the orders ``user`` may see (``shop.policy.order_scope``)."""
    query = select(Order)
    scope = policy.order_scope(user)
    return query if scope is None else query.where(scope)


def order_page(
    user: User,
    status: OrderStatus | None = None,
    payment_status: PaymentStatus | None = None,
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> OrderPage:
    """The orders ``user`` may see, newest first, after the order ``before`` (keyset: no OFFSET, no COUNT).

    One query, with the unit, supplier and purchaser joined in.
    """
    query = visible_orders(user).options(
        joinedload(Order.unit), joinedload(Order.supplier), joinedload(Order.purchaser)
    )
    if status is not None:
        query = query.where(Order.status == status)
    if payment_status is not None:
        query = query.where(Order.payment_status == payment_status)
    if before:
        # Rows strictly after the cursor order in (placed_at desc, id desc): the indexes' order.
        cursor_at = select(Order.placed_at).where(Order.id == before).scalar_subquery()
        query = query.where(
            or_(Order.placed_at < cursor_at, and_(Order.placed_at == cursor_at, Order.id < before))
        )
    rows = db.session.scalars(query.order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit + 1)).all()
    return OrderPage(list(rows[:limit]), rows[limit - 1].id if len(rows) > limit else None)


@dataclass
class OrderView:
    """One order with everything its page shows."""

    order: Order
    returns: list[ReturnRequest] = field(default_factory=list)
    refunds: list[Refund] = field(default_factory=list)
    evaluation: Evaluation | None = None
    #: The buyer's payment (with who recorded it), and who settled each refund (user id → user).
    payment: Payment | None = None
    settled_by: dict[int, User] = field(default_factory=dict)


def order_view(order_id: int) -> OrderView | None:
    """The order with its lines, timeline (and actors), returns, refunds, evaluation and payment, or None."""
    order = db.session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(
            joinedload(Order.unit),
            joinedload(Order.supplier),
            joinedload(Order.purchaser),
            selectinload(Order.lines),
            selectinload(Order.events).joinedload(OrderEvent.actor),
        )
    )
    if order is None:
        return None
    returns = db.session.scalars(
        select(ReturnRequest)
        .where(ReturnRequest.order_id == order_id)
        .options(selectinload(ReturnRequest.lines), selectinload(ReturnRequest.photos))
        .order_by(ReturnRequest.id)
    ).all()
    refunds = db.session.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id)).all()
    evaluation = db.session.scalar(select(Evaluation).where(Evaluation.order_id == order_id))
    payment = db.session.scalar(
        select(Payment).where(Payment.order_id == order_id).options(joinedload(Payment.recorded_by))
    )
    settler_ids = {refund.settled_by_id for refund in refunds if refund.settled_by_id is not None}
    settled_by = (
        {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(settler_ids)))}
        if settler_ids
        else {}
    )
    return OrderView(order, list(returns), list(refunds), evaluation, payment, settled_by)


def line_by_id(order: Order) -> dict[int, OrderLine]:
    return {line.id: line for line in order.lines}


# --- what waits (home panels) ------------------------------------------------------------------------------


def waiting_orders(user: User, status: OrderStatus, limit: int = 5) -> tuple[int, list[Order]]:
    """How many of the user's visible orders are in ``status``, and the oldest few of them."""
    scope = policy.order_scope(user)
    where = [Order.status == status] + ([scope] if scope is not None else [])
    count = db.session.scalar(select(func.count(Order.id)).where(*where))
    first = db.session.scalars(
        select(Order).where(*where).order_by(Order.placed_at, Order.id).limit(limit)
    ).all()
    return count, list(first)


def orders_to_evaluate(user: User, limit: int = 5) -> tuple[int, list[Order]]:
    """The user's received orders without an evaluation: how many, and the oldest few."""
    scope = policy.order_scope(user)
    where = [Order.status == OrderStatus.received, ~exists().where(Evaluation.order_id == Order.id)]
    if scope is not None:
        where.append(scope)
    count = db.session.scalar(select(func.count(Order.id)).where(*where))
    first = db.session.scalars(
        select(Order).where(*where).order_by(Order.received_at, Order.id).limit(limit)
    ).all()
    return count, list(first)


def returns_waiting(user: User, limit: int = 5) -> tuple[int, list[ReturnRequest]]:
    """Return requests on the user's visible orders still awaiting the supplier's answer."""
    scope = policy.order_scope(user)
    where = [ReturnRequest.status == ReturnStatus.requested]
    if scope is not None:
        where.append(scope)
    base = select(ReturnRequest).join(Order, ReturnRequest.order_id == Order.id).where(*where)
    count = db.session.scalar(base.with_only_columns(func.count(ReturnRequest.id)))
    first = db.session.scalars(
        base.options(joinedload(ReturnRequest.order)).order_by(ReturnRequest.id).limit(limit)
    ).all()
    return count, list(first)


def pending_return_quantities(order_id: int) -> dict[int, int]:
    """Per order line: the quantity asked back in return requests not yet answered."""
    rows = db.session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(ReturnRequest, ReturnLine.request_id == ReturnRequest.id)
        .where(ReturnRequest.order_id == order_id, ReturnRequest.status == ReturnStatus.requested)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(quantity) for line_id, quantity in rows}
