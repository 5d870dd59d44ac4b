"""The demo year's orders as plain data: each unit's purchases cut into orders of real listed products,
with their timelines, payments, a handful of refunds, a few arrears and some orders still under way.

A unit that must reach its amount (at or above its target) gets orders summing to at least that amount;
one below its target, at most that amount. The last order of a unit is sized to land within one item of the
amount, so the calibrated figures of ``shares`` survive the cut into orders.
"""

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from quotas.demo_year.shares import Buyer, Unit
from shop.payments.models import PaymentMethod

#: Yuan per order, on average: ≈25,000 orders for ≈¥25,000,000.
AVERAGE_ORDER = 1000
#: Relative order volume by month: quiet at the Spring Festival and in the summer holidays, a year-end rush.
MONTH_WEIGHTS = (0.6, 0.5, 0.85, 0.9, 0.9, 0.95, 0.6, 0.6, 0.95, 0.95, 1.1, 1.3)
#: Orders placed in December of the year before and paid in January count in January's year.
EARLY_START = (12, 12)

CARRIERS = (("顺丰速运", "SF"), ("中国邮政", "YZ"), ("京东物流", "JD"), ("德邦快递", "DPK"))
STREETS = ("龙凤大道", "滨河北路", "永宁中路", "北川河西路", "凤山路", "贺昌大街", "吕梁大道")
ACCEPTANCE_NOTE = "货物数量、规格与订单一致，包装完好，验收合格。"
RETURN_REASON = "部分商品包装破损，申请退回。"


@dataclass(frozen=True)
class Item:
    """A listed product as an order line needs it."""

    id: int
    supplier_id: int
    name: str
    spec: str
    unit: str
    price: Decimal
    min_quantity: int


@dataclass(slots=True)
class Line:
    item: Item
    quantity: int
    returned: int = 0
    amount: Decimal = Decimal("0.00")

    def __post_init__(self):
        self.amount = self.item.price * self.quantity


@dataclass
class RefundPlan:
    line: int
    quantity: int
    amount: Decimal
    asked_at: datetime
    decided_at: datetime
    settled_on: date
    settled_at: datetime


@dataclass(slots=True)
class OrderPlan:
    unit: Unit
    buyer: Buyer
    supplier_id: int
    lines: list[Line]
    placed_at: datetime
    #: Σ line amounts (the lines never change once planned; a return changes only what is refunded).
    total: Decimal = Decimal("0.00")
    status: str = "closed"
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking: str | None = None
    received_at: datetime | None = None
    closed_at: datetime | None = None
    #: Closed by the periodic command (15 days after acceptance), not by the buyer.
    closed_by_system: bool = False
    paid_on: date | None = None
    paid_at: datetime | None = None
    method: PaymentMethod = PaymentMethod.official_card
    refund: RefundPlan | None = None
    #: Filled in when the rows are made: the number, the payment's reference.
    number: str = ""
    reference: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        self.total = sum((line.amount for line in self.lines), Decimal("0.00"))


#: Beijing is UTC+8 all year (no daylight saving since 1991): a fixed offset is exact and much faster than
#: time-zone arithmetic over a hundred thousand timestamps.
_OFFSET = timedelta(hours=8)


def utc(day: date, hour: float) -> datetime:
    """A naive UTC datetime for ``hour`` o'clock (Beijing) on ``day``."""
    return datetime(day.year, day.month, day.day) + timedelta(hours=hour) - _OFFSET


def beijing_date(moment: datetime) -> date:
    return (moment + _OFFSET).date()


class Days:
    """Order days from ``start`` to ``end``, weighted by month and weekday (canteens order on working days);
    days before 1 January of ``year`` (the December run-up) weigh a tenth."""

    def __init__(self, start: date, end: date, year: int):
        self.days, weights = [], []
        day = start
        while day <= end:
            weight = MONTH_WEIGHTS[day.month - 1] * (0.15 if day.weekday() >= 5 else 1.0)
            self.days.append(day)
            weights.append(weight * (0.1 if day.year < year else 1.0))
            day += timedelta(days=1)
        self.cumulative, total = [], 0.0
        for weight in weights:
            total += weight
            self.cumulative.append(total)

    def sample(self, count: int, rng: random.Random) -> list[date]:
        if not self.days:
            return []
        return sorted(rng.choices(self.days, cum_weights=self.cumulative, k=count))


