"""Bank accounts encrypted at rest (shop/crypto.py, migration 0009): the database holds tokens, the models
give the plain numbers back, a wrong key never passes a token off as a number, and the migration converts
existing rows both ways. And masked where shown (``mask_account``)."""

from datetime import datetime

import pytest
from cryptography.fernet import Fernet
from flask_migrate import downgrade, upgrade
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, text

from accounts.models import Supplier
from shop import config as shop_config
from shop import crypto
from shop.app import create_app
from shop.extensions import db
from shop.formatting import mask_account
from shop.payments.models import Payment
from tests.conftest import TEST_DATA_KEY, own_database_url, valid_credit_code


def raw(table: str, column: str, row_id: int) -> str:
    """The column's value as stored, read around the model."""
    return db.session.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id}).scalar()


def test_a_suppliers_bank_account_is_stored_encrypted_and_read_back_plain(make_supplier):
    supplier = make_supplier()
    stored = raw("supplier", "bank_account", supplier.id)
    assert "6228480000000000000" not in stored
    assert not stored.isdigit()
    db.session.expire_all()
    assert db.session.get(Supplier, supplier.id).bank_account == "6228480000000000000"


def test_a_payers_account_is_stored_encrypted_and_read_back_plain(make_order, make_product, pay):
    from shop.orders.models import OrderStatus

    payment = pay(make_order({make_product(): 1}, status=OrderStatus.received))
    stored = raw("payment", "payer_account", payment.id)
    assert "6222000011112222" not in stored
    assert not stored.isdigit()
    db.session.expire_all()
    assert db.session.get(Payment, payment.id).payer_account == "6222000011112222"


def test_the_same_number_encrypts_differently_each_time(app):
    with app.app_context():
        assert crypto.encrypt("6228480000000000000") != crypto.encrypt("6228480000000000000")


def test_a_token_fits_the_column_for_the_longest_account(app):
    with app.app_context():
        assert len(crypto.encrypt("9" * 34)) <= 255


def test_a_value_made_with_another_key_is_refused_not_shown(app):
    other = crypto.cipher_for(Fernet.generate_key().decode())
    with app.app_context():
        token = crypto.encrypt("6228480000000000000", other)
        with pytest.raises(crypto.DataKeyError):
            crypto.decrypt(token)
        with pytest.raises(crypto.DataKeyError):
            crypto.decrypt("6228480000000000000")  # a plain value: a database not migrated


def test_a_rotated_key_still_reads_what_the_old_key_wrote(app):
    new = Fernet.generate_key().decode()
    token = crypto.encrypt("6228480000000000000", crypto.cipher_for(TEST_DATA_KEY))
    rotated = crypto.cipher_for(f"{new}, {TEST_DATA_KEY}")
    assert crypto.decrypt(token, rotated) == "6228480000000000000"
    assert crypto.decrypt(crypto.encrypt("1234", rotated), crypto.cipher_for(new)) == "1234"


@pytest.mark.parametrize("value", ["", "not-a-key", "c2hvcnQ=", "  ,  "])
def test_a_bad_data_key_stops_the_app_from_starting(value):
    with pytest.raises(crypto.DataKeyError):
        crypto.cipher_for(value)


