"""Login security (GB/T 22239-2019): lockout under concurrency, case-insensitive usernames backed by the
database, no account enumeration, expiring initial passwords, audited logins and logouts, trusted proxies,
and commands that refuse what production must not do.

The concurrency tests need commits seen across threads, so they run outside the per-test rolled-back
transaction (marker ``real_commits``, honoured by tests/conftest.py) on a database of their own
(``own_database_url``: a fresh SQLite file, or a second database in the test PostgreSQL cluster).
"""

import itertools
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.security import generate_password_hash

from accounts import services
from accounts.models import AuditEntry, BudgetUnit, Region, RegionLevel, Role, User
from accounts.models.users import casefolded
from shop import config as shop_config
from shop.app import create_app
from shop.common import utcnow
from shop.extensions import db
from tests.conftest import PASSWORD, login, own_database_url, valid_credit_code

_serial = itertools.count(1)


def failed_logins(user_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == "account.login_failed").order_by(AuditEntry.id)
    if user_id is not None:
        query = query.where(AuditEntry.object_id == user_id)
    return list(db.session.scalars(query))


# --- simultaneous attempts, on a database where commits are real -------------------------------------------


@pytest.fixture(scope="module")
def real_app(tmp_path_factory):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": own_database_url(tmp_path_factory, "app_security"),
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 25, "max_overflow": 5},
            "SECRET_KEY": "test-secret",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "INITIAL_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def seed_user(app) -> tuple[int, str]:
    """A purchaser with the test password, committed; returns its id and username."""
    n = next(_serial)
    with app.app_context():
        county = Region(code=f"7{n:05d}", name=f"安全县{n}", level=RegionLevel.county)
        unit = BudgetUnit(
            code=f"S{n:06d}", name=f"安全单位{n}", credit_code=valid_credit_code(), region=county
        )
        user = User(
            username=f"racer{n}",
            name="采购人",
            role=Role.purchaser,
            unit=unit,
            password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
            must_change_password=False,
            activated_at=utcnow(),
        )
        db.session.add(user)
        db.session.commit()
        return user.id, user.username


def all_at_once(app, count: int, work) -> list:
    """Run ``work()`` in ``count`` threads released together, each in its own app context (own session and
    connection); returns what each returned."""
    barrier = threading.Barrier(count, timeout=30)

    def run():
        with app.app_context():
            barrier.wait()
            try:
                return work()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run) for _ in range(count)]
        return [future.result(timeout=120) for future in futures]


def wrong_login(username: str):
    def attempt() -> str:
        try:
            services.authenticate(username, "Wrong-pass-999")
        except services.LoginRefused as refusal:
            db.session.commit()  # as the login view does
            return refusal.message
        raise AssertionError("a wrong password was accepted")

    return attempt


@pytest.mark.real_commits
def test_simultaneous_wrong_passwords_are_all_counted(real_app, monkeypatch):
    monkeypatch.setitem(real_app.config, "LOGIN_MAX_FAILURES", 1000)
    user_id, username = seed_user(real_app)
    all_at_once(real_app, 20, wrong_login(username))
    with real_app.app_context():
        assert db.session.get(User, user_id).failed_logins == 20
        assert len(failed_logins(user_id)) == 20


@pytest.mark.real_commits
def test_simultaneous_wrong_passwords_lock_the_account_exactly_once(real_app):
    user_id, username = seed_user(real_app)
    limit = real_app.config["LOGIN_MAX_FAILURES"]
    messages = all_at_once(real_app, 20, wrong_login(username))
    assert messages.count(services.WRONG_CREDENTIALS) == limit - 1
    assert messages.count(services.LOCKED) == 20 - (limit - 1)
    with real_app.app_context():
        user = db.session.get(User, user_id)
        assert user.locked_until is not None and user.locked_until > utcnow()
        locks = select(func.count()).where(
            AuditEntry.action == "account.lock", AuditEntry.object_id == user_id
        )
        assert db.session.scalar(locks) == 1
        reasons = [entry.details["reason"] for entry in failed_logins(user_id)]
        assert sorted(reasons) == sorted(["wrong_password"] * limit + ["locked"] * (20 - limit))


