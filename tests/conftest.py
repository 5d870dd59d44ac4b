"""Shared fixtures: one schema per test session (built by the real migrations), rolled back per test.

Set TEST_DATABASE_URL to run on PostgreSQL (``scripts/with-postgres.sh`` does); otherwise a SQLite file in a
temporary folder is used.
"""

import contextlib
import itertools
import os

import pytest
from flask import g, request_started
from flask_migrate import upgrade
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, scoped_session, sessionmaker

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
from accounts.validators import credit_code_check_char
from shop.app import create_app
from shop.common import utcnow
from shop.extensions import db

#: The password every factory-made account has (meets the password policy).
PASSWORD = "Test-pass-123"
#: The fixed data key of the tests (shop/crypto.py): a Fernet key, url-safe base64 of 32 bytes.
TEST_DATA_KEY = "dGVzdC1kYXRhLWtleS1mb3ItdGhlLXRlc3RzLTMyYnk="


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": "test-secret",
            "DATA_KEY": TEST_DATA_KEY,
            "WTF_CSRF_ENABLED": False,
            # Fast hashes: the policy under test is ours, not the hash function's cost.
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "INITIAL_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SERVER_NAME": "localhost",
        }
    )
    with app.app_context():
        upgrade()
    request_started.connect(_like_a_fresh_request, app, weak=False)
    return app


def _like_a_fresh_request(sender, **extra):
    """Tests hold one app context and one session across several requests; make each request start as it
    would in production: an empty ``g`` (Flask-Login and Flask-Babel cache the user and locale there) and
    nothing loaded in the session (so query counts do not depend on what the test touched before)."""
    g.__dict__.clear()
    db.session.flush()
    db.session.expire_all()


@pytest.fixture(autouse=True)
def _transaction(request, app):
    """Each test runs inside a transaction that is rolled back; commits in views become savepoints.

    Browser tests (marked ``e2e``) talk to a server in another thread with a database of their own instead;
    so do tests marked ``real_commits`` (concurrency), whose threads must see each other's commits.
    """
    if request.node.get_closest_marker("e2e") or request.node.get_closest_marker("real_commits"):
        yield
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(
                # A plain Session: Flask-SQLAlchemy's would pick the engine over this connection.
                class_=Session,
                bind=connection,
                join_transaction_mode="create_savepoint",
                expire_on_commit=True,
            )
        )
        try:
            yield
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def csrf_enabled(app):
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


_serial = itertools.count(1)


def valid_credit_code(prefix: str = "12141100") -> str:
    """A fresh unified social credit code with a correct check digit."""
    body = f"{prefix}{next(_serial):09d}"[:17]
    return body + credit_code_check_char(body)


@pytest.fixture
def make_region():
    def make(code=None, name=None, level=RegionLevel.county, parent=None, poverty=False):
        code = code or f"9{next(_serial):05d}"
        region = Region(
            code=code, name=name or f"区域{code}", level=level, parent=parent, is_poverty_county=poverty
        )
        db.session.add(region)
        db.session.commit()  # into the test's transaction: a view's rollback keeps it
        return region

    return make


@pytest.fixture
def city(make_region):
    """A small region tree: a province, a city, two poverty counties and one other county."""
    province = make_region("140000", "山西省", RegionLevel.province)
    city = make_region("141100", "吕梁市", RegionLevel.city, province)
    make_region("141123", "兴县", RegionLevel.county, city, poverty=True)
    make_region("141124", "临县", RegionLevel.county, city, poverty=True)
    make_region("141102", "离石区", RegionLevel.county, city)
    return city


def region(code: str) -> Region:
    return db.session.query(Region).filter_by(code=code).one()


@pytest.fixture
def make_unit(city):
    def make(name=None, region_code="141100", parent=None):
        number = next(_serial)
        unit = BudgetUnit(
            code=f"U{number:06d}",
            name=name or f"预算单位{number}",
            credit_code=valid_credit_code(),
            region=region(region_code),
            parent=parent,
        )
        db.session.add(unit)
        db.session.commit()
        return unit

    return make


