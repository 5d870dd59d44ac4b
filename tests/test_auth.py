import json
import logging
from datetime import timedelta

from flask import message_flashed
from sqlalchemy import select

from accounts import policy, services
from accounts.models import AuditEntry, Notice, Role, User
from shop.extensions import db
from tests.conftest import PASSWORD, login, region, valid_credit_code
from tests.people.support import account, csv_bytes, secrets_in, upload


def test_login_lands_each_role_on_its_home_page(client, users):
    for user in users.values():
        response = login(client, user)
        assert response.status_code == 302
        assert response.headers["Location"] == "/"
        home = client.get("/")
        assert home.status_code == 200
        assert user.name in home.get_data(as_text=True)
        client.post("/logout")


def test_wrong_password_is_refused_with_a_message(client, users):
    response = login(client, users[Role.purchaser], "Wrong-pass-999")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)


def test_repeated_failures_lock_the_account(client, users, app):
    user = users[Role.purchaser]
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        login(client, user, "Wrong-pass-999")
    locked = login(client, user)  # even the right password is refused while locked
    assert locked.status_code == 200
    assert db.session.get(User, user.id).locked_until is not None
    assert db.session.query(AuditEntry).filter_by(action="account.lock", object_id=user.id).count() == 1


def test_lock_expires(app, users):
    user = users[Role.purchaser]
    with app.test_request_context():
        user.locked_until = services.utcnow() + timedelta(minutes=1)
        later = services.utcnow() + timedelta(minutes=2)
        assert services.authenticate(user.username, PASSWORD, now=later) == user


def test_new_account_must_set_its_own_password_first(client, users, make_user):
    fresh = make_user(Role.purchaser, unit=users[Role.purchaser].unit, activated=False)
    response = login(client, fresh)
    assert response.headers["Location"] == "/activate"
    assert client.get("/").headers["Location"] == "/activate"
    weak = client.post("/activate", data={"password": "abcdefgh", "confirm": "abcdefgh"})
    assert "密码" in weak.get_data(as_text=True)
    assert db.session.get(User, fresh.id).activated_at is None
    done = client.post("/activate", data={"password": "New-pass-456", "confirm": "New-pass-456"})
    assert done.status_code == 302
    assert db.session.get(User, fresh.id).activated_at is not None
    assert client.get("/").status_code == 200


def test_password_change_needs_the_current_password(client, users):
    user = users[Role.unit_manager]
    login(client, user)
    wrong = client.post(
        "/account/password", data={"current": "nope", "password": "New-pass-456", "confirm": "New-pass-456"}
    )
    assert wrong.status_code == 200
    ok = client.post(
        "/account/password", data={"current": PASSWORD, "password": "New-pass-456", "confirm": "New-pass-456"}
    )
    assert ok.status_code == 302
    client.post("/logout")
    assert login(client, user, "New-pass-456").status_code == 302