@pytest.mark.real_commits
def test_simultaneous_registrations_of_one_username_in_two_cases_open_one_account(real_app):
    user_id, _username = seed_user(real_app)
    with real_app.app_context():
        unit_id = db.session.get(User, user_id).unit_id
    names = iter(["twins", "TWINS", "Twins", "tWiNs"])
    lock = threading.Lock()

    def register() -> str:
        with lock:
            username = next(names)
        try:
            services.create_user(
                None,
                username=username,
                name="x",
                role=Role.purchaser,
                unit=db.session.get(BudgetUnit, unit_id),
            )
        except services.AccountError as refusal:
            db.session.rollback()
            return refusal.message
        db.session.commit()
        return "opened"

    answers = all_at_once(real_app, 4, register)
    assert sorted(answers) == ["The username %(username)s is already taken."] * 3 + ["opened"]
    with real_app.app_context():
        assert db.session.scalar(select(func.count()).where(func.lower(User.username) == "twins")) == 1


# --- usernames: unique in any case, found through an index --------------------------------------------------


def test_the_database_refuses_a_username_differing_only_in_case(users):
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(User(username="BUYER", name="x", role=Role.operator, password_hash="x"))
    assert db.session.scalar(select(func.count()).where(casefolded(User.username) == "buyer")) == 1


def test_a_username_taken_between_the_check_and_the_insert_is_refused_not_a_500(
    users, login_as, monkeypatch, client
):
    monkeypatch.setattr(services, "username_taken", lambda username: False)  # the check ran before the race
    as_manager = login_as(users[Role.unit_manager])
    as_manager.post("/lang/en")
    response = as_manager.post(
        "/people/new", data={"name": "张三", "username": "Buyer", "phone": "13800138000"}
    )
    assert response.status_code == 200
    assert "The username Buyer is already taken." in response.get_data(as_text=True)
    monkeypatch.undo()
    assert services.username_taken("BUYER") and db.session.scalar(select(func.count(User.id))) == len(users)


def test_a_login_is_case_insensitive(client, users):
    assert login(client, users[Role.purchaser].username.upper()).status_code == 302


def test_the_login_lookup_uses_the_case_insensitive_index(app, users):
    query = select(User.id).where(casefolded(User.username) == "buyer")
    connection = db.session.connection()
    compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
    if connection.dialect.name == "postgresql":
        connection.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table would be scanned anyway
        plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
    else:
        plan = "\n".join(row[-1] for row in connection.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "uq_user_account_username_casefolded" in plan, plan


# --- enumeration, audit of logins and logouts -------------------------------------------------------------


def test_an_unknown_username_costs_a_password_hash_like_a_known_one(app, users, monkeypatch):
    checked = []

    def counting(password_hash, password):
        checked.append(password_hash)
        return False

    monkeypatch.setattr(services, "check_password_hash", counting)
    with app.test_request_context():
        for username in ("nobody", users[Role.purchaser].username):
            with pytest.raises(services.LoginRefused) as refusal:
                services.authenticate(username, "Wrong-pass-999")
            assert refusal.value.message == services.WRONG_CREDENTIALS
    assert len(checked) == 2
    method = app.config["PASSWORD_HASH_METHOD"]
    assert checked[0].startswith(method + "$") and checked[1].startswith(method + "$")


def test_every_failed_login_is_audited_with_the_username_tried_never_the_password(client, users):
    user = users[Role.purchaser]
    login(client, user.username.upper(), "Wrong-pass-999")
    login(client, "ghost", "Wrong-pass-998")
    login(client, "pass#word", "Wrong-pass-997")  # not a username: maybe a password in the wrong field
    entries = failed_logins()
    assert [(e.object_id, e.details) for e in entries] == [
        (user.id, {"username": user.username.upper(), "reason": "wrong_password"}),
        (None, {"username": "ghost", "reason": "unknown_username"}),
        (None, {"username_invalid": True, "reason": "unknown_username"}),
    ]
    assert all(e.actor_id is None and e.ip == "127.0.0.1" for e in entries)


def test_logout_is_audited(client, users):
    user = users[Role.finance]
    login(client, user)
    assert client.post("/logout").status_code == 302
    (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.logout"))
    assert (entry.actor_id, entry.object_id) == (user.id, user.id)


# --- initial passwords expire; password changes count toward the lockout -----------------------------------


@pytest.fixture
def fresh_account(app, users):
    """A purchaser opened by its manager: an initial password, returned with the account."""
    with app.test_request_context():
        account, initial = services.create_user(
            users[Role.unit_manager],
            username="fresh",
            name="新人",
            role=Role.purchaser,
            unit=users[Role.purchaser].unit,
        )
    db.session.commit()
    return account, initial


def test_an_initial_password_older_than_the_limit_no_longer_logs_in(client, app, fresh_account):
    account, initial = fresh_account
    client.post("/lang/en")
    days = app.config["INITIAL_PASSWORD_DAYS"]
    assert days == 7
    account.password_set_at = utcnow() - timedelta(days=days, minutes=1)
    db.session.commit()
    refused = login(client, account, initial)
    assert refused.status_code == 200
    assert "The initial password has expired; ask your manager for a new one." in refused.get_data(
        as_text=True
    )
    assert failed_logins(account.id)[-1].details["reason"] == "initial_password_expired"
    account.password_set_at = utcnow() - timedelta(days=days - 1)
    db.session.commit()
    assert login(client, account, initial).headers["Location"] == "/activate"


def test_a_reset_gives_the_initial_password_a_new_lifetime(app, users, fresh_account):
    account, _initial = fresh_account
    account.password_set_at = utcnow() - timedelta(days=30)
    with app.test_request_context():
        services.reset_password(users[Role.unit_manager], account)
    assert not services.initial_password_expired(account)
    assert account.password_set_at > utcnow() - timedelta(minutes=1)


def test_a_chosen_password_does_not_expire(app, users):
    user = users[Role.purchaser]
    user.password_set_at = utcnow() - timedelta(days=400)
    with app.test_request_context():
        assert services.authenticate(user.username, PASSWORD) == user


def test_password_set_at_follows_every_way_a_password_is_set(app, users, fresh_account):
    account, initial = fresh_account
    assert account.password_set_at is not None
    account.password_set_at = utcnow() - timedelta(days=1)
    with app.test_request_context():
        services.set_own_password(account, "Chosen-pass-1")
    assert account.password_set_at > utcnow() - timedelta(minutes=1)


def test_wrong_current_passwords_count_toward_the_lockout_and_end_the_session(client, app, users):
    user = users[Role.unit_manager]
    login(client, user)
    limit = app.config["LOGIN_MAX_FAILURES"]
    for attempt in range(limit):
        response = client.post(
            "/account/password",
            data={"current": "Wrong-pass-9", "password": "New-pass-456", "confirm": "New-pass-456"},
        )
        assert db.session.get(User, user.id).failed_logins == (attempt + 1) % limit
    assert response.headers["Location"] == "/login"
    assert db.session.get(User, user.id).locked_until is not None
    assert client.get("/").headers["Location"].startswith("/login")
    assert login(client, user).status_code == 200  # the right password is refused while locked
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_id == user.id)).all()
    assert actions.count("account.password_change_failed") == limit and actions.count("account.lock") == 1


