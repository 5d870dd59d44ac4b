"""The marketplace's step of ``flask demo load``: categories, ~600 products, a handful of orders.

``add_marketplace`` runs after the accounts' steps (the composition root registers it with
``accounts.demo.load.register_step``; accounts never imports shop). Like them it inserts each table with one
``executemany`` and reads the new ids back with one query; everything random comes from one seeded
``random.Random``, so every load gives the same catalogue and orders.
"""

import random
from collections import Counter as Tally
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select

from accounts.demo import DEMO_LOGINS
from accounts.demo.load import DemoContext
from accounts.demo.regions import CITY, COUNTIES
from accounts.demo.units import DEMO_UNIT_NAME
from accounts.models import Region, Role, Supplier, SupplierStatus, User
from shop.aftersales.models import Evaluation, ReturnLine, ReturnRequest, ReturnStatus
from shop.catalogue.models import Category, Product, ProductStatus
from shop.catalogue.search import search_columns
from shop.common import utcnow
from shop.counters import Counter
from shop.demo.orders import Buyer, OrderPlan, plan_orders
from shop.demo.produce import CATEGORIES, REJECTION_REASON, ProductPlan, SupplierInfo, plan_products
from shop.extensions import db
from shop.orders import numbers
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus, PaymentStatus

#: The seed of every random choice in the marketplace demo.
SEED = 20261129
#: Products waiting for the operator's review (one of them the demo supplier's).
PENDING = 6
#: Other units (besides the demo purchaser's) that have orders.
OTHER_BUYERS = 4

RETURN_REASON = "部分商品受潮，与订单描述不符，申请退货。"
EVALUATION_COMMENT = "产品质量好，配送及时，包装完好。"


def _demo_username(role: Role) -> str:
    return next(login.username for login in DEMO_LOGINS if login.role == role)


#: Rows whose optional columns are None in different patterns still go in one batch: the ORM's bulk insert
#: otherwise leaves None keys out, grouping rows by which keys remain (one statement per group).
_BULK = {"render_nulls": True}


def _insert(model, rows: list[dict[str, Any]], *key) -> dict[Any, int]:
    """One ``executemany`` of ``rows``, then ``key`` (one column, or a tuple of them) -> new id in one query
    (see ``accounts.demo.load._insert`` for why not RETURNING)."""
    db.session.execute(insert(model), rows, execution_options=_BULK)
    columns = [getattr(model, name) for name in key]
    result = db.session.execute(select(*columns, model.id)).all()
    if len(key) == 1:
        return {row[0]: row[1] for row in result}
    return {tuple(row[:-1]): row[-1] for row in result}


# --- planning (reads only) ---------------------------------------------------------------------------------


def _admitted_suppliers() -> list[SupplierInfo]:
    rows = db.session.execute(
        select(Supplier.id, Supplier.name, Region.code, Region.name, Region.id, Supplier.admitted_at)
        .join(Region, Supplier.region_id == Region.id)
        .where(Supplier.status == SupplierStatus.admitted)
        .order_by(Supplier.id)
    ).all()
    return [SupplierInfo(*row) for row in rows]


def _send_some_to_review(plans: list[ProductPlan], demo_supplier_id: int, rng: random.Random) -> None:
    """``PENDING`` products wait for review (one the demo supplier's) and one of the demo supplier's was
    rejected, so the operator's queue and the supplier's product list both have work."""
    own = [plan for plan in plans if plan.supplier_id == demo_supplier_id]
    others = [plan for plan in plans if plan.supplier_id != demo_supplier_id]
    for plan in [own[-1], *rng.sample(others, PENDING - 1)]:
        plan.status, plan.listed_at = "pending", None
    own[-2].status, own[-2].listed_at, own[-2].status_reason = "rejected", None, REJECTION_REASON