class Catalogue:
    """The listed products by supplier, and each unit's favourite suppliers for a year."""

    def __init__(self, items: list[Item]):
        self.by_supplier: dict[int, list[Item]] = {}
        for item in items:
            self.by_supplier.setdefault(item.supplier_id, []).append(item)
        self.suppliers = sorted(self.by_supplier)
        self.cheapest = {
            supplier: min(items, key=lambda item: item.price * item.min_quantity)
            for supplier, items in self.by_supplier.items()
        }

    def favourites(self, rng: random.Random) -> list[int]:
        return rng.sample(self.suppliers, min(len(self.suppliers), rng.randint(3, 6)))


def _lines(items: list[Item], target: float, rng: random.Random) -> list[Line]:
    """One to three of ``items`` whose amount comes near ``target`` yuan (each at least its minimum). The
    target is a float (it is only aimed at); the amounts are exact Decimals."""
    roll = rng.random()
    count = min(len(items), 1 if roll < 0.55 else 2 if roll < 0.88 else 3)
    chosen = [rng.choice(items)] if count == 1 else rng.sample(items, count)
    part = target / count
    return [Line(item, max(item.min_quantity, round(part / float(item.price)))) for item in chosen]


def _closing(item: Item, amount: Decimal, at_least: bool) -> Line | None:
    """A line of ``item`` worth ``amount``, rounded up (``at_least``) or down; None when rounding down leaves
    less than the minimum quantity."""
    rounding = ROUND_CEILING if at_least else ROUND_FLOOR
    quantity = int((amount / item.price).to_integral_value(rounding))
    if quantity < item.min_quantity:
        if not at_least:
            return None
        quantity = item.min_quantity
    return Line(item, quantity) if quantity > 0 else None


def cut_into_orders(
    unit: Unit, amount: Decimal, at_least: bool, days: Days, catalogue: Catalogue, rng: random.Random
) -> list[OrderPlan]:
    """Orders of ``unit`` (placed on days drawn from ``days``) summing to ``amount``: at least it when
    ``at_least``, at most it otherwise, within one item either way."""
    if amount <= 0:
        return []
    count = max(1, round(float(amount) / (AVERAGE_ORDER * rng.uniform(0.7, 1.3))))
    favourites = catalogue.favourites(rng)
    placed = days.sample(count, rng)
    orders, remaining = [], amount
    for index, day in enumerate(placed):
        supplier = rng.choice(favourites)
        items = catalogue.by_supplier[supplier]
        left = count - index
        if left > 1:
            still = float(remaining)
            lines = _lines(items, min(still, still / left * rng.uniform(0.6, 1.4)), rng)
            if sum(line.amount for line in lines) > remaining:
                lines = []  # a minimum quantity would overshoot: let the closing order do it
        else:
            cheapest = catalogue.cheapest[supplier]
            closing = _closing(cheapest, remaining, at_least)
            lines = [closing] if closing else []
        if not lines:
            continue
        buyer = rng.choice(unit.buyers)
        hour = rng.uniform(8.5, 16.5)
        order = OrderPlan(unit, buyer, supplier, lines, utc(day, hour))
        orders.append(order)
        remaining -= order.total
        if remaining <= 0:
            break
    if remaining > 0 and at_least and placed:  # every order overshot on minimums earlier: top it up
        supplier = rng.choice(favourites)
        closing = _closing(catalogue.cheapest[supplier], remaining, True)
        if closing:
            orders.append(OrderPlan(unit, rng.choice(unit.buyers), supplier, [closing], utc(placed[-1], 15)))
    return orders


def deliver(order: OrderPlan, rng: random.Random, now: datetime) -> None:
    """Ship and accept ``order`` some hours and days after it was placed; the buyer closes it a few days
    later (if that is before ``now``)."""
    order.shipped_at = order.placed_at + timedelta(hours=rng.uniform(4, 30))
    order.carrier, prefix = rng.choice(CARRIERS)
    order.tracking = prefix + str(rng.randrange(10**11, 10**12))
    order.received_at = order.shipped_at + timedelta(hours=rng.uniform(20, 72))
    closed = order.received_at + timedelta(hours=rng.uniform(24, 120))
    if closed < now:
        order.status, order.closed_at = "closed", closed
    else:
        order.status = "received"


