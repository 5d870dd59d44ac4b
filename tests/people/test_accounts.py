"""One purchaser account: a unit manager opens it, resets its password, deactivates and re-enables it;
nobody else may, and the destructive buttons ask before they act."""

import pytest
from sqlalchemy import select

from accounts import people
from accounts.models import AuditEntry, Role, User
from shop.extensions import db
from tests.conftest import PASSWORD, login
from tests.people.support import (
    VALID_ROWS,
    account,
    audit_actions,
    csv_bytes,
    purchaser_count,
    secrets_in,
    upload,
)


def test_manager_opens_an_inactive_purchaser_account_in_its_unit_and_sees_the_password_once(
    as_manager, manager
):
    response = as_manager.post(
        "/people/new", data={"name": "王小明", "username": "wangxm", "phone": "13800138001"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [initial] = secrets_in(response)
    user = account("wangxm")
    assert (user.role, user.unit_id, user.name, user.phone) == (
        Role.purchaser,
        manager.unit_id,
        "王小明",
        "13800138001",
    )
    assert user.activated_at is None and user.must_change_password
    assert initial not in user.password_hash
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "account.create")).all()
    assert [(entry.actor_id, entry.object_id) for entry in entries] == [(manager.id, user.id)]
    # Shown once: not in the audit log, nor on the next page (no flash carries it).
    assert not any(initial in str(entry.details) for entry in db.session.scalars(select(AuditEntry)))
    assert initial not in as_manager.get("/people/").text


def test_the_initial_password_shown_logs_in_and_forces_activation(as_manager, client):
    response = as_manager.post(
        "/people/new", data={"name": "王小明", "username": "wangxm", "phone": "13800138001"}
    )
    [initial] = secrets_in(response)
    client.post("/logout")
    assert login(client, "wangxm", initial).headers["Location"] == "/activate"
    assert client.get("/").headers["Location"] == "/activate"
    done = client.post("/activate", data={"password": "Own-pass-789", "confirm": "Own-pass-789"})
    assert done.status_code == 302
    assert account("wangxm").activated_at is not None


def test_opening_an_account_with_a_username_taken_in_any_case_is_refused(as_manager, users):
    count = purchaser_count()
    response = as_manager.post(
        "/people/new", data={"name": "重名", "username": "BUYER", "phone": "13800138001"}
    )
    assert response.status_code == 200
    assert secrets_in(response) == []
    assert purchaser_count() == count


@pytest.mark.parametrize(
    "data",
    [
        {"name": "王小明", "username": "wangxm", "phone": "12345"},
        {"name": "王小明", "username": "王小明", "phone": "13800138001"},
        {"name": "", "username": "wangxm", "phone": "13800138001"},
        {"name": "王小明", "username": "wangxm", "phone": ""},
    ],
)
def test_opening_an_account_with_bad_data_creates_nothing(as_manager, data):
    count = purchaser_count()
    response = as_manager.post("/people/new", data=data)
    assert response.status_code == 200
    assert 'class="field has-error"' in response.text
    assert purchaser_count() == count


def test_reset_gives_a_new_initial_password_that_replaces_the_old_and_must_be_changed(
    as_manager, client, users
):
    buyer = users[Role.purchaser]
    response = as_manager.post(f"/people/{buyer.id}/reset-password")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    [initial] = secrets_in(response)
    assert not any(initial in str(entry.details) for entry in db.session.scalars(select(AuditEntry)))
    assert "account.reset_password" in audit_actions()
    client.post("/logout")
    assert login(client, buyer, PASSWORD).status_code == 200  # the old password no longer works
    assert login(client, buyer, initial).headers["Location"] == "/activate"