def _buyers(ctx: DemoContext, rng: random.Random) -> tuple[Buyer, list[Buyer]]:
    """The demo purchaser, and the first purchaser of ``OTHER_BUYERS`` other units (one query)."""
    county_names = {county.code: county.name for county in COUNTIES} | {CITY[0]: "离石区"}  # the city seat
    demo_unit = next(unit for unit in ctx.units if unit.name == DEMO_UNIT_NAME)
    others = rng.sample(
        [unit for unit in ctx.units if unit is not demo_unit and unit.depth > 1], OTHER_BUYERS
    )
    usernames = {_demo_username(Role.purchaser): demo_unit} | {f"cg{unit.code}": unit for unit in others}
    users = db.session.execute(
        select(User.username, User.id, User.name, User.phone).where(User.username.in_(usernames))
    ).all()
    by_name = {
        username: Buyer(
            user_id,
            name,
            phone,
            ctx.unit_ids[usernames[username].code],
            usernames[username].name,
            county_names[usernames[username].region_code],
        )
        for username, user_id, name, phone in users
    }
    demo = by_name.pop(_demo_username(Role.purchaser))
    return demo, [by_name[f"cg{unit.code}"] for unit in others]


# --- rows --------------------------------------------------------------------------------------------------


def _product_row(plan: ProductPlan, category_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "supplier_id": plan.supplier_id,
        "category_id": category_ids[plan.category],
        "name": plan.name,
        "spec": plan.spec,
        "unit": plan.unit,
        "price": plan.price,
        "market_price": plan.market_price,
        "stock": plan.stock,
        "min_order_quantity": plan.min_order_quantity,
        "origin_region_id": plan.origin_region_id,
        "certification_number": plan.certification_number,
        "is_green": plan.is_green,
        "is_organic": plan.is_organic,
        "is_geographic_indication": plan.is_geographic_indication,
        "description": plan.description,
        "status": ProductStatus(plan.status),
        "status_reason": plan.status_reason,
        "sales_count": plan.sales_count,
        "created_at": plan.created_at,
        "updated_at": plan.listed_at or plan.created_at,
        "listed_at": plan.listed_at,
        **search_columns(plan.name, plan.spec, plan.description),
    }


def _numbers(orders: list[OrderPlan]) -> tuple[list[str], dict[str, int]]:
    """Each order's number as ``shop.orders.numbers`` gives them (by Beijing day, in order of placing), and
    the day counters' final values: set once in bulk rather than one ``next_value`` call per order."""
    per_day: Tally[str] = Tally()
    result = []
    for order in orders:
        day = numbers.order_day(order.placed_at)
        per_day[day] += 1
        result.append(numbers.format_number(day, per_day[day]))
    return result, {numbers.counter_key(day): value for day, value in per_day.items()}


def _order_row(order: OrderPlan, number: str) -> dict[str, Any]:
    return {
        "number": number,
        "unit_id": order.buyer.unit_id,
        "purchaser_id": order.buyer.user_id,
        "supplier_id": order.supplier_id,
        "status": OrderStatus(order.status),
        "payment_status": PaymentStatus.unpaid,
        "total": order.total,
        "delivery_address": order.delivery_address,
        "delivery_contact": order.buyer.name,
        "delivery_phone": order.buyer.phone or "0358-8220000",
        "note": None,
        "checkout_token": order.checkout_token,
        "placed_at": order.placed_at,
        "shipped_at": order.shipped_at,
        "carrier": order.carrier,
        "tracking_number": order.tracking_number,
        "received_at": order.received_at,
        "acceptance_note": order.acceptance_note,
        "closed_at": order.closed_at,
        "cancelled_at": order.cancelled_at,
        "cancel_reason": order.cancel_reason,
        "paid_at": None,
        "fiscal_year": None,
    }


# --- the step ----------------------------------------------------------------------------------------------


