import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from shop import config
from shop.extensions import db


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(config.ConfigError):
        config.from_environment()


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATA_KEY", "dGVzdC1kYXRhLWtleS1mb3ItdGhlLXRlc3RzLTMyYnk=")
    settings = config.from_environment()
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert config.DEFAULTS["SESSION_COOKIE_HTTPONLY"] is True


def test_local_secret_key_is_generated_once_and_kept(monkeypatch, tmp_path):
    monkeypatch.delenv("SHOP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(config, "INSTANCE", tmp_path / "instance")
    first = config.from_environment()["SECRET_KEY"]
    assert len(first) == 64
    assert config.from_environment()["SECRET_KEY"] == first
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_database_url_defaults_to_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x")
    assert config.from_environment()["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert config.from_environment()["SQLALCHEMY_DATABASE_URI"].endswith("instance/shop.sqlite3")


def test_postgres_scheme_is_accepted(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert config.from_environment()["SQLALCHEMY_DATABASE_URI"] == "postgresql://u@h/db"


def test_the_database_enforces_foreign_keys(app):
    # SQLite only does when the connection turns it on (shop.app._configure_sqlite).
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            text(
                "INSERT INTO budget_unit (code, name, credit_code, region_id, created_at)"
                " VALUES ('X1', 'x', '123456789012345678', 999999, CURRENT_TIMESTAMP)"
            )
        )
