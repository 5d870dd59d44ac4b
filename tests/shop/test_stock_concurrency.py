"""Stock is never oversold and order numbers never clash or skip, under real concurrent checkouts.

These tests need real commits seen across threads, so they run outside the per-test rolled-back transaction
(marker ``real_commits``) on a database of their own: a fresh SQLite file, or a second database in the test
PostgreSQL cluster. Each thread places its checkout in its own app context (its own session and
connection), all released together by a barrier.
"""

import random
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from accounts.models import User
from shop.cart.models import CartItem
from shop.catalogue.models import Category, Product
from shop.common import utcnow
from shop.counters import current_value
from shop.extensions import db
from shop.orders import numbers
from shop.orders.models import Order, OrderLine
from shop.orders.placing import OutOfStock, new_checkout_token, place_orders
from tests.real_world import World, dispose, make_app, run_together
from tests.shop.conftest import DELIVERY

pytestmark = pytest.mark.real_commits


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    app = make_app(tmp_path_factory, "app_stock")
    yield app
    dispose(app)


@dataclass
class Market:
    product_ids: list[int]
    purchaser_ids: list[int]


def seed(app, stocks: list[int], purchasers: int) -> Market:
    """One product per stock figure, each of its own admitted supplier, and a unit with purchasers."""
    world = World()
    with app.app_context():
        county = world.county()
        unit = world.unit(county)
        category = Category(name=f"并发类目{world.n}")
        products = []
        for index, stock in enumerate(stocks):
            supplier = world.supplier(county, index)
            world.seller(supplier, f"seller{world.n}-{index}")
            products.append(
                world.product(supplier, county, stock=stock, name=f"小米{world.n}-{index}", category=category)
            )
        users = [world.purchaser(unit, f"buyer{world.n}-{index}") for index in range(purchasers)]
        db.session.commit()
        return Market([product.id for product in products], [user.id for user in users])


def fill(app, user_id: int, lines: dict[int, int]) -> None:
    with app.app_context():
        db.session.add_all(
            CartItem(user_id=user_id, product_id=product_id, quantity=quantity, price_seen=10)
            for product_id, quantity in lines.items()
        )
        db.session.commit()


def checkout_all(app, checkouts: list[tuple[int, str]]) -> list[list[str] | None]:
    """Run each (purchaser id, token) checkout in its own thread, all started together; each answer is the
    order numbers placed, or None for OutOfStock (anything else fails the test)."""

    def checkout(user_id: int, token: str) -> list[str] | None:
        try:
            orders = place_orders(db.session.get(User, user_id), DELIVERY, token)
            placed = [order.number for order in orders]
            db.session.commit()
            return placed
        except OutOfStock:
            db.session.rollback()
            return None

    return run_together(app, checkout, checkouts, timeout=60)


def day_counter() -> int:
    return current_value(numbers.counter_key(numbers.order_day(utcnow())))


def sold(product_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(OrderLine.quantity), 0)).where(OrderLine.product_id == product_id)
    )


def assert_numbers_unique_and_gap_free(placed: list[str], counter_before: int) -> None:
    assert len(set(placed)) == len(placed)
    serials = sorted(numbers.serial_of(number) for number in placed)
    assert serials == list(range(counter_before + 1, counter_before + len(placed) + 1))
    assert day_counter() == counter_before + len(placed)


def test_concurrent_checkouts_sell_exactly_the_last_units(real_app):
    stock, buyers = 7, 20
    market = seed(real_app, [stock], buyers)
    (product_id,) = market.product_ids
    for user_id in market.purchaser_ids:
        fill(real_app, user_id, {product_id: 1})
    with real_app.app_context():
        counter_before = day_counter()

    answers = checkout_all(real_app, [(user_id, new_checkout_token()) for user_id in market.purchaser_ids])

    placed = [number for answer in answers if answer for number in answer]
    assert len(placed) == stock
    assert answers.count(None) == buyers - stock
    with real_app.app_context():
        product = db.session.get(Product, product_id)
        assert (product.stock, product.sales_count) == (0, stock)
        assert sold(product_id) == stock
        assert_numbers_unique_and_gap_free(placed, counter_before)
        # The refused purchasers keep their carts; the others' are empty.
        assert db.session.scalar(
            select(func.count(CartItem.id)).where(CartItem.product_id == product_id)
        ) == (buyers - stock)


def test_concurrent_checkouts_of_mixed_carts_never_oversell(real_app):
    """Carts with one or two products in mixed quantities: each checkout is all or nothing, no product
    goes below zero, and every refused checkout asked for more of some product than is left."""
    stocks, buyers = [7, 5], 16
    market = seed(real_app, stocks, buyers)
    rng = random.Random(20261129)
    carts = {}
    for user_id in market.purchaser_ids:
        chosen = rng.sample(market.product_ids, rng.choice([1, 2]))
        carts[user_id] = {product_id: rng.randint(1, 3) for product_id in chosen}
        fill(real_app, user_id, carts[user_id])
    with real_app.app_context():
        counter_before = day_counter()

    answers = checkout_all(real_app, [(user_id, new_checkout_token()) for user_id in market.purchaser_ids])

    with real_app.app_context():
        left = {pid: db.session.get(Product, pid).stock for pid in market.product_ids}
        for product_id, stock in zip(market.product_ids, stocks, strict=True):
            taken = sum(
                cart.get(product_id, 0)
                for cart, answer in zip(carts.values(), answers, strict=True)
                if answer
            )
            assert sold(product_id) == taken == stock - left[product_id]
            assert left[product_id] >= 0
            assert db.session.get(Product, product_id).sales_count == taken
        for cart, answer in zip(carts.values(), answers, strict=True):
            if answer is None:
                assert any(quantity > left[pid] for pid, quantity in cart.items())
            else:
                assert len(answer) == len(cart)  # one order per supplier (one product each here)
        placed = [number for answer in answers if answer for number in answer]
        assert_numbers_unique_and_gap_free(placed, counter_before)


def test_a_checkout_submitted_twice_at_once_is_placed_once(real_app):
    market = seed(real_app, [10, 10], 1)
    (user_id,) = market.purchaser_ids
    fill(real_app, user_id, dict.fromkeys(market.product_ids, 2))
    token = new_checkout_token()
    with real_app.app_context():
        counter_before = day_counter()

    answers = checkout_all(real_app, [(user_id, token)] * 4)

    assert None not in answers
    assert len({tuple(sorted(answer)) for answer in answers}) == 1
    with real_app.app_context():
        orders = db.session.scalars(select(Order).where(Order.checkout_token == token)).all()
        assert sorted(order.number for order in orders) == sorted(answers[0])
        assert [db.session.get(Product, pid).stock for pid in market.product_ids] == [8, 8]
        assert_numbers_unique_and_gap_free(answers[0], counter_before)
