"""The reserved shares' step of ``flask demo load``: two years of policies, filings and paid orders for the
demo city, calibrated to the city report of DESIGN.md.

- Last year (the complete one): a 30 % city policy (deadline 31 March) and a stricter one in 孝义市; every
  unit's filing approved; ≈25,000 paid and closed orders of the demo's listed products, calibrated so that the
  city report shows ¥25,451,400.00 reserved, a 35 % mean reserve ratio, ≈¥25,000,000 bought, completion 96 %
  as the mean of unit rates and ≈98.2 % as Σpurchased / Σreserved (``shares``); a handful of refunds.
- This year, up to today (Beijing): filings in every state of review (≈5 % not filed), purchases at each
  unit's pace against the straight-line schedule, orders still under way and a few arrears (accepted more
  than 30 days ago, unpaid).

Speed (``flask demo load`` stays a matter of seconds with ≈50,000 orders): orders, lines and payments go in
with one bulk insert per table (``bulk``: COPY on PostgreSQL, one ``executemany`` on SQLite) and their ids
are read back with one query; the timelines, the ledger and its totals are derived from them in SQL
(``derived``). The figures are reproducible: everything random comes from seeded ``random.Random`` streams,
last year's from streams of its own, whatever today is.
"""

import calendar
import gc
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, text, update

from accounts.demo import DEMO_LOGINS
from accounts.demo.load import DemoContext
from accounts.demo.regions import CITY, COUNTIES
from accounts.demo.units import DEMO_UNIT_NAME, plan_unit_accounts
from accounts.models import Role, User
from quotas.demo_year import derived, filings, orders, rows, shares
from quotas.demo_year.bulk import bulk_insert, roomy_sqlite_cache
from quotas.demo_year.orders import Catalogue, Days, Item, OrderPlan
from quotas.demo_year.shares import Buyer, Unit
from quotas.models import CanteenStatus, QuotaFiling, QuotaPolicy
from shop.aftersales.models import Refund, ReturnLine, ReturnRequest
from shop.catalogue.models import Product, ProductStatus
from shop.common import beijing_today, utcnow
from shop.counters import Counter
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from shop.payments.models import Payment

SEED = 20250331
#: The county with a stricter policy of its own (35 %, an earlier deadline, not below last year's).
STRICT_COUNTY = "141181"  # 孝义市
CITY_RATIO, STRICT_RATIO = "0.3000", "0.3500"
REFUNDS_LAST_YEAR, REFUNDS_THIS_YEAR = 6, 2
ARREARS, UNDER_WAY = 12, 40


def _login(role: Role) -> str:
    return next(login.username for login in DEMO_LOGINS if login.role == role)


def _bulk(model, row_dicts: list[dict[str, Any]]) -> None:
    bulk_insert(model.__table__, row_dicts)


def _analyze(*tables: str) -> None:
    """Give PostgreSQL's planner statistics on the rows just inserted (ANALYZE samples the rows of the
    running transaction too). Without them it takes the fresh tables for nearly empty and joins them with
    nested loops: the INSERT … SELECT of the timelines then took minutes instead of a second."""
    if db.session.get_bind().dialect.name == "postgresql":
        for table in tables:
            db.session.execute(text(f"ANALYZE {table}"))


def _units(ctx: DemoContext) -> list[Unit]:
    """The demo's units with their accounts, reviewers and buyers, from what earlier steps planned (no
    query: the account plan is deterministic)."""
    accounts = plan_unit_accounts(ctx.units, _login(Role.unit_manager), _login(Role.purchaser))
    managers = {plan.unit_code: ctx.user_ids[plan.username] for plan in accounts if plan.is_manager}
    county_names = {county.code: county.name for county in COUNTIES} | {CITY[0]: "离石区"}  # the city seat
    finance = {code: ctx.user_ids[f"cz{code}"] for code in county_names if code != CITY[0]}
    finance[CITY[0]] = ctx.user_ids[_login(Role.finance)]
    units = {
        plan.code: Unit(
            id=ctx.unit_ids[plan.code],
            code=plan.code,
            name=plan.name,
            region_code=plan.region_code,
            county_name=county_names[plan.region_code],
            parent_id=ctx.unit_ids[plan.parent_code] if plan.parent_code else None,
            depth=plan.depth,
            big=plan.big,
            manager_id=managers[plan.code],
            endorser_id=managers[plan.parent_code] if plan.parent_code else None,
            approver_id=finance[plan.region_code],
        )
        for plan in ctx.units
    }
    for plan in accounts:
        if not plan.is_manager:
            units[plan.unit_code].buyers.append(Buyer(ctx.user_ids[plan.username], plan.name, plan.phone))
    return list(units.values())


