"""Worlds for the tests that commit for real (marker ``real_commits``): concurrency tests whose threads must
see each other's commits, so they run outside the per-test rolled-back transaction, on a database of their
own (a fresh SQLite file, or a second database in the test PostgreSQL cluster).

- :func:`make_app` makes such an app (schema by the migrations); a module fixture yields it and disposes it.
- :class:`World` adds the organisations, people, products and orders a test needs, each time under new codes
  and names (one database serves the whole module), in the caller's app context; the caller commits.
- :func:`run_together` runs one piece of work per argument tuple, each in its own thread and app context (its
  own session and connection), all released at once by a barrier.
"""

import itertools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from decimal import Decimal

from flask import Flask
from flask_migrate import upgrade

from accounts.models import (
    BudgetUnit,
    Region,
    RegionLevel,
    Role,
    Supplier,
    SupplierKind,
    SupplierStatus,
    User,
)
from shop.app import create_app
from shop.catalogue.models import Category, Product, ProductStatus
from shop.common import utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderLine, OrderStatus
from tests.conftest import own_database_url, valid_credit_code

_serial = itertools.count(1)


def make_app(tmp_path_factory, name: str, connections: int = 25, **config) -> Flask:
    """An app on a database of its own (``name``), migrated, with a pool large enough for every thread at
    once: the contention under test is the database's, not the pool's."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": own_database_url(tmp_path_factory, name),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": connections, "max_overflow": 5},
            "SECRET_KEY": "test-secret",
            **config,
        }
    )
    with app.app_context():
        upgrade()
    return app


def dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


def run_together(app: Flask, work: Callable, arguments: Iterable[tuple], timeout: float = 90) -> list:
    """``work(*args)`` for each tuple, each in its own thread and app context, all started together; the
    answers in the order of ``arguments``. ``work`` reads nothing before it runs: on SQLite a transaction
    takes the write lock when it begins, so reading before the barrier would serialise the threads."""
    arguments = list(arguments)
    barrier = threading.Barrier(len(arguments), timeout=30)

    def run(*args):
        with app.app_context():
            barrier.wait()
            return work(*args)

    with ThreadPoolExecutor(max_workers=len(arguments)) as pool:
        futures = [pool.submit(run, *args) for args in arguments]
        return [future.result(timeout=timeout) for future in futures]


class World:
    """Rows under a serial of their own (``self.n``), so several worlds share one database. Objects are added
    to the session; the caller flushes or commits."""

    def __init__(self, label: str = "并发"):
        self.n = next(_serial)
        self.label = label

    def county(self, first_digit: str = "8") -> Region:
        return Region(
            code=f"{first_digit}{self.n:05d}",
            name=f"{self.label}县{self.n}",
            level=RegionLevel.county,
            is_poverty_county=True,
        )

    def unit(self, county: Region, code_prefix: str = "C") -> BudgetUnit:
        return BudgetUnit(
            code=f"{code_prefix}{self.n:06d}",
            name=f"{self.label}单位{self.n}",
            credit_code=valid_credit_code(),
            region=county,
        )

    def supplier(self, county: Region, index: int = 0) -> Supplier:
        return Supplier(
            name=f"{self.label}供应商{self.n}-{index}",
            kind=SupplierKind.coop,
            credit_code=valid_credit_code("93141123"),
            region=county,
            contact_name="张三",
            contact_phone="13800138000",
            bank_name="中国农业银行兴县支行",
            bank_account="6228480000000000000",
            status=SupplierStatus.admitted,
        )

    def seller(self, supplier: Supplier, username: str, **fields) -> User:
        user = User(username=username, name="卖家", role=Role.supplier, supplier=supplier, **fields)
        user.password_hash = user.password_hash or "x"
        db.session.add(user)
        return user

    def purchaser(self, unit: BudgetUnit, username: str, password_hash: str = "x", **fields) -> User:
        """A purchaser of ``unit``; ``fields`` are other ``User`` columns (``activated_at`` …)."""
        user = User(username=username, name="采购人", role=Role.purchaser, unit=unit, **fields)
        user.password_hash = password_hash
        db.session.add(user)
        return user

    def product(
        self,
        supplier: Supplier,
        county: Region,
        *,
        stock: int,
        name: str = "小米",
        price: str = "10.00",
        category: Category | None = None,
        **fields,
    ) -> Product:
        product = Product(
            supplier=supplier,
            category=category or Category(name=f"{self.label}类目{self.n}"),
            name=name,
            spec="5kg/袋",
            unit="袋",
            price=Decimal(price),
            stock=stock,
            origin_region=county,
            status=ProductStatus.listed,
            listed_at=utcnow(),
            **fields,
        )
        db.session.add(product)
        return product

    def received_order(
        self, number: str, unit: BudgetUnit, purchaser: User, product: Product, placed_at: datetime
    ) -> Order:
        """A received order of one ``product`` (quantity 1), accepted a day after it was placed."""
        order = Order(
            number=number,
            unit=unit,
            purchaser=purchaser,
            supplier=product.supplier,
            status=OrderStatus.received,
            total=product.price,
            delivery_address="吕梁市离石区滨河北路1号",
            delivery_contact="王师傅",
            delivery_phone="13800138000",
            checkout_token=f"token-{number}",
            placed_at=placed_at,
            received_at=placed_at + timedelta(days=1),
            lines=[
                OrderLine(
                    product=product,
                    product_name=product.name,
                    spec=product.spec,
                    unit=product.unit,
                    unit_price=product.price,
                    quantity=1,
                    amount=product.price,
                )
            ],
        )
        db.session.add(order)
        return order