def add_marketplace(ctx: DemoContext) -> None:
    """Categories, products (listed, a few pending, one rejected), orders in every status with their lines
    and events, the order-number counters, one return request and one evaluation."""
    rng = random.Random(SEED)
    demo_supplier_id = db.session.scalar(
        select(User.supplier_id).where(User.username == _demo_username(Role.supplier))
    )
    products = plan_products(_admitted_suppliers(), rng)
    _send_some_to_review(products, demo_supplier_id, rng)
    demo_buyer, other_buyers = _buyers(ctx, rng)
    # Orders are dated back from the load (the rest is the same every time): the placed ones are days old
    # and the received ones still within the return window, whenever the demo is loaded.
    until = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    orders = plan_orders(products, demo_buyer, other_buyers, demo_supplier_id, rng, until)
    supplier_users = dict(
        db.session.execute(
            select(User.supplier_id, User.id).where(User.role == Role.supplier).order_by(User.id.desc())
        ).all()
    )  # newest first, so that dict() keeps each supplier's first login

    category_ids = _insert(
        Category,
        [{"name": name, "position": position} for position, name in enumerate(CATEGORIES, 1)],
        "name",
    )
    product_ids = _insert(
        Product, [_product_row(plan, category_ids) for plan in products], "supplier_id", "name", "spec"
    )

    def product_id(plan: ProductPlan) -> int:
        return product_ids[(plan.supplier_id, plan.name, plan.spec)]

    order_numbers, counters = _numbers(orders)
    order_ids = _insert(
        Order,
        [_order_row(order, number) for order, number in zip(orders, order_numbers, strict=True)],
        "number",
    )
    ids = [order_ids[number] for number in order_numbers]
    db.session.execute(
        insert(Counter),
        [{"key": key, "value": value} for key, value in counters.items()],
        execution_options=_BULK,
    )
    line_ids = _insert(
        OrderLine,
        [
            {
                "order_id": order_id,
                "product_id": product_id(line.product),
                "product_name": line.product.name,
                "spec": line.product.spec,
                "unit": line.product.unit,
                "unit_price": line.product.price,
                "quantity": line.quantity,
                "amount": line.amount,
                "returned_quantity": 0,
            }
            for order, order_id in zip(orders, ids, strict=True)
            for line in order.lines
        ],
        "order_id",
        "product_id",
    )

    # The demo purchaser asks to return part of a received order of the demo supplier's (its to-do), and
    # has rated a closed order.
    returned = next(
        (order, order_id)
        for order, order_id in zip(orders, ids, strict=True)
        if order.buyer is demo_buyer and order.status == "received" and order.supplier_id == demo_supplier_id
    )
    rated = next(
        (order, order_id)
        for order, order_id in zip(orders, ids, strict=True)
        if order.buyer is demo_buyer and order.status == "closed"
    )
    asked_at = returned[0].received_at + timedelta(days=1)
    request_ids = _insert(
        ReturnRequest,
        [
            {
                "order_id": returned[1],
                "requested_by_id": demo_buyer.user_id,
                "status": ReturnStatus.requested,
                "reason": RETURN_REASON,
                "response": None,
                "created_at": asked_at,
                "decided_at": None,
                "decided_by_id": None,
            }
        ],
        "order_id",
    )
    first_line = returned[0].lines[0]
    db.session.execute(
        insert(ReturnLine),
        [
            {
                "request_id": request_ids[returned[1]],
                "order_line_id": line_ids[(returned[1], product_id(first_line.product))],
                "quantity": 1,
            }
        ],
    )
    db.session.execute(
        insert(Evaluation),
        [
            {
                "order_id": rated[1],
                "supplier_id": rated[0].supplier_id,
                "author_id": demo_buyer.user_id,
                "quality": 5,
                "delivery": 4,
                "service": 5,
                "comment": EVALUATION_COMMENT,
                "created_at": rated[0].received_at + timedelta(days=2),
            }
        ],
    )

    events = []
    for order, order_id in zip(orders, ids, strict=True):
        actors = {
            "purchaser": order.buyer.user_id,
            "supplier": supplier_users.get(order.supplier_id),
            None: None,
        }
        events.extend(
            {
                "order_id": order_id,
                "at": event.at,
                "actor_id": actors[event.actor],
                "kind": "status",
                "from_status": event.from_status,
                "to_status": event.to_status,
                "note": event.note,
            }
            for event in order.events
        )
    events.append(
        {
            "order_id": returned[1],
            "at": asked_at,
            "actor_id": demo_buyer.user_id,
            "kind": "return",
            "from_status": None,
            "to_status": ReturnStatus.requested.value,
            "note": RETURN_REASON,
        }
    )
    events.sort(key=lambda row: (row["at"], row["order_id"]))
    db.session.execute(insert(OrderEvent), events, execution_options=_BULK)

    ctx.counts["categories"] = len(category_ids)
    ctx.counts["products"] = len(products)
    ctx.counts["products_listed"] = sum(plan.status == "listed" for plan in products)
    ctx.counts["orders"] = len(orders)