def test_deactivated_account_cannot_log_in_until_re_enabled(as_manager, client, users):
    buyer = users[Role.purchaser]
    response = as_manager.post(f"/people/{buyer.id}/deactivate")
    assert response.status_code == 302
    assert db.session.get(User, buyer.id).enabled is False
    assert "account.deactivate" in audit_actions()
    client.post("/logout")
    assert login(client, buyer).status_code == 200  # refused: the login page again
    manager_client = login(client, "manager")
    assert manager_client.status_code == 302
    assert client.post(f"/people/{buyer.id}/enable").status_code == 302
    client.post("/logout")
    assert login(client, buyer).status_code == 302


def test_actions_are_post_only(as_manager, users):
    buyer = users[Role.purchaser]
    for action in ("reset-password", "deactivate", "enable"):
        assert as_manager.get(f"/people/{buyer.id}/{action}").status_code == 405


def test_every_action_on_an_account_the_manager_does_not_own_answers_404(
    as_manager, manager, make_unit, make_user, other_unit_purchaser
):
    subunit = make_unit("下属单位", parent=manager.unit)
    not_mine = [
        other_unit_purchaser,
        make_user(Role.purchaser, "sub_buyer", unit=subunit),  # a subordinate unit's: not managed from above
        make_user(Role.unit_manager, "colleague", unit=manager.unit),  # not a purchaser account
    ]
    hashes = {user.id: user.password_hash for user in not_mine}
    for user in not_mine:
        for action in ("reset-password", "deactivate", "enable"):
            assert as_manager.post(f"/people/{user.id}/{action}").status_code == 404, (user, action)
    assert as_manager.post("/people/999999/deactivate").status_code == 404
    for user in not_mine:
        fresh = db.session.get(User, user.id)
        assert fresh.enabled and fresh.password_hash == hashes[user.id]
    assert not any(action.startswith("account.") and action != "account.login" for action in audit_actions())
    listing = as_manager.get("/people/").text
    assert "elsewhere" not in listing and "sub_buyer" not in listing and "colleague" not in listing


def test_service_refuses_an_account_of_another_unit(app, manager, other_unit_purchaser):
    with app.test_request_context(), pytest.raises(people.AccountError):
        people.set_purchaser_enabled(manager, other_unit_purchaser, False)


@pytest.mark.parametrize("role", [Role.purchaser, Role.supplier, Role.finance, Role.operator])
def test_other_roles_are_refused_with_403(client, users, role):
    login(client, users[role])
    buyer = users[Role.purchaser]
    for url in ("/people/", "/people/new", "/people/import", "/people/import/template.xlsx"):
        assert client.get(url).status_code == 403, url
    for url in (
        "/people/new",
        "/people/import",
        f"/people/{buyer.id}/reset-password",
        f"/people/{buyer.id}/deactivate",
        f"/people/{buyer.id}/enable",
    ):
        assert client.post(url).status_code == 403, url
    assert db.session.get(User, buyer.id).enabled


def test_reset_and_deactivate_ask_first_without_a_script(as_manager, users):
    """Two steps, in HTML only (the Content-Security-Policy allows no inline script): the button opens a
    question, and only the form inside it sends the POST."""
    buyer = users[Role.purchaser]
    page = as_manager.get("/people/").text
    for action in ("reset-password", "deactivate"):
        form = f'<form method="post" action="/people/{buyer.id}/{action}">'
        assert form in page
        details = page[: page.index(form)].rsplit("<details", 1)[1]
        assert 'class="confirm"' in details and "<summary>" in details
    assert f'action="/people/{buyer.id}/enable"' not in page  # the buyer is enabled
    assert "<script" not in page and "onclick" not in page and "confirm(" not in page


def test_state_changes_need_the_csrf_token(as_manager, users, csrf_enabled):
    buyer = users[Role.purchaser]
    assert as_manager.post(f"/people/{buyer.id}/deactivate").status_code == 400
    assert upload(as_manager, "a.csv", csv_bytes(VALID_ROWS)).status_code == 400
    assert db.session.get(User, buyer.id).enabled and account("wangxm") is None
