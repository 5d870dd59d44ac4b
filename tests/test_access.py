"""Access control over the whole URL map, and the error pages.

The walk reads the live URL map, so every blueprint added later is checked without touching this file:
each endpoint must declare its audience (``accounts.policy``); a non-public one must send the anonymous
visitor to the login page and refuse every role it does not name with 403, and must not refuse the roles
it names.
"""

import contextlib
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, Rule, UUIDConverter

from accounts import policy
from accounts.models import Region, RegionLevel, Role
from shop.app import create_app
from shop.extensions import db
from tests.conftest import login

#: Requests that the walk makes: the methods a browser form or link would use.
SAFE_FIRST = ("GET", "POST", "PUT", "PATCH", "DELETE")


def walked_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


def sample_value(converter) -> object:
    """A plausible value for a URL argument: an id that may or may not exist, a short word."""
    if isinstance(converter, IntegerConverter):
        return 1
    if isinstance(converter, FloatConverter):
        return 1.0
    if isinstance(converter, UUIDConverter):
        return "00000000-0000-0000-0000-000000000001"
    if isinstance(converter, AnyConverter):
        return sorted(converter.items)[0]
    return "x"  # string and path


def method_of(rule: Rule) -> str:
    """GET when the rule answers it, else the first state-changing method it takes."""
    return next(method for method in SAFE_FIRST if method in rule.methods)


def url_of(app: Flask, rule: Rule) -> str:
    values = dict(rule.defaults or {})
    for name, converter in rule._converters.items():
        values.setdefault(name, sample_value(converter))
    return app.url_map.bind("localhost").build(rule.endpoint, values, method=method_of(rule))


def audience(app: Flask, rule: Rule):
    return getattr(app.view_functions[rule.endpoint], "allowed_roles", None)


def call(client, app: Flask, rule: Rule):
    return client.open(url_of(app, rule), method=method_of(rule))


@contextlib.contextmanager
def undone():
    """Whatever a request inside writes is rolled back afterwards, even what its view committed.

    Views commit (in tests: release the session's savepoint), so a savepoint is opened on the connection
    around the session; an empty POST to, say, ``/people/1/deactivate`` must not change the next check.
    """
    db.session.commit()  # what the test made so far stays, in the test's outer transaction
    db.session.close()
    savepoint = db.session.get_bind().begin_nested()
    try:
        yield
    finally:
        db.session.close()
        savepoint.rollback()


@pytest.fixture
def signed_in(app, users):
    """``signed_in(role)``: a fresh client carrying the session cookie of that role's user."""
    cookies = {}
    for role, user in users.items():
        client = app.test_client()
        assert login(client, user).status_code == 302
        cookies[role] = client.get_cookie("session").value

    def client_for(role: Role):
        client = app.test_client()
        client.set_cookie("session", cookies[role])
        return client

    return client_for


def test_the_walk_sees_the_routes(app):
    endpoints = {rule.endpoint for rule in walked_rules(app)}
    assert {"auth.login", "home.index", "audit.index"} <= endpoints
    for rule in walked_rules(app):
        assert url_of(app, rule).startswith("/")


def test_every_endpoint_declares_its_audience(app):
    undeclared = sorted(rule.endpoint for rule in walked_rules(app) if audience(app, rule) is None)
    assert undeclared == []


def test_anonymous_visitors_are_sent_to_the_login_page(app):
    wrong = []
    for rule in walked_rules(app):
        if audience(app, rule) in (None, policy.PUBLIC):
            continue
        with undone():
            response = call(app.test_client(), app, rule)
        location = urlsplit(response.headers.get("Location", "")).path
        redirected = response.status_code in (301, 302, 303, 307) and location == "/login"
        if not (redirected or (method_of(rule) != "GET" and response.status_code == 401)):
            wrong.append((rule.rule, method_of(rule), response.status_code, location))
    assert wrong == [], "\n".join(map(str, wrong))


