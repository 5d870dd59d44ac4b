"""The demo's marketplace: ~600 products of admitted suppliers from poverty counties, orders in every status
whose lines, events, stock and sales agree, found by the catalogue's search; deterministic and fast."""

import random
import re
import time
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from accounts.demo.load import STEPS, load_demo
from accounts.models import Region, Supplier, SupplierStatus, User
from shop.aftersales.models import Evaluation, ReturnLine, ReturnRequest, ReturnStatus
from shop.catalogue.models import Category, Product, ProductStatus
from shop.catalogue.search import TextSearch, search_columns
from shop.counters import Counter
from shop.demo import load as marketplace
from shop.demo.produce import CATEGORIES, KINDS, SupplierInfo, plan_products
from shop.extensions import db
from shop.orders import numbers
from shop.orders.models import Order, OrderLine, OrderStatus, PaymentStatus
from tests.conftest import login


#: The steps up to the marketplace's (the demo year's paid orders, added after it, have their own tests).
def _through_marketplace():
    return STEPS[: STEPS.index(marketplace.add_marketplace) + 1]


@pytest.fixture
def demo():
    started = time.perf_counter()
    result = load_demo(_through_marketplace())
    db.session.commit()
    return result, time.perf_counter() - started


def products(*where):
    return db.session.scalars(select(Product).where(*where)).all()


def test_the_marketplace_step_is_registered_once(app):
    assert STEPS.count(marketplace.add_marketplace) == 1
    accounts = [step for step in STEPS if step.__module__ == "accounts.demo.load"]
    assert STEPS.index(marketplace.add_marketplace) == len(accounts), "right after the accounts' steps"


def test_about_600_listed_products_of_admitted_suppliers_from_their_poverty_counties(demo):
    listed = products(Product.status == ProductStatus.listed)
    assert len(listed) >= 550
    rows = db.session.execute(
        select(
            Product.id,
            Supplier.status,
            Supplier.region_id,
            Product.origin_region_id,
            Region.is_poverty_county,
        )
        .join(Supplier, Product.supplier_id == Supplier.id)
        .join(Region, Product.origin_region_id == Region.id)
    ).all()
    assert all(status == SupplierStatus.admitted for _, status, *_ in rows)
    assert all(origin == county for *_, county, origin, _ in rows)
    assert all(poverty for *_, poverty in rows)
    admitted = db.session.scalar(
        select(func.count(Supplier.id)).where(Supplier.status == SupplierStatus.admitted)
    )
    selling = db.session.scalar(select(func.count(func.distinct(Product.supplier_id))))
    assert selling == admitted == 45
    assert db.session.scalar(select(func.count(Category.id))) >= 10


def test_products_are_plausible_some_certified_some_flagged_above_market_price(demo):
    every = products()
    assert all(
        product.price > 0 and product.stock >= 0 and product.min_order_quantity >= 1 for product in every
    )
    assert all(product.price == product.price.quantize(Decimal("0.01")) for product in every)
    assert sum(product.certification_number is not None for product in every) > 100
    assert any(product.is_green for product in every) and any(product.is_organic for product in every)
    assert any(product.is_geographic_indication for product in every)
    above = [p for p in every if p.market_price is not None and p.price > p.market_price * 12 / 10]
    assert 3 <= len(above) <= len(every) // 10
    names = {product.name for product in every}
    assert {"兴县小米", "临县红枣", "方山核桃"} & names, "county + product names"
    assert len({(p.supplier_id, p.name, p.spec) for p in every}) == len(every)


def test_a_few_products_wait_for_review_and_one_was_rejected_with_a_reason(demo):
    pending = products(Product.status == ProductStatus.pending)
    rejected = products(Product.status == ProductStatus.rejected)
    assert 3 <= len(pending) <= 10 and all(product.listed_at is None for product in pending)
    assert len(rejected) == 1 and rejected[0].status_reason
    demo_supplier = db.session.scalar(select(User).where(User.username == "demo_supplier")).supplier
    assert rejected[0].supplier_id == demo_supplier.id
    assert demo_supplier.id in {product.supplier_id for product in pending}