def _catalogue() -> Catalogue:
    items = db.session.execute(
        select(
            Product.id,
            Product.supplier_id,
            Product.name,
            Product.spec,
            Product.unit,
            Product.price,
            Product.min_order_quantity,
        )
        .where(Product.status == ProductStatus.listed)
        .order_by(Product.id)
    ).all()
    return Catalogue([Item(*item) for item in items])


def _min_ratio(unit: Unit):
    return Decimal(STRICT_RATIO if unit.region_code == STRICT_COUNTY else CITY_RATIO)


def _deadline(year: int):
    def deadline(unit: Unit) -> date:
        return date(year, 3, 20) if unit.region_code == STRICT_COUNTY else date(year, 3, 31)

    return deadline


def _purchases(
    plan: list[shares.Share], days: Days, catalogue: Catalogue, rng: random.Random
) -> list[OrderPlan]:
    planned = []
    for share in plan:
        planned += orders.cut_into_orders(share.unit, share.purchase, share.at_least, days, catalogue, rng)
    return planned


def plan_years(ctx: DemoContext, catalogue: Catalogue, today: date, now: datetime):
    """Both years' shares, the filing rows and the orders (no database): last year is ``today.year - 1``;
    nothing is dated after ``now`` (naive UTC) or ``today`` (Beijing)."""
    year = today.year - 1  # the complete year
    units = _units(ctx)
    rng = random.Random(SEED)
    shares.assign_canteens(units, rng)
    demo = next(unit for unit in units if unit.name == DEMO_UNIT_NAME)
    demo.canteen, demo.shared_with = CanteenStatus.own, None  # the demo manager's unit reserves a share
    complete = shares.plan_complete_year(units, _min_ratio, rng)
    complete_story = shares.stories(complete, shares.COMPLETE_STORIES, rng)
    complete_story[demo.id] = "approved"
    filing_rows = filings.filing_rows(complete, complete_story, year, _deadline(year), now, rng)
    last = _purchases(complete, Days(date(year - 1, 12, 12), date(year, 12, 24), year), catalogue, rng)
    for order in last:
        orders.deliver(order, rng, now)
        orders.pay(order, rng, date(year, 1, 2), date(year, 12, 31), now)
    orders.refund_some(last, REFUNDS_LAST_YEAR, rng, min(today, date(year + 1, 1, 9)), now)

    rng = random.Random(SEED + today.toordinal())  # this year's plan depends on how far it has gone
    elapsed = (today.timetuple().tm_yday - 1) / (366 if calendar.isleap(today.year) else 365)
    current_story = shares.stories(complete, shares.CURRENT_STORIES, rng)
    # The demo logins find work: the demo manager's unit approved, three of the units it supervises waiting
    # for its review, two endorsed and waiting for the city's finance bureau (the demo finance user).
    current_story[demo.id] = "approved"
    supervised = [unit for unit in units if unit.parent_id == demo.id]
    for unit, story in zip(supervised, ("submitted",) * 3 + ("endorsed",) * 2, strict=False):
        current_story[unit.id] = story
    current = shares.plan_current_year(complete, _min_ratio, current_story, elapsed, rng)
    filing_rows += filings.filing_rows(current, current_story, today.year, _deadline(today.year), now, rng)
    this = _purchases(
        current, Days(date(year, 12, 12), today - timedelta(days=5), today.year), catalogue, rng
    )
    for order in this:
        orders.deliver(order, rng, now)
        orders.pay(order, rng, date(today.year, 1, 2), today, now)
    this = [order for order in this if order.paid_on.year == today.year]
    orders.refund_some(this, REFUNDS_THIS_YEAR, rng, today, now)
    reserving = [share.unit for share in current if share.reserves]
    open_orders = [orders.arrears(unit, catalogue, rng, today) for unit in rng.sample(reserving, ARREARS)]
    open_orders += [orders.under_way(unit, catalogue, rng, now) for unit in rng.sample(reserving, UNDER_WAY)]
    return complete, current, filing_rows, last + this + open_orders


def add_demo_year(ctx: DemoContext) -> None:
    """The step: policies, filings and orders of last year and this year, with payments, refunds, the
    purchase ledger and its totals, order-number counters and products' sales counts."""
    # Half a million short-lived objects: the cycle collector would rescan them again and again for nothing
    # (none of them forms a cycle that outlives the step). Paused for the step, as bulk loaders do.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with roomy_sqlite_cache():
            _add_demo_year(ctx)
    finally:
        if collecting:
            gc.enable()