def test_production_refuses_to_start_without_a_data_key(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.delenv("DATA_KEY", raising=False)
    with pytest.raises(shop_config.ConfigError, match="DATA_KEY"):
        shop_config.from_environment()
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("DATA_KEY", key)
    assert shop_config.from_environment()["DATA_KEY"] == key


def test_the_demo_bulk_insert_stores_bank_accounts_encrypted(app, city):
    """quotas/demo_year/bulk.py bypasses SQLAlchemy's per-row binding; it must still encrypt."""
    from accounts.models import Region, SupplierKind, SupplierStatus
    from quotas.demo_year.bulk import bulk_insert

    county = db.session.scalar(select(Region).where(Region.code == "141123"))
    credit_code = valid_credit_code("93141123")
    row = {
        "name": "批量供应商",
        "kind": SupplierKind.coop,
        "credit_code": credit_code,
        "region_id": county.id,
        "contact_name": "李四",
        "contact_phone": "13900139000",
        "bank_name": "农行",
        "bank_account": "6228481111222233334",
        "households": 3,
        "status": SupplierStatus.applied,
        "applied_at": datetime(2026, 1, 5, 8, 0),
    }
    bulk_insert(Supplier.__table__, [row])
    supplier_id = db.session.scalar(select(Supplier.id).where(Supplier.credit_code == credit_code))
    assert not raw("supplier", "bank_account", supplier_id).isdigit()
    assert db.session.get(Supplier, supplier_id).bank_account == "6228481111222233334"


def test_nothing_searches_or_sorts_on_an_encrypted_column():
    """Tokens are random: a WHERE or ORDER BY on them would silently match nothing. Guard the source."""
    import pathlib
    import re

    root = pathlib.Path(shop_config.ROOT)
    pattern = re.compile(
        r"(where|order_by|filter|filter_by|like|group_by)\([^)]*(bank_account|payer_account)"
    )
    offenders = [
        str(path.relative_to(root))
        for folder in ("accounts", "shop", "quotas")
        for path in (root / folder).rglob("*.py")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


# --- migration 0009 on a database of its own ---------------------------------------------------------------


@pytest.mark.real_commits
def test_migration_0009_encrypts_existing_accounts_and_its_downgrade_decrypts(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": own_database_url(tmp_path_factory, "app_encryption"),
            "SECRET_KEY": "test-secret",
            "DATA_KEY": TEST_DATA_KEY,
        }
    )
    try:
        with app.app_context():
            upgrade(revision="0008")
            region_id = db.session.execute(
                text(
                    "INSERT INTO region (code, name, level, is_poverty_county)"
                    " VALUES ('149901', '迁移县', 'county', true) RETURNING id"
                )
            ).scalar()
            for number, account in enumerate(("6228480000000000001", "62284800000000000002"), start=1):
                db.session.execute(
                    text(
                        "INSERT INTO supplier (name, kind, credit_code, region_id, contact_name,"
                        " contact_phone, bank_name, bank_account, households, status, applied_at)"
                        " VALUES (:name, 'coop', :code, :region, '张三', '13800138000', '农行', :account,"
                        " 1, 'applied', :at)"
                    ),
                    {
                        "name": f"迁移供应商{number}",
                        "code": valid_credit_code("93149901"),
                        "region": region_id,
                        "account": account,
                        "at": datetime(2026, 1, 1),
                    },
                )
            db.session.commit()

            upgrade()
            stored = db.session.execute(text("SELECT bank_account FROM supplier ORDER BY id")).scalars().all()
            assert all(not value.isdigit() for value in stored)
            read = db.session.scalars(select(Supplier.bank_account).order_by(Supplier.id)).all()
            assert read == ["6228480000000000001", "62284800000000000002"]
            db.session.commit()

            downgrade(revision="0008")
            stored = db.session.execute(text("SELECT bank_account FROM supplier ORDER BY id")).scalars().all()
            assert stored == ["6228480000000000001", "62284800000000000002"]
            db.session.commit()
            upgrade()  # and back again: the run is repeatable
            assert db.session.scalars(select(Supplier.bank_account).order_by(Supplier.id)).all() == read
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- masked where shown (shop/formatting.py) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "shown"),
    [
        ("6222000011112222", "6222 **** 2222"),
        ("6228 4800 0000 0000 123", "6228 **** 0123"),
        ("6228-4800-0000-0000", "6228 **** 0000"),
        ("12345678", "**** 5678"),  # short: the first four would reveal it all
        ("12345678901", "**** 8901"),
        ("1234", "****"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_account_keeps_the_bank_and_the_last_four_digits(account, shown):
    assert mask_account(account) == shown


@given(st.text(alphabet="0123456789", min_size=8, max_size=34))
def test_a_masked_account_never_shows_more_than_eight_of_its_digits(account):
    shown = mask_account(account)
    assert shown.endswith(account[-4:])
    assert sum(character.isdigit() for character in shown) <= min(8, len(account) - 4)


def test_the_templates_read_mask_account_from_formatting(app):
    assert app.jinja_env.filters["mask_account"] is mask_account
    assert app.jinja_env.filters["mask_phone"]("13812345678") == "138****5678"


def test_a_local_data_key_is_generated_once_and_kept_private(monkeypatch, tmp_path):
    monkeypatch.delenv("SHOP_ENV", raising=False)
    monkeypatch.delenv("DATA_KEY", raising=False)
    monkeypatch.setattr(shop_config, "INSTANCE", tmp_path / "instance")
    first = shop_config.from_environment()["DATA_KEY"]
    crypto.cipher_for(first)  # a usable key
    assert shop_config.from_environment()["DATA_KEY"] == first
    key_file = tmp_path / "instance" / "data_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [path.name for path in key_file.parent.iterdir() if path.name.startswith(".data_key")] == []