def test_no_password_appears_in_audit_notices_flashes_locations_or_logs(
    client, app, users, make_region, caplog
):
    """Every flow that sets, shows or tries a password, for real, through the pages: opening a purchaser,
    resetting it, importing a sheet, a supplier's registration, activation, a password change, a finance
    reset of a unit manager, the operator opening a finance account, wrong passwords. None of those
    passwords may reach the audit log, a notice, a flashed message, a redirect's Location or a log line."""
    caplog.set_level(logging.DEBUG)
    flashed: list[str] = []
    locations: list[str] = []
    passwords: set[str] = {PASSWORD}

    def remember_flash(sender, message, category, **extra):
        flashed.append(str(message))

    def post(url, **kwargs):
        response = client.post(url, **kwargs)
        locations.append(response.headers.get("Location", ""))
        return response

    def sign_in(username, password):
        passwords.update({password} - {""})
        return post("/login", data={"username": username, "password": password})

    def shown(response) -> str:
        (secret,) = secrets_in(response)
        passwords.add(secret)
        return secret

    def choose(new, current=None):
        passwords.update({new, current} - {None})
        if current is None:
            return post("/activate", data={"password": new, "confirm": new})
        return post("/account/password", data={"current": current, "password": new, "confirm": new})

    with message_flashed.connected_to(remember_flash, app):
        manager = users[Role.unit_manager]
        sign_in(manager.username, PASSWORD)
        opened = post("/people/new", data={"name": "王五", "username": "wangwu", "phone": "13800138009"})
        shown(opened)
        wangwu = account("wangwu")
        initial = shown(post(f"/people/{wangwu.id}/reset-password"))
        imported = upload(client, "people.csv", csv_bytes([["赵六", "zhaoliu", "13800138010"]]))
        shown(imported)
        post("/logout")

        assert sign_in("wangwu", "Wrong-guess-1").status_code == 200
        assert sign_in("wangwu", initial).headers["Location"] == "/activate"
        assert choose("Chosen-pass-77").status_code == 302
        assert choose("Other-pass-88", current="Wrong-current-9").status_code == 200
        assert choose("Other-pass-88", current="Chosen-pass-77").status_code == 302
        post("/logout")

        passwords.add("Supplier-pass-5")
        registered = post("/suppliers/register", data=_registration("Supplier-pass-5"))
        assert registered.status_code == 302
        post("/logout")

        sign_in(users[Role.finance].username, PASSWORD)
        shown(post(f"/admin/accounts/{manager.id}/reset-password"))
        post("/logout")
        sign_in(users[Role.operator].username, PASSWORD)
        county = make_region("141199", "测试县")
        finance = post(
            "/admin/accounts/finance/new",
            data={
                "name": "财政",
                "username": "xian_finance",
                "phone": "13800138011",
                "region_code": county.code,
            },
        )
        shown(finance)
        post("/logout")
        assert sign_in("no-such-user", "Typed-secret-3").status_code == 200
        # A password typed into the username field (it cannot be a username: it has a symbol).
        passwords.add("Typed#secret4")
        assert sign_in("Typed#secret4", "Typed#secret5").status_code == 200

    assert len(passwords) == 14
    assert {entry.details.get("username_invalid") for entry in _failed_logins()} == {None, True}
    assert {"account.create", "account.reset_password", "account.activate", "account.password_change"} <= {
        entry.action for entry in db.session.scalars(select(AuditEntry))
    }
    leaks = []
    texts = {
        "audit": [
            json.dumps(entry.details, ensure_ascii=False) for entry in db.session.scalars(select(AuditEntry))
        ],
        "notice": [
            f"{notice.message} {json.dumps(notice.params, ensure_ascii=False)} {notice.link}"
            for notice in db.session.scalars(select(Notice))
        ],
        "flash": flashed,
        "location": locations,
        "log": [
            f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in caplog.records
        ],
    }
    assert texts["audit"] and texts["notice"] and texts["flash"]
    for where, items in texts.items():
        leaks += [(where, password) for password in passwords for item in items if password in item]
    assert leaks == []
    stored = db.session.scalars(select(User.password_hash)).all()
    assert not any(password in stored_hash for password in passwords for stored_hash in stored)


def _failed_logins() -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.login_failed")))


def _registration(password: str) -> dict:
    """A complete supplier registration form (in 兴县, a poverty county)."""
    return {
        "name": "兴县小米合作社",
        "kind": "coop",
        "credit_code": valid_credit_code("93141123"),
        "region_id": str(region("141123").id),
        "contact_name": "李四",
        "contact_phone": "13912345678",
        "bank_name": "兴县农商银行",
        "bank_account": "6217000012345678",
        "households": "35",
        "username": "xiaomi_coop",
        "password": password,
        "confirm": password,
    }


def test_idle_session_expires(client, users, app):
    login(client, users[Role.purchaser])
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= int(app.config["IDLE_TIMEOUT"].total_seconds()) + 1
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_session_idle_for_less_than_the_timeout_stays_open(client, users, app):
    login(client, users[Role.purchaser])
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= int(app.config["IDLE_TIMEOUT"].total_seconds()) - 1
    assert client.get("/").status_code == 200


def _sets_session_cookie(response) -> bool:
    return any(value.startswith("session=") for value in response.headers.getlist("Set-Cookie"))


def test_the_session_cookie_is_sent_again_only_when_seen_is_a_minute_old(client, users):
    """An ordinary request changes nothing in the session: the cookie is not re-signed and re-sent with every
    response, only when "seen" is rewritten, at most once a minute (the idle timeout is that precise)."""
    login(client, users[Role.purchaser])
    assert _sets_session_cookie(client.get("/"))  # the first request after login marks the session seen
    assert not _sets_session_cookie(client.get("/"))
    with client.session_transaction() as session:
        session["seen"] -= policy.SEEN_RESOLUTION - 2
    assert not _sets_session_cookie(client.get("/"))
    with client.session_transaction() as session:
        session["seen"] -= 2
        before = session["seen"]
    assert _sets_session_cookie(client.get("/"))
    with client.session_transaction() as session:
        assert session["seen"] >= before + policy.SEEN_RESOLUTION and session.permanent


def test_deactivated_account_cannot_log_in(client, users):
    user = users[Role.purchaser]
    user.enabled = False
    db.session.flush()
    response = login(client, user)
    assert response.status_code == 200
    assert client.get("/").headers["Location"].endswith("/login")


def test_forms_refuse_a_post_without_csrf_token(client, users, csrf_enabled):
    response = login(client, users[Role.purchaser])
    assert response.status_code == 400


def test_english_switch(client, users):
    login(client, users[Role.purchaser])
    assert "退出" in client.get("/").get_data(as_text=True)
    client.post("/lang/en", data={"next": "/"})
    assert "Log out" in client.get("/").get_data(as_text=True)