@pytest.fixture
def make_supplier(city):
    def make(name=None, region_code="141123", status=SupplierStatus.admitted):
        number = next(_serial)
        supplier = Supplier(
            name=name or f"供应商{number}",
            kind=SupplierKind.coop,
            credit_code=valid_credit_code("93141123"),
            region=region(region_code),
            contact_name="张三",
            contact_phone="13800138000",
            bank_name="中国农业银行兴县支行",
            bank_account="6228480000000000000",
            households=12,
            status=status,
        )
        db.session.add(supplier)
        db.session.commit()
        return supplier

    return make


@pytest.fixture
def make_user(app):
    from werkzeug.security import generate_password_hash

    password_hash = generate_password_hash(PASSWORD, method=app.config["PASSWORD_HASH_METHOD"])

    def make(
        role=Role.purchaser, username=None, unit=None, supplier=None, region=None, activated=True, **extra
    ):
        user = User(
            username=username or f"user{next(_serial)}",
            name=extra.pop("name", "测试用户"),
            role=role,
            unit=unit,
            supplier=supplier,
            region=region,
            password_hash=password_hash,
            must_change_password=not activated,
            activated_at=utcnow() if activated else None,
            **extra,
        )
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def users(make_user, make_unit, make_supplier):
    """One activated user of every role, in the small city."""
    unit = make_unit("吕梁市教育局")
    return {
        Role.purchaser: make_user(Role.purchaser, "buyer", unit=unit),
        Role.unit_manager: make_user(Role.unit_manager, "manager", unit=unit),
        Role.supplier: make_user(Role.supplier, "seller", supplier=make_supplier()),
        Role.finance: make_user(Role.finance, "finance", region=region("141100")),
        Role.operator: make_user(Role.operator, "operator"),
    }


def login(client, user_or_username, password=PASSWORD):
    username = getattr(user_or_username, "username", user_or_username)
    return client.post("/login", data={"username": username, "password": password})


