"""The account page for API tokens: create (shown once, stored hashed), list, revoke (audited)."""

import re

from sqlalchemy import select

from accounts.models import AuditEntry, Role
from accounts.models.security import ApiToken
from accounts.tokens import hash_token
from shop.extensions import db


def test_create_list_and_revoke(client, login_as, users, api_client):
    user = users[Role.supplier]
    login_as(user)
    assert client.get("/account/tokens/").status_code == 200

    response = client.post("/account/tokens/", data={"name": "ERP 对接"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r"cg_[A-Za-z0-9_-]{40,}", response.get_data(as_text=True)).group(0)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert row.name == "ERP 对接" and row.token_hash == hash_token(token) and row.prefix == token[:8]
    assert api_client(user, token).get("/api/v1/me").status_code == 200

    # Listed without the token itself.
    page = client.get("/account/tokens/").get_data(as_text=True)
    assert "ERP 对接" in page and token not in page and row.prefix in page

    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 302
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is not None
    assert api_client(user, token).get("/api/v1/me").json["code"] == "token_revoked"
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "api_token")).all()
    assert sorted(actions) == ["api_token.create", "api_token.revoke"]


def test_empty_name_creates_nothing(client, login_as, users):
    login_as(users[Role.purchaser])
    assert client.post("/account/tokens/", data={"name": "  "}).status_code == 200
    assert db.session.scalar(select(ApiToken)) is None


def test_another_users_token_is_404(client, login_as, users, make_token):
    make_token(users[Role.purchaser])
    row = db.session.scalar(select(ApiToken))
    login_as(users[Role.unit_manager])
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(ApiToken, row.id).revoked_at is None


def test_every_role_has_the_menu_entry(client, login_as, users):
    for role, user in users.items():
        client.post("/logout")
        login_as(user)
        assert 'href="/account/tokens/"' in client.get("/account/tokens/").get_data(as_text=True), role


def test_needs_login(client):
    response = client.get("/account/tokens/")
    assert response.status_code == 302
