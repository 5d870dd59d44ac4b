"""Token authentication: missing, malformed, unknown, revoked tokens; refused accounts; roles; the web
session never authenticates an API call; last use noted at most once a minute."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.models import Role
from accounts.models.security import ApiToken
from accounts.tokens import revoke_token
from shop.common import utcnow
from shop.extensions import db
from tests.conftest import login


def test_me_with_a_token(api_client, users):
    response = api_client(users[Role.purchaser]).get("/api/v1/me")
    assert response.status_code == 200
    assert response.json["username"] == "buyer"
    assert response.json["role"] == "purchaser"
    assert response.json["unit_id"] == users[Role.purchaser].unit_id


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (None, "token_missing"),
        ("Basic abc", "token_missing"),
        ("Bearer", "token_missing"),
        ("Bearer cg_not-a-real-token", "token_invalid"),
    ],
)
def test_missing_or_bad_token(client, header, code):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json["code"] == code
    assert set(response.json) == {"code", "message", "details"}
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token(api_client, make_token, users):
    user = users[Role.purchaser]
    token = make_token(user)
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    revoke_token(user, row)
    db.session.commit()
    response = api_client(user, token).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["code"] == "token_revoked"


def test_disabled_account(api_client, make_token, users):
    user = users[Role.purchaser]
    token = make_token(user)
    user.enabled = False
    db.session.commit()
    response = api_client(user, token).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["code"] == "account_disabled"


def test_initial_password_not_replaced(api_client, make_token, users):
    user = users[Role.purchaser]
    token = make_token(user)
    user.must_change_password = True
    user.password_set_at = utcnow() - timedelta(days=30)
    db.session.commit()
    response = api_client(user, token).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["code"] == "password_change_required"


def test_role_refused(api_client, users):
    response = api_client(users[Role.supplier]).post("/api/v1/orders", json={})
    assert response.status_code == 403
    assert response.json["code"] == "forbidden"


def test_web_session_does_not_authenticate_the_api(client, users):
    assert login(client, users[Role.purchaser]).status_code == 302
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json["code"] == "token_missing"


def test_session_with_csrf_cannot_post(client, csrf_enabled, users, make_token):
    """With CSRF on, the API still answers JSON (no CSRF error page): the bearer token is what counts."""
    token = make_token(users[Role.purchaser])
    response = client.post("/api/v1/orders", json={"lines": []}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422
    assert response.json["code"] == "validation_failed"


def test_last_used_noted_at_most_once_a_minute(api_client, make_token, users):
    user = users[Role.purchaser]
    token = make_token(user)
    api = api_client(user, token)
    assert api.get("/api/v1/me").status_code == 200
    row = db.session.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    first = row.last_used_at
    assert first is not None
    assert api.get("/api/v1/me").status_code == 200
    db.session.refresh(row)
    assert row.last_used_at == first
    row.last_used_at = first - timedelta(minutes=2)
    db.session.commit()
    assert api.get("/api/v1/me").status_code == 200
    db.session.refresh(row)
    assert row.last_used_at > first - timedelta(minutes=2)


def test_token_stored_hashed(make_token, users):
    token = make_token(users[Role.purchaser])
    row = db.session.scalar(select(ApiToken))
    assert token.startswith("cg_") and len(token) > 40
    assert row.token_hash != token and len(row.token_hash) == 64
    assert row.prefix == token[:8]


def test_every_api_endpoint_is_token_checked_or_public(app):
    """The policy hook leaves API endpoints to the API layer (``policy.API_TOKEN``); each of them must then
    go through ``ApiBlueprint.auth``. Public: the document, its page, and the open-data (OCDS) releases."""
    from accounts import policy

    public = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        if view.allowed_roles == policy.PUBLIC:
            public.add(rule.rule)
        else:
            assert view.allowed_roles == policy.API_TOKEN, rule.rule
            assert getattr(view, "api_roles", None), rule.rule
    assert public <= {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/ocds/releases"}
    assert {"/api/v1/openapi.json", "/api/v1/docs"} <= public


def _api_rules(app):
    from accounts import policy

    for rule in app.url_map.iter_rules():
        if getattr(app.view_functions[rule.endpoint], "allowed_roles", None) == policy.API_TOKEN:
            yield rule, app.view_functions[rule.endpoint].api_roles


def _url(app, rule):
    from werkzeug.routing import IntegerConverter

    values = {
        name: 1 if isinstance(conv, IntegerConverter) else "x" for name, conv in rule._converters.items()
    }
    method = "GET" if "GET" in rule.methods else "POST"
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method), method


def test_walk_every_api_endpoint_without_a_token_and_with_a_session(app, client, users):
    """Like tests/test_access.py for pages: no token → 401 JSON, even with a signed-in session cookie."""
    assert login(client, users[Role.operator]).status_code == 302
    wrong = []
    for rule, _roles in _api_rules(app):
        url, method = _url(app, rule)
        for caller in (app.test_client(), client):
            response = caller.open(url, method=method, json={})
            if response.status_code != 401 or response.json["code"] != "token_missing":
                wrong.append((rule.rule, method, response.status_code))
    assert wrong == []


def test_walk_every_api_endpoint_refuses_roles_not_named(app, users, api_client, make_token):
    """Each role's token: 403 where the endpoint does not name the role; never 403/5xx where it does."""
    tokens = {role: make_token(user) for role, user in users.items()}
    wrong = []
    for rule, roles in _api_rules(app):
        url, method = _url(app, rule)
        for role, user in users.items():
            response = api_client(user, tokens[role]).open(url, method=method, json={})
            refused = response.status_code == 403 and response.json["code"] == "forbidden"
            if (role in roles) == refused or response.status_code >= 500:
                wrong.append((rule.rule, method, role.value, response.status_code))
    assert wrong == [], wrong
