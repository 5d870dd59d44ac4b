from datetime import timedelta

from accounts import services
from accounts.models import AuditEntry, Role, User
from shop.extensions import db
from tests.conftest import PASSWORD, login


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


def test_password_is_never_stored_in_clear(users):
    user = db.session.get(User, users[Role.purchaser].id)
    assert PASSWORD not in user.password_hash
    assert not any(PASSWORD in str(entry.details) for entry in db.session.query(AuditEntry))


def test_idle_session_expires(client, users, app):
    login(client, users[Role.purchaser])
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["seen"] -= int(app.config["IDLE_TIMEOUT"].total_seconds()) + 1
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


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