def test_orders_in_every_status_unpaid_with_consistent_lines_and_timelines(demo):
    orders = db.session.scalars(select(Order)).all()
    assert {order.status for order in orders} == set(OrderStatus)
    assert all(order.payment_status == PaymentStatus.unpaid and order.paid_at is None for order in orders)
    demo_purchaser = db.session.scalar(select(User).where(User.username == "demo_purchaser"))
    mine = [order for order in orders if order.unit_id == demo_purchaser.unit_id]
    assert {order.status for order in mine} == set(OrderStatus)
    assert len({order.unit_id for order in orders}) >= 3
    paths = {
        OrderStatus.placed: ["placed"],
        OrderStatus.shipped: ["placed", "shipped"],
        OrderStatus.received: ["placed", "shipped", "received"],
        OrderStatus.closed: ["placed", "shipped", "received", "closed"],
        OrderStatus.cancelled: ["placed", "cancelled"],
    }
    for order in orders:
        assert order.lines and order.total == sum(line.amount for line in order.lines)
        for line in order.lines:
            product = line.product
            assert line.product_name == product.name and line.unit_price == product.price
            assert line.amount == line.unit_price * line.quantity
            assert product.supplier_id == order.supplier_id
            assert line.quantity >= product.min_order_quantity
        steps = [event for event in order.events if event.kind == "status"]
        assert [event.to_status for event in steps] == paths[order.status]
        assert [event.from_status for event in steps] == [None, *paths[order.status][:-1]]
        assert all(a.at <= b.at for a, b in zip(steps, steps[1:], strict=False))
        assert (order.shipped_at is not None) == (
            order.status in (OrderStatus.shipped, OrderStatus.received, OrderStatus.closed)
        )
        assert (order.cancelled_at is not None) == (order.status == OrderStatus.cancelled)
        assert re.fullmatch(r"DD\d{14}", order.number) and order.number[2:10] == numbers.order_day(
            order.placed_at
        )


def test_order_number_counters_hold_the_last_number_of_each_day(demo):
    last = defaultdict(int)
    for number in db.session.scalars(select(Order.number)):
        last[f"order:{number[2:10]}"] = max(last[f"order:{number[2:10]}"], int(number[10:]))
    counters = dict(db.session.execute(select(Counter.key, Counter.value)).all())
    assert counters == dict(last)


def test_sales_count_is_the_quantity_on_orders_not_cancelled(demo):
    sold = dict(
        db.session.execute(
            select(OrderLine.product_id, func.sum(OrderLine.quantity))
            .join(Order, OrderLine.order_id == Order.id)
            .where(Order.status != OrderStatus.cancelled)
            .group_by(OrderLine.product_id)
        ).all()
    )
    counts = dict(db.session.execute(select(Product.id, Product.sales_count)).all())
    assert sold and all(counts[product_id] == sold.get(product_id, 0) for product_id in counts)


def test_one_return_request_and_one_evaluation_of_the_demo_purchaser(demo):
    request = db.session.scalars(select(ReturnRequest)).one()
    assert request.status == ReturnStatus.requested and request.order.status == OrderStatus.received
    assert request.requested_by.username == "demo_purchaser"
    line = db.session.scalars(select(ReturnLine)).one()
    assert line.order_line.order_id == request.order_id and line.quantity <= line.order_line.quantity
    assert any(event.kind == "return" for event in request.order.events)
    evaluation = db.session.scalars(select(Evaluation)).one()
    assert (
        evaluation.order.status == OrderStatus.closed
        and evaluation.supplier_id == evaluation.order.supplier_id
    )
    assert evaluation.author.username == "demo_purchaser"


def test_search_columns_are_filled_and_the_catalogue_finds_millet(demo, client):
    product = products(Product.name == "兴县小米")[0]
    assert {"search_name": product.search_name, "search_text": product.search_text} == search_columns(
        product.name, product.spec, product.description
    )
    dialect = db.session.get_bind().dialect.name
    search = TextSearch.parse("小米", dialect)
    found = db.session.scalars(
        search.apply(select(Product.name).where(Product.status == ProductStatus.listed))
    ).all()
    named = [
        product.name for product in products(Product.status == ProductStatus.listed) if "小米" in product.name
    ]
    assert len(named) >= 10 and set(named) <= set(found)
    login(client, "demo_purchaser", "Demo@2026")
    response = client.get("/catalogue/?q=小米")
    assert response.status_code == 200
    assert "小米" in response.get_data(as_text=True)


def test_the_whole_demo_loads_quickly_and_in_bulk(count_queries):
    with count_queries() as queries:
        started = time.perf_counter()
        load_demo(_through_marketplace())
        elapsed = time.perf_counter() - started
    assert elapsed < 15, elapsed
    marketplace_statements = [
        q for q in queries if re.search(r"\b(product|purchase_order|order_line|order_event)\b", q)
    ]
    assert len(marketplace_statements) < 20, len(marketplace_statements)


def test_the_plan_is_deterministic():
    from datetime import datetime

    suppliers = [
        SupplierInfo(i, name, "141123", "兴县", 4, datetime(2020, 1, 1))
        for i, name in enumerate(
            ["兴县黄河红枣专业合作社", "兴县农特产品供销有限公司", "兴县沙棘食品有限公司"], 1
        )
    ]
    first = plan_products(suppliers, random.Random(1))
    assert first == plan_products(suppliers, random.Random(1))
    jujubes = [plan for plan in first if plan.supplier_id == 1]
    assert sum(plan.category == "红枣" for plan in jujubes) >= len(jujubes) // 3, "a speciality"


def test_the_produce_table_reads_into_kinds_of_every_category():
    assert len(KINDS) >= 50 and {kind.category for kind in KINDS} == set(CATEGORIES)
    for kind in KINDS:
        assert kind.variants and kind.packings and "{county}" in kind.description, kind
        assert all(len(packing) == 3 and Decimal(packing[2]) > 0 for packing in kind.packings), kind