# --- behind reverse proxies --------------------------------------------------------------------------------


@pytest.fixture
def proxied_app(app):
    """A second app on the same database and session, behind one trusted proxy."""
    db.session.commit()  # keep what the test made: another app's context ends the shared session
    other = create_app({**app.config, "PROXY_COUNT": 1})
    yield other
    with other.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_the_audit_records_the_clients_address(proxied_app: Flask, users):
    assert isinstance(proxied_app.wsgi_app, ProxyFix)
    client = proxied_app.test_client()
    client.post(
        "/login",
        data={"username": "ghost", "password": "Wrong-pass-1"},
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert failed_logins()[-1].ip == "203.0.113.7"


def test_without_proxies_a_forwarded_for_header_is_ignored(app, client, users):
    assert not isinstance(app.wsgi_app, ProxyFix) and app.config["PROXY_COUNT"] == 0
    client.post(
        "/login", data={"username": "ghost", "password": "x"}, headers={"X-Forwarded-For": "203.0.113.7"}
    )
    assert failed_logins()[-1].ip == "127.0.0.1"


def test_proxy_count_and_public_url_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("PROXY_COUNT", "2")
    monkeypatch.setenv("PUBLIC_URL", "https://cg.example.org/")
    settings = shop_config.from_environment()
    assert (settings["PROXY_COUNT"], settings["PUBLIC_URL"]) == (2, "https://cg.example.org")
    for name, value in (("PROXY_COUNT", "-1"), ("PROXY_COUNT", "two"), ("PUBLIC_URL", "cg.example.org")):
        monkeypatch.setenv(name, value)
        with pytest.raises(shop_config.ConfigError):
            shop_config.from_environment()
        monkeypatch.setenv(name, "1" if name == "PROXY_COUNT" else "https://cg.example.org")


# --- commands ----------------------------------------------------------------------------------------------


def test_the_demo_city_is_never_loaded_in_production(app, monkeypatch):
    monkeypatch.setitem(app.config, "PRODUCTION", True)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "never loaded in production" in result.output
    assert db.session.scalar(select(func.count(Region.id))) == 0


def test_a_command_refusal_reads_as_a_sentence_with_its_values(app, users):
    result = app.test_cli_runner().invoke(args=["users", "create-operator", "OPERATOR"])
    assert result.exit_code != 0
    assert result.output.strip() == "Error: The username OPERATOR is already taken."