@pytest.fixture
def login_as(client):
    def log_in(user):
        response = login(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return log_in


@pytest.fixture
def count_queries(app):
    """``with count_queries() as queries: …`` then ``len(queries)``: the SQL statements run inside."""

    @contextlib.contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


# --- marketplace factories ---------------------------------------------------------------------------------


@pytest.fixture
def make_category():
    from shop.catalogue.models import Category

    def make(name=None, position=0):
        category = Category(name=name or f"类目{next(_serial)}", position=position)
        db.session.add(category)
        db.session.commit()
        return category

    return make


@pytest.fixture
def make_product(make_category, make_supplier):
    """A product (listed by default) of a supplier (a new admitted one unless given)."""
    from decimal import Decimal

    from shop.catalogue.models import Product, ProductStatus

    def make(supplier=None, name=None, price="10.00", stock=100, status=ProductStatus.listed, **extra):
        supplier = supplier or make_supplier()
        product = Product(
            supplier=supplier,
            category=extra.pop("category", None) or make_category(),
            name=name or f"商品{next(_serial)}",
            spec=extra.pop("spec", "5kg/袋"),
            unit=extra.pop("unit", "袋"),
            price=Decimal(price),
            stock=stock,
            origin_region=extra.pop("origin_region", None) or supplier.region,
            status=status,
            listed_at=utcnow() if status == ProductStatus.listed else None,
            **extra,
        )
        db.session.add(product)
        db.session.commit()
        return product

    return make


@pytest.fixture
def make_order(users):
    """An order of the demo purchaser's unit for ``{product: quantity}``, placed directly (not through the
    checkout service), in any status."""
    from shop.orders.models import Order, OrderLine, OrderStatus, PaymentStatus

    def make(
        lines: dict,
        purchaser=None,
        status=OrderStatus.placed,
        payment_status=PaymentStatus.unpaid,
        placed_at=None,
    ):
        purchaser = purchaser or users[Role.purchaser]
        products = list(lines)
        order = Order(
            number=f"T{next(_serial):010d}",
            unit_id=purchaser.unit_id,
            purchaser=purchaser,
            supplier_id=products[0].supplier_id,
            status=status,
            payment_status=payment_status,
            total=sum(product.price * quantity for product, quantity in lines.items()),
            delivery_address="吕梁市离石区滨河北路1号",
            delivery_contact="王师傅",
            delivery_phone="13800138000",
            checkout_token=f"token-{next(_serial)}",
            placed_at=placed_at or utcnow(),
            lines=[
                OrderLine(
                    product=product,
                    product_name=product.name,
                    spec=product.spec,
                    unit=product.unit,
                    unit_price=product.price,
                    quantity=quantity,
                    amount=product.price * quantity,
                )
                for product, quantity in lines.items()
            ],
        )
        db.session.add(order)
        db.session.commit()
        return order

    return make


# --- payments and reserved shares --------------------------------------------------------------------------


@pytest.fixture
def pay(users):
    """Record the payment of ``order`` through ``record_payment`` (ledger entry included), as its purchaser,
    paid on ``paid_on`` (default: today); returns the payment."""
    from datetime import date

    from shop.payments.services import record_payment

    def make(order, paid_on=None, actor=None, reference=None):
        paid_on = paid_on or date.today()
        payment = record_payment(
            order,
            actor or order.purchaser,
            method="bank_transfer",
            payer_account="6222 0000 1111 2222",
            reference=reference or f"REF{next(_serial):08d}",
            amount=order.total,
            paid_on=paid_on,
            today=max(paid_on, date.today()),
        )
        db.session.commit()
        return payment

    return make


@pytest.fixture
def make_policy(users):
    """A quota policy for a region and year (default: the small city, 30 %, deadline 31 March)."""
    from datetime import date
    from decimal import Decimal

    from quotas.models import QuotaPolicy

    def make(year, region_code="141100", min_ratio="0.30", deadline=None, not_below_last_year=False):
        policy = QuotaPolicy(
            region=region(region_code),
            year=year,
            min_ratio=Decimal(min_ratio),
            filing_deadline=deadline or date(year, 3, 31),
            not_below_last_year=not_below_last_year,
        )
        db.session.add(policy)
        db.session.commit()
        return policy

    return make


@pytest.fixture
def make_filing(users):
    """A filing version written directly (not through the filing service), approved unless told otherwise."""
    from decimal import Decimal

    from quotas.models import CanteenStatus, FilingStatus, QuotaFiling

    def make(
        unit,
        year,
        planned="100000.00",
        reserved="30000.00",
        status=FilingStatus.approved,
        canteen=CanteenStatus.own,
        version=None,
        shared_with=None,
    ):
        if version is None:
            version = 1 + (
                db.session.scalar(
                    select(func.max(QuotaFiling.version)).where(
                        QuotaFiling.unit_id == unit.id, QuotaFiling.year == year
                    )
                )
                or 0
            )
        filing = QuotaFiling(
            unit=unit,
            year=year,
            version=version,
            canteen_status=canteen,
            shared_with=shared_with,
            planned_total=Decimal(planned),
            reserved_amount=Decimal(reserved),
            status=status,
            min_ratio=Decimal("0.30"),
            created_by_id=users[Role.unit_manager].id,
            submitted_at=utcnow() if status != FilingStatus.draft else None,
            approved_at=utcnow() if status == FilingStatus.approved else None,
        )
        db.session.add(filing)
        db.session.commit()
        return filing

    return make


# --- a database of one's own -------------------------------------------------------------------------------


def own_database_url(tmp_path_factory, name: str) -> str:
    """The URL of a fresh, empty database for tests that commit for real (browser and concurrency tests):
    a SQLite file in a new temporary folder, or, on PostgreSQL (``TEST_DATABASE_URL``), database ``name``
    (re)created in the same cluster. The caller builds the schema (``flask_migrate.upgrade``)."""
    import psycopg
    from sqlalchemy.engine import make_url

    test_url = os.environ.get("TEST_DATABASE_URL")
    if not test_url:
        return f"sqlite:///{tmp_path_factory.mktemp(name) / f'{name}.sqlite3'}"
    url = make_url(test_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)
