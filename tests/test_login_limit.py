"""Failed logins counted per client address (accounts/login_limit.py): over the limit an address is refused
with HTTP 429 before any password is checked; the count lives in the database, so it holds across processes
(the last test: two apps, two engines, one database, real commits)."""

from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from accounts import login_limit, services
from accounts.models import AuditEntry, BudgetUnit, Region, RegionLevel, Role, User
from accounts.models.security import LoginAttempt
from shop.app import create_app
from shop.common import utcnow
from shop.extensions import db
from tests.conftest import PASSWORD, TEST_DATA_KEY, login, own_database_url, valid_credit_code


def failed_logins() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.login_failed")))


@pytest.fixture
def ip_limit(app, monkeypatch):
    """A limit of 3 failures per address in a 15-minute window."""
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 3)
    monkeypatch.setitem(app.config, "LOGIN_IP_WINDOW", timedelta(minutes=15))
    return 3


def attempts(address: str) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.key == login_limit.address_key(address))
    )


def test_an_address_over_the_limit_is_refused_with_429_without_checking_the_password(
    client, users, ip_limit, monkeypatch
):
    for n in range(ip_limit):
        assert login(client, f"nobody{n}", "Wrong-pass-999").status_code == 200
    assert attempts("127.0.0.1") == ip_limit

    def no_password_check(*_args):
        raise AssertionError("the password was checked")

    monkeypatch.setattr(services, "check_password_hash", no_password_check)
    audited = len(failed_logins())
    response = login(client, users[Role.purchaser])  # the right password, from a blocked address
    assert response.status_code == 429
    assert client.get("/").headers["Location"].startswith("/login")  # not signed in
    assert attempts("127.0.0.1") == ip_limit  # a refusal for the limit adds no row
    assert len(failed_logins()) == audited


def test_the_refusal_says_why_and_for_how_long(client, ip_limit):
    client.post("/lang/en")
    for n in range(ip_limit + 1):
        response = login(client, f"nobody{n}", "Wrong-pass-999")
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert "Too many failed logins from your network address" in text and "15 more minutes" in text


def test_reaching_the_limit_is_audited_once(client, ip_limit):
    for n in range(ip_limit + 2):
        login(client, f"nobody{n}", "Wrong-pass-999")
    blocked = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "account.login_address_blocked")
    ).all()
    assert len(blocked) == 1 and blocked[0].details["address"] == "127.0.0.1"


def test_every_kind_of_refusal_counts_toward_the_address_limit(users, ip_limit):
    user = users[Role.purchaser]
    for username, password in (("nobody", PASSWORD), (user.username, "Wrong-pass-999")):
        with pytest.raises(services.LoginRefused):
            services.authenticate(username, password, address="198.51.100.4")
    assert attempts("198.51.100.4") == 2


def test_another_address_is_not_held_back(users, ip_limit):
    for _ in range(ip_limit):
        with pytest.raises(services.LoginRefused):
            services.authenticate("nobody", "Wrong-pass-999", address="198.51.100.1")
    with pytest.raises(login_limit.AddressThrottled):
        services.authenticate(users[Role.purchaser].username, PASSWORD, address="198.51.100.1")
    assert services.authenticate(users[Role.purchaser].username, PASSWORD, address="198.51.100.2")


def test_failures_older_than_the_window_no_longer_count(users, ip_limit):
    now = utcnow()
    for _ in range(ip_limit):
        with pytest.raises(services.LoginRefused):
            services.authenticate("nobody", "Wrong-pass-999", now=now, address="198.51.100.3")
    with pytest.raises(login_limit.AddressThrottled) as refusal:
        services.authenticate("nobody", "x", now=now + timedelta(minutes=14), address="198.51.100.3")
    assert refusal.value.params["minutes"] == 2  # one minute and a bit left: "2 more minutes"
    user = services.authenticate(
        users[Role.purchaser].username,
        PASSWORD,
        now=now + timedelta(minutes=15, seconds=1),
        address="198.51.100.3",
    )
    assert user.id == users[Role.purchaser].id


def test_expired_failures_are_pruned_a_bounded_batch_at_a_time(app, ip_limit, monkeypatch):
    monkeypatch.setattr(login_limit, "PRUNE_BATCH", 2)
    long_ago = utcnow() - timedelta(hours=2)
    db.session.add_all(LoginAttempt(key=f"ip:192.0.2.{n}", at=long_ago) for n in range(5))
    db.session.flush()
    with pytest.raises(services.LoginRefused):
        services.authenticate("nobody", "Wrong-pass-999", address="198.51.100.9")
    old = (
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.at < utcnow() - timedelta(hours=1))
    )
    assert db.session.scalar(old) == 3
    assert attempts("198.51.100.9") == 1


@pytest.mark.real_commits
def test_the_address_limit_holds_across_app_processes(tmp_path_factory):
    """Two apps (two engines, as two gunicorn workers) on one database: failures made through one are
    counted by the other, whose next login from that address is refused."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": own_database_url(tmp_path_factory, "app_login_limit"),
        "SECRET_KEY": "test-secret",
        "DATA_KEY": TEST_DATA_KEY,
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "LOGIN_IP_MAX_FAILURES": 3,
    }
    first, second = create_app(config), create_app(config)
    address = {"REMOTE_ADDR": "192.0.2.7"}
    with first.app_context():
        upgrade()
        username = seed_purchaser()
    try:
        for n in range(3):
            response = first.test_client().post(
                "/login", data={"username": f"ghost{n}", "password": "Wrong-pass-999"}, environ_base=address
            )
            assert response.status_code == 200
        response = second.test_client().post(
            "/login", data={"username": username, "password": PASSWORD}, environ_base=address
        )
        assert response.status_code == 429
        other = second.test_client().post(
            "/login",
            data={"username": username, "password": PASSWORD},
            environ_base={"REMOTE_ADDR": "192.0.2.251"},
        )
        assert other.status_code == 302
    finally:
        for app in (first, second):
            with app.app_context():
                db.engine.dispose()


def seed_purchaser() -> str:
    """A purchaser with the test password, committed; returns its username."""
    county = Region(code="790001", name="限流县", level=RegionLevel.county)
    unit = BudgetUnit(code="L000001", name="限流单位", credit_code=valid_credit_code(), region=county)
    user = User(
        username="limited1",
        name="采购人",
        role=Role.purchaser,
        unit=unit,
        password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
        must_change_password=False,
        activated_at=utcnow(),
    )
    db.session.add(user)
    db.session.commit()
    return user.username
