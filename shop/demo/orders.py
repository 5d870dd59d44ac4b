"""The demo's orders, planned as plain data: a handful for the demo purchaser's unit and a few other units,
in every order status, all unpaid (payments come with their own issue), with their event timelines.

Planning also takes the ordered quantities off the products' stock and adds them to their sales (cancelled
orders gave their stock back and count no sales), so the products go into the database consistent.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from shop.demo.produce import ProductPlan

#: The demo unit's orders by status, and those of each other unit (cycled).
DEMO_UNIT_STATUSES = ("placed", "placed", "shipped", "shipped", "received", "received", "closed", "closed")
DEMO_UNIT_STATUSES += ("cancelled",)
OTHER_UNIT_STATUSES = ("placed", "shipped", "received", "closed", "cancelled")
#: How many orders each other unit has.
OTHER_UNIT_ORDERS = 3

_CARRIERS = (("顺丰速运", "SF"), ("中国邮政", "YZ"), ("京东物流", "JD"), ("德邦快递", "DPK"))
_STREETS = ("龙凤大道", "滨河北路", "永宁中路", "北川河西路", "凤山路", "贺昌大街", "吕梁大道")
ACCEPTANCE_NOTE = "货物数量、规格与订单一致，包装完好，验收合格。"
CANCEL_REASON = "采购计划调整，暂不需要。"


@dataclass(frozen=True)
class Buyer:
    user_id: int
    name: str
    phone: str | None
    unit_id: int
    unit_name: str
    county_name: str


@dataclass
class LinePlan:
    product: ProductPlan
    quantity: int

    @property
    def amount(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass
class EventPlan:
    at: datetime
    #: "purchaser", "supplier" or None (the system).
    actor: str | None
    from_status: str | None
    to_status: str
    note: str | None = None


@dataclass
class OrderPlan:
    buyer: Buyer
    supplier_id: int
    status: str
    lines: list[LinePlan]
    placed_at: datetime
    checkout_token: str
    delivery_address: str
    events: list[EventPlan] = field(default_factory=list)
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    received_at: datetime | None = None
    acceptance_note: str | None = None
    closed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


#: How long ago an order in each status was placed (days before the load). Received orders stay within
#: the return window (``shop.orders.transitions.AUTO_CLOSE_AFTER``, 15 days): returns can still be asked.
_AGE = {"placed": (0, 4), "shipped": (4, 8), "received": (6, 11), "closed": (18, 40), "cancelled": (2, 15)}


def _timeline(order: OrderPlan, rng: random.Random) -> None:
    """The order's timestamps and events, each step some hours to days after the one before."""
    at = order.placed_at
    order.events.append(EventPlan(at, "purchaser", None, "placed"))
    if order.status == "cancelled":
        order.cancelled_at = at + timedelta(hours=rng.randint(1, 30))
        order.cancel_reason = CANCEL_REASON
        order.events.append(EventPlan(order.cancelled_at, "purchaser", "placed", "cancelled", CANCEL_REASON))
        return
    steps = ("shipped", "received", "closed")
    reached = steps[: steps.index(order.status) + 1] if order.status in steps else ()
    before = "placed"
    for status in reached:
        at += timedelta(hours=rng.randint(6, 60) if status != "closed" else rng.randint(48, 120))
        note = None
        if status == "shipped":
            carrier, prefix = rng.choice(_CARRIERS)
            order.shipped_at, order.carrier = at, carrier
            order.tracking_number = prefix + "".join(rng.choice("0123456789") for _ in range(12))
            note = f"{carrier} {order.tracking_number}"
        elif status == "received":
            order.received_at, order.acceptance_note = at, ACCEPTANCE_NOTE
            note = ACCEPTANCE_NOTE
        else:
            order.closed_at = at
        actor = "supplier" if status == "shipped" else "purchaser"  # the buyer closes what it accepted
        order.events.append(EventPlan(at, actor, before, status, note))
        before = status


def _lines(products: list[ProductPlan], rng: random.Random) -> list[LinePlan]:
    """One to three of a supplier's listed products, each at its minimum order quantity or a few more."""
    available = [product for product in products if product.stock >= product.min_order_quantity]
    chosen = rng.sample(available, min(len(available), rng.randint(1, 3)))
    lines = []
    for product in chosen:
        extra = rng.randint(0, 6) if product.price < 60 else 0  # cheap staples go by the dozen
        quantity = product.min_order_quantity * rng.randint(1, 4) + extra
        lines.append(LinePlan(product, max(product.min_order_quantity, min(quantity, product.stock))))
    return lines


def plan_orders(
    products: list[ProductPlan],
    demo_buyer: Buyer,
    other_buyers: list[Buyer],
    demo_supplier_id: int,
    rng: random.Random,
    until: datetime,
) -> list[OrderPlan]:
    """The demo's orders, placed in the weeks before ``until``, oldest first; every other order of the demo
    unit is with the demo supplier.

    Adjusts the planned products: stock less the quantities of orders not cancelled, sales_count plus them.
    """
    listed: dict[int, list[ProductPlan]] = {}
    for product in products:
        if product.status == "listed":
            listed.setdefault(product.supplier_id, []).append(product)
    others = sorted(set(listed) - {demo_supplier_id})
    wanted = [
        (demo_buyer, status, demo_supplier_id if i % 2 == 0 else None)
        for i, status in enumerate(DEMO_UNIT_STATUSES)
    ]
    for b, buyer in enumerate(other_buyers):
        for i in range(OTHER_UNIT_ORDERS):
            wanted.append((buyer, OTHER_UNIT_STATUSES[(b + i) % len(OTHER_UNIT_STATUSES)], None))
    orders = []
    for number, (buyer, status, supplier_id) in enumerate(wanted, start=1):
        supplier_id = supplier_id or rng.choice(others)
        lines = _lines(listed[supplier_id], rng)
        low, high = _AGE[status]
        placed = until - timedelta(days=rng.randint(low, high), hours=rng.randint(0, 8))
        order = OrderPlan(
            buyer=buyer,
            supplier_id=supplier_id,
            status=status,
            lines=lines,
            placed_at=placed,
            checkout_token=f"demo-checkout-{number:04d}",
            delivery_address=f"吕梁市{buyer.county_name}{rng.choice(_STREETS)}{rng.randint(1, 300)}号"
            f" {buyer.unit_name}",
        )
        _timeline(order, rng)
        orders.append(order)
        if status != "cancelled":
            for line in lines:
                line.product.stock -= line.quantity
                line.product.sales_count += line.quantity
    orders.sort(key=lambda order: order.placed_at)
    return orders
