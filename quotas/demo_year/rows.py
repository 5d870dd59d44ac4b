"""Planned orders as row dicts for bulk inserts: orders, lines, payments, returns and refunds, and the
timelines of the refunded orders (all other timelines, the ledger and its totals are derived in SQL by
``derived``). Every row of a table names the same keys.
"""

import functools
from collections import Counter as Tally

from accounts.demo import names
from quotas.demo_year.orders import ACCEPTANCE_NOTE, RETURN_REASON, OrderPlan
from shop.orders import numbers
from shop.payments.models import PaymentMethod

#: The prefix of the demo year's checkout tokens (the marketplace's are ``demo-checkout-``).
TOKEN_PREFIX = "demo-year-"


def number_orders(orders: list[OrderPlan], counters: dict[str, int]) -> dict[str, int]:
    """Give each order its number as ``shop.orders.numbers`` would (by Beijing day, continuing each day's
    counter from ``counters``, in order of placing) and return the counters' new values."""
    orders.sort(key=lambda order: order.placed_at)
    per_day: Tally[str] = Tally()
    for order in orders:
        day = numbers.order_day(order.placed_at)
        key = numbers.counter_key(day)
        per_day[key] += 1
        order.number = numbers.format_number(day, counters.get(key, 0) + per_day[key])
    return {key: counters.get(key, 0) + count for key, count in per_day.items()}


@functools.cache
def _card(user_id: int) -> str:
    digits = names.digits(12, "card", user_id)
    return f"6217 {digits[:4]} {digits[4:8]} {digits[8:]}"


@functools.cache
def _account(unit_code: str) -> str:
    return "0" + names.digits(18, "account", unit_code)


def payer_account(order: OrderPlan) -> str:
    """The official card of the buyer, or the unit's bank account (deterministic, never a real number)."""
    if order.method == PaymentMethod.official_card:
        return _card(order.buyer.user_id)
    return _account(order.unit.code)


def order_rows(orders: list[OrderPlan], addresses: dict[int, str]) -> list[dict]:
    rows = []
    for serial, order in enumerate(orders, start=1):
        paid = order.paid_on is not None
        rows.append(
            {
                "number": order.number,
                "unit_id": order.unit.id,
                "purchaser_id": order.buyer.user_id,
                "supplier_id": order.supplier_id,
                "status": order.status,
                "payment_status": ("partially_refunded" if order.refund else "paid") if paid else "unpaid",
                "total": order.total,
                "delivery_address": addresses[order.unit.id],
                "delivery_contact": order.buyer.name,
                "delivery_phone": order.buyer.phone,
                "note": None,
                "checkout_token": f"{TOKEN_PREFIX}{serial:06d}",
                "placed_at": order.placed_at,
                "shipped_at": order.shipped_at,
                "carrier": order.carrier,
                "tracking_number": order.tracking,
                "received_at": order.received_at,
                "acceptance_note": ACCEPTANCE_NOTE if order.received_at else None,
                "closed_at": order.closed_at,
                "cancelled_at": None,
                "cancel_reason": None,
                "paid_at": order.paid_at,
                "fiscal_year": order.paid_on.year if paid else None,
            }
        )
    return rows


def line_rows(orders: list[OrderPlan], ids: dict[str, int]) -> list[dict]:
    return [
        {
            "order_id": ids[order.number],
            "product_id": line.item.id,
            "product_name": line.item.name,
            "spec": line.item.spec,
            "unit": line.item.unit,
            "unit_price": line.item.price,
            "quantity": line.quantity,
            "amount": line.amount,
            "returned_quantity": line.returned,
        }
        for order in orders
        for line in order.lines
    ]


def _event(order_id, at, actor, kind, before, after, note=None) -> dict:
    return {
        "order_id": order_id,
        "at": at,
        "actor_id": actor,
        "kind": kind,
        "from_status": before,
        "to_status": after,
        "note": note,
    }


def event_rows(orders: list[OrderPlan], ids: dict[str, int], supplier_users: dict[int, int]) -> list[dict]:
    """Each order's timeline in time order (so ids follow time within an order)."""
    rows = []
    for order in orders:
        order_id, buyer, seller = (
            ids[order.number],
            order.buyer.user_id,
            supplier_users.get(order.supplier_id),
        )
        steps = [_event(order_id, order.placed_at, buyer, "status", None, "placed")]
        if order.shipped_at:
            note = f"{order.carrier} {order.tracking}"
            steps.append(_event(order_id, order.shipped_at, seller, "status", "placed", "shipped", note))
        if order.received_at:
            steps.append(
                _event(order_id, order.received_at, buyer, "status", "shipped", "received", ACCEPTANCE_NOTE)
            )
        if order.closed_at:
            closer = None if order.closed_by_system else buyer
            steps.append(_event(order_id, order.closed_at, closer, "status", "received", "closed"))
        if order.paid_at:
            note = f"{order.method.value} {order.reference}"
            steps.append(_event(order_id, order.paid_at, buyer, "payment", "unpaid", "paid", note))
        refund = order.refund
        if refund:
            steps.append(_event(order_id, refund.asked_at, buyer, "return", None, "requested", RETURN_REASON))
            steps.append(_event(order_id, refund.decided_at, seller, "return", "requested", "accepted"))
            note = f"-{refund.amount} {order.extra['refund_reference']}"
            steps.append(
                _event(order_id, refund.settled_at, seller, "payment", "paid", "partially_refunded", note)
            )
        steps.sort(key=lambda row: row["at"])
        rows.extend(steps)
    return rows


def payment_rows(paid: list[OrderPlan], ids: dict[str, int]) -> list[dict]:
    return [
        {
            "order_id": ids[order.number],
            "method": order.method,
            "payer_account": payer_account(order),
            "reference": order.reference,
            "amount": order.total,
            "paid_on": order.paid_on,
            "fiscal_year": order.paid_on.year,
            "recorded_by_id": order.buyer.user_id,
            "recorded_at": order.paid_at,
            "disputed_at": None,
            "dispute_note": None,
        }
        for order in paid
    ]


def return_rows(refunded: list[OrderPlan], ids: dict[str, int], supplier_users: dict[int, int]) -> list[dict]:
    return [
        {
            "order_id": ids[order.number],
            "requested_by_id": order.buyer.user_id,
            "status": "accepted",
            "reason": RETURN_REASON,
            "response": None,
            "created_at": order.refund.asked_at,
            "decided_at": order.refund.decided_at,
            "decided_by_id": supplier_users.get(order.supplier_id),
        }
        for order in refunded
    ]


def refund_rows(
    refunded: list[OrderPlan], ids: dict[str, int], requests: dict[int, int], supplier_users: dict[int, int]
) -> list[dict]:
    rows = []
    for order in refunded:
        refund, order_id = order.refund, ids[order.number]
        rows.append(
            {
                "order_id": order_id,
                "return_request_id": requests[order_id],
                "amount": refund.amount,
                "reason": RETURN_REASON,
                "status": "settled",
                "created_at": refund.decided_at,
                "settled_at": refund.settled_at,
                "settled_on": refund.settled_on,
                "reference": order.extra["refund_reference"],
                "settled_by_id": supplier_users.get(order.supplier_id),
            }
        )
    return rows
