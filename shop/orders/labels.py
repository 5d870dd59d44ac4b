"""Human names of the order, payment, return and refund statuses, in the user's language.

Kept apart from ``accounts.labels`` (keyed by value, where "rejected" and "pending" already name supplier
and product statuses); every name here is distinct, so one table serves them all.
"""

from flask_babel import lazy_gettext as _l

from shop.aftersales.models import RefundStatus, ReturnStatus
from shop.orders.models import OrderStatus, PaymentStatus

STATUS_LABELS = {
    OrderStatus.placed: _l("Order placed"),
    OrderStatus.shipped: _l("Shipped"),
    OrderStatus.received: _l("Received"),
    OrderStatus.closed: _l("Closed"),
    OrderStatus.cancelled: _l("Cancelled"),
    PaymentStatus.unpaid: _l("Unpaid"),
    PaymentStatus.paid: _l("Paid"),
    PaymentStatus.partially_refunded: _l("Partially refunded"),
    PaymentStatus.refunded: _l("Refunded"),
    ReturnStatus.requested: _l("Return asked"),
    ReturnStatus.accepted: _l("Return accepted"),
    ReturnStatus.refused: _l("Return refused"),
    RefundStatus.pending: _l("Refund pending"),
    RefundStatus.settled: _l("Refund settled"),
    "evaluated": _l("Evaluated"),
    # Timeline steps of the supplier's flag on a payment (shop.payments.services).
    "payment_flagged": _l("Payment flagged as not received"),
    "payment_flag_withdrawn": _l("Flag withdrawn"),
}


def status_label(value) -> str:
    """The translated name of a status (an enum member or its value), or the value itself."""
    return str(STATUS_LABELS.get(value, value))
