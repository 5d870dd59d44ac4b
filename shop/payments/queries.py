"""Reading payments and refunds for lists and home panels: flagged payments, refunds waiting to be settled.

Each list is one statement (order, unit, supplier and recorder joined in), keyset-paged newest first.
"""

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from accounts.models import User
from shop import policy
from shop.aftersales.models import Refund, RefundStatus
from shop.common import newest_first_page
from shop.extensions import db
from shop.orders.models import Order, PaymentStatus
from shop.payments.models import Payment


def _scoped(query, user: User):
    scope = policy.order_scope(user)
    return query if scope is None else query.where(scope)


def flagged_payments(user: User, before: int | None, limit: int) -> tuple[list[Payment], int | None]:
    """The payments flagged as not received on the orders ``user`` may see, newest first, and the
    ``before`` of the next page."""
    query = _scoped(
        select(Payment)
        .join(Order, Payment.order_id == Order.id)
        .where(Payment.disputed_at.is_not(None))
        .options(
            joinedload(Payment.order).joinedload(Order.unit),
            joinedload(Payment.order).joinedload(Order.supplier),
            joinedload(Payment.recorded_by),
        ),
        user,
    )
    return newest_first_page(query, Payment, before, limit)


def flagged_count(user: User) -> int:
    """How many flagged payments ``user`` may see (a home panel: small, the flags are rare)."""
    query = select(func.count(Payment.id)).join(Order, Payment.order_id == Order.id)
    return db.session.scalar(_scoped(query.where(Payment.disputed_at.is_not(None)), user))


#: A refund can be settled once the order's payment is recorded (the money to pay back exists).
SETTLEABLE = (PaymentStatus.paid, PaymentStatus.partially_refunded)


def refunds_to_settle(supplier_id: int, before: int | None, limit: int) -> tuple[list[Refund], int | None]:
    """The supplier's pending refunds, newest first, with their orders and buying units."""
    query = (
        select(Refund)
        .join(Order, Refund.order_id == Order.id)
        .where(Order.supplier_id == supplier_id, Refund.status == RefundStatus.pending)
        .options(joinedload(Refund.order).joinedload(Order.unit))
    )
    return newest_first_page(query, Refund, before, limit)


def refunds_to_settle_summary(supplier_id: int, first: int = 5) -> tuple[int, list[Refund]]:
    """How many of the supplier's pending refunds can be settled now (their order is paid), and the
    oldest ``first`` of them."""
    where = [
        Order.supplier_id == supplier_id,
        Refund.status == RefundStatus.pending,
        Order.payment_status.in_(SETTLEABLE),
    ]
    base = select(Refund).join(Order, Refund.order_id == Order.id).where(*where)
    count = db.session.scalar(base.with_only_columns(func.count(Refund.id)))
    oldest = db.session.scalars(base.options(joinedload(Refund.order)).order_by(Refund.id).limit(first)).all()
    return count, list(oldest)