def pay(order: OrderPlan, rng: random.Random, earliest: date, latest: date, now: datetime) -> None:
    """The buying unit pays within three weeks of accepting, between ``earliest`` and ``latest``."""
    received = beijing_date(order.received_at)
    paid_on = min(latest, max(earliest, received + timedelta(days=rng.randint(0, 20))))
    order.paid_on = max(paid_on, received)
    order.paid_at = min(
        now, max(order.received_at + timedelta(hours=1), utc(order.paid_on, rng.uniform(9, 17)))
    )
    order.method = PaymentMethod.official_card if rng.random() < 0.55 else PaymentMethod.bank_transfer


def refund_some(orders: list[OrderPlan], count: int, rng: random.Random, latest: date, now: datetime) -> None:
    """``count`` paid orders with a line of two or more items get one or two items back: a return asked
    and accepted, then the refund settled some days later (the first, when ``latest`` allows, in the next
    January, so that its ledger entry goes to December of the payment's year)."""
    candidates = [
        order for order in orders if order.paid_on and any(line.quantity >= 2 for line in order.lines)
    ]
    chosen = rng.sample(candidates, min(count, len(candidates)))
    december = [order for order in candidates if order.paid_on.month == 12 and order.paid_on.day >= 20]
    next_january = date(chosen[0].paid_on.year + 1, 1, 9) if chosen else None
    if december and next_january and latest >= next_january:
        chosen[0] = rng.choice([order for order in december if order not in chosen] or december)
    for index, order in enumerate(chosen):
        line_index = next(i for i, line in enumerate(order.lines) if line.quantity >= 2)
        line = order.lines[line_index]
        quantity = min(line.quantity - 1, rng.randint(1, 2))
        line.returned = quantity
        asked = order.received_at + timedelta(hours=rng.uniform(4, 40))
        decided = asked + timedelta(hours=rng.uniform(2, 30))
        settled_on = max(order.paid_on, beijing_date(decided)) + timedelta(days=rng.randint(1, 10))
        if index == 0 and order in december:
            settled_on = date(order.paid_on.year + 1, 1, rng.randint(5, 9))
        settled_on = min(settled_on, latest)
        order.refund = RefundPlan(
            line_index,
            quantity,
            line.item.price * quantity,
            asked,
            decided,
            settled_on,
            min(now, max(decided, utc(settled_on, rng.uniform(9, 17)))),
        )
        if order.closed_at is not None and order.closed_at < decided:
            order.closed_at = decided + timedelta(hours=rng.uniform(2, 48))
            if order.closed_at >= now:
                order.status, order.closed_at = "received", None


def arrears(unit: Unit, catalogue: Catalogue, rng: random.Random, today: date) -> OrderPlan:
    """An order accepted 31 to 150 days ago and never paid: closed by the system after 15 days."""
    supplier = rng.choice(catalogue.suppliers)
    day = today - timedelta(days=rng.randint(35, 155))
    order = OrderPlan(
        unit,
        rng.choice(unit.buyers),
        supplier,
        _lines(catalogue.by_supplier[supplier], rng.randint(800, 4000), rng),
        utc(day, rng.uniform(8.5, 16.5)),
    )
    order.shipped_at = order.placed_at + timedelta(hours=rng.uniform(4, 30))
    order.carrier, prefix = rng.choice(CARRIERS)
    order.tracking = prefix + str(rng.randrange(10**11, 10**12))
    order.received_at = order.shipped_at + timedelta(hours=rng.uniform(20, 72))
    order.status, order.closed_at, order.closed_by_system = (
        "closed",
        order.received_at + timedelta(days=15),
        True,
    )
    return order


def under_way(unit: Unit, catalogue: Catalogue, rng: random.Random, now: datetime) -> OrderPlan:
    """An order of the last few days, not yet paid: placed, shipped or just accepted."""
    supplier = rng.choice(catalogue.suppliers)
    placed = now - timedelta(hours=rng.uniform(6, 130))
    order = OrderPlan(
        unit,
        rng.choice(unit.buyers),
        supplier,
        _lines(catalogue.by_supplier[supplier], rng.randint(300, 2500), rng),
        placed,
        status="placed",
    )
    if now - placed > timedelta(hours=30):
        order.status, order.shipped_at = "shipped", placed + timedelta(hours=rng.uniform(4, 24))
        order.carrier, prefix = rng.choice(CARRIERS)
        order.tracking = prefix + str(rng.randrange(10**11, 10**12))
        if now - order.shipped_at > timedelta(hours=60):
            order.status, order.received_at = (
                "received",
                order.shipped_at + timedelta(hours=rng.uniform(20, 50)),
            )
    return order