def _add_demo_year(ctx: DemoContext) -> None:
    today, now = beijing_today(), utcnow()
    year = today.year - 1
    catalogue = _catalogue()
    complete, current, filing_rows, planned = plan_years(ctx, catalogue, today, now)

    finance = {CITY[0]: ctx.user_ids[_login(Role.finance)], STRICT_COUNTY: ctx.user_ids[f"cz{STRICT_COUNTY}"]}
    policies = []
    for each, strict_not_below in ((year, False), (today.year, True)):
        rules = {
            CITY[0]: (CITY_RATIO, date(each, 3, 31), False),
            STRICT_COUNTY: (STRICT_RATIO, date(each, 3, 20), strict_not_below),
        }
        policies += filings.policy_rows(each, ctx.region_ids, rules, finance)
    _bulk(QuotaPolicy, policies)
    _bulk(QuotaFiling, filing_rows)

    counters = dict(
        db.session.execute(select(Counter.key, Counter.value).where(Counter.key.like("order:%"))).all()
    )
    new_counters = rows.number_orders(planned, counters)
    paid = [order for order in planned if order.paid_on is not None]
    for serial, order in enumerate(paid, start=1):
        prefix = "GWK" if order.method.value == "official_card" else "DG"
        order.reference = f"{prefix}{order.paid_on:%Y%m%d}{serial:06d}"
        if order.refund:
            order.extra["refund_reference"] = f"TK{order.refund.settled_on:%Y%m%d}{serial:06d}"
    addresses = {}
    street_rng = random.Random(SEED)
    for unit in {order.unit.id: order.unit for order in planned}.values():
        street = street_rng.choice(orders.STREETS)
        addresses[unit.id] = f"吕梁市{unit.county_name}{street}{street_rng.randint(1, 300)}号 {unit.name}"

    _bulk(Order, rows.order_rows(planned, addresses))
    ids = dict(
        db.session.execute(
            select(Order.number, Order.id).where(Order.checkout_token.like(f"{rows.TOKEN_PREFIX}%"))
        ).all()
    )
    _bulk(OrderLine, rows.line_rows(planned, ids))
    _bulk(Payment, rows.payment_rows(paid, ids))
    supplier_users = dict(
        db.session.execute(
            select(User.supplier_id, User.id).where(User.role == Role.supplier).order_by(User.id.desc())
        ).all()
    )  # newest first, so that dict() keeps each supplier's first login
    refunded = [order for order in paid if order.refund]
    _returns(refunded, ids, supplier_users)
    _analyze("purchase_order", "order_line", "payment", "refund", "return_request")
    derived.timelines(rows.TOKEN_PREFIX, [ids[order.number] for order in refunded])
    _bulk(OrderEvent, rows.event_rows(refunded, ids, supplier_users))
    derived.ledger_and_totals()
    _analyze("order_event", "purchase_ledger", "unit_year_purchase", "unit_month_purchase")

    known = {key: value for key, value in new_counters.items() if key in counters}
    if known:
        db.session.execute(update(Counter), [{"key": key, "value": value} for key, value in known.items()])
    _bulk(Counter, [{"key": k, "value": v} for k, v in new_counters.items() if k not in counters])
    # Sales counts are the quantities on orders not cancelled (as the marketplace step keeps them): one
    # grouped query and one bulk update by primary key (a correlated subquery per product made PostgreSQL,
    # without statistics on the fresh rows, scan the order lines once per product).
    sold = dict(
        db.session.execute(
            select(OrderLine.product_id, func.sum(OrderLine.quantity))
            .join(Order, OrderLine.order_id == Order.id)
            .where(Order.status != OrderStatus.cancelled)
            .group_by(OrderLine.product_id)
        ).all()
    )
    product_ids = db.session.scalars(select(Product.id)).all()
    db.session.execute(
        update(Product).execution_options(synchronize_session=False),
        [{"id": product_id, "sales_count": int(sold.get(product_id, 0))} for product_id in product_ids],
    )

    ctx.counts["quota_policies"] = len(policies)
    ctx.counts["quota_filings"] = len(filing_rows)
    ctx.counts["paid_orders"] = len(paid)
    ctx.counts["demo_year_orders"] = len(planned)
    ctx.counts["refunds"] = len(refunded)


def _returns(refunded: list[OrderPlan], ids: dict[str, int], supplier_users: dict[int, int]) -> None:
    """The accepted return requests, their lines and the settled refunds of ``refunded``."""
    refund_orders = [ids[order.number] for order in refunded]
    _bulk(ReturnRequest, rows.return_rows(refunded, ids, supplier_users))
    requests = dict(
        db.session.execute(
            select(ReturnRequest.order_id, ReturnRequest.id).where(ReturnRequest.order_id.in_(refund_orders))
        ).all()
    )
    returned_lines = dict(
        db.session.execute(
            select(OrderLine.order_id, OrderLine.id).where(
                OrderLine.order_id.in_(refund_orders), OrderLine.returned_quantity > 0
            )
        ).all()
    )
    _bulk(
        ReturnLine,
        [
            {
                "request_id": requests[ids[order.number]],
                "order_line_id": returned_lines[ids[order.number]],
                "quantity": order.refund.quantity,
            }
            for order in refunded
        ],
    )
    _bulk(Refund, rows.refund_rows(refunded, ids, requests, supplier_users))