def test_roles_not_named_are_refused(app, signed_in):
    wrong = []
    for rule in walked_rules(app):
        allowed = audience(app, rule)
        if allowed in (None, policy.PUBLIC):
            continue
        for role in sorted(set(Role) - allowed):
            with undone():
                response = call(signed_in(role), app, rule)
            if response.status_code != 403:
                wrong.append((rule.rule, method_of(rule), role.value, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


def test_roles_named_are_let_in(app, signed_in):
    wrong = []
    for rule in walked_rules(app):
        allowed = audience(app, rule)
        if allowed in (None, policy.PUBLIC):
            continue
        for role in sorted(allowed):
            with undone():
                try:
                    response = call(signed_in(role), app, rule)
                    response.get_data()  # a streamed body runs its view code now, inside the savepoint
                except Exception as error:  # list every broken view, not only the first
                    wrong.append((rule.rule, method_of(rule), role.value, repr(error)))
                    continue
            # 404 (no such id), 400 (bad input), 200 and redirects are all fine.
            if response.status_code == 403 or response.status_code >= 500:
                wrong.append((rule.rule, method_of(rule), role.value, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))


# --- a separate app, for what the shared one must not carry ------------------------------------------------


@pytest.fixture
def separate_app(app):
    """A second app on the same database (the test's session is shared: ``db.session`` is replaced)."""
    apps = []

    def make(**config) -> Flask:
        # Any context of another app closes the shared session when it ends (Flask-SQLAlchemy's teardown),
        # and create_app opens one: keep what the test made (in its outer transaction) and reload it.
        db.session.commit()
        other = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                "SECRET_KEY": "test-secret",
                "WTF_CSRF_ENABLED": False,
                "SERVER_NAME": "localhost",
                "PASSWORD_HASH_METHOD": app.config["PASSWORD_HASH_METHOD"],
                "TESTING": True,
                **config,
            }
        )
        apps.append(other)
        return other

    yield make
    for other in apps:
        with other.app_context():
            db.engine.dispose()


def test_an_endpoint_without_a_declaration_is_refused(separate_app, users):
    operator = users[Role.operator].username
    other = separate_app()
    other.add_url_rule("/undeclared", "undeclared", lambda: "open to all")
    assert other.test_client().get("/undeclared").status_code == 403
    client = other.test_client()
    assert login(client, operator).status_code == 302
    assert client.get("/undeclared").status_code == 403


def test_the_500_page_rolls_back_what_the_request_had_not_committed(separate_app):
    other = separate_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @other.route("/boom")
    @policy.public
    def boom():
        db.session.add(Region(code="990001", name="kept", level=RegionLevel.county))
        db.session.commit()
        db.session.add(Region(code="990002", name="lost", level=RegionLevel.county))
        db.session.flush()
        raise RuntimeError("boom")

    # The request reuses this context, so Flask-SQLAlchemy's teardown (which closes the session and
    # would roll back on its own) runs only after the check below: the rollback seen is the handler's.
    with other.app_context():
        response = other.test_client().get("/boom")
        codes = set(db.session.scalars(select(Region.code).where(Region.code.in_(["990001", "990002"]))))
    assert response.status_code == 500
    assert '<p class="code">500</p>' in response.get_data(as_text=True)
    assert codes == {"990001"}


# --- error pages -------------------------------------------------------------------------------------------


def test_the_404_page_is_in_the_site_style(client):
    client.post("/lang/en")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "Poverty-Relief Procurement Platform" in page
    assert '<p class="code">404</p>' in page
    assert 'class="topbar"' in page


def test_a_json_client_gets_json_errors(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"] == 404


def test_the_403_page(users, login_as):
    client = login_as(users[Role.purchaser])
    client.post("/lang/en")
    response = client.get("/audit/")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Poverty-Relief Procurement Platform" in page
    assert '<p class="code">403</p>' in page


def test_a_body_above_the_limit_gets_the_413_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/login", data={"username": "x", "password": "y" * 4096})
    assert response.status_code == 413
    assert '<p class="code">413</p>' in response.get_data(as_text=True)
    assert client.post("/login", data={"username": "x", "password": "y"}).status_code == 200
