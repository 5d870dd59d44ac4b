"""Access control over the whole URL map, and the error pages.

The walk reads the live URL map, so every blueprint added later is checked without touching this file:
each endpoint must declare its audience (``accounts.policy``); a non-public one must send the anonymous
visitor to the login page and refuse every role it does not name with 403, and must not refuse the roles
it names. JSON API endpoints (``policy.API_TOKEN``: a bearer token, never the session) have the same walk
in tests/api/test_auth.py.
"""

import contextlib
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.routing import AnyConverter, FloatConverter, IntegerConverter, Rule, UUIDConverter

from accounts import policy
from accounts.models import Region, RegionLevel, Role, User
from shop.app import create_app
from shop.extensions import db
from tests.conftest import PASSWORD, login

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
        if audience(app, rule) in (None, policy.PUBLIC, policy.API_TOKEN):
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
        if allowed in (None, policy.PUBLIC, policy.API_TOKEN):
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
        if allowed in (None, policy.PUBLIC, policy.API_TOKEN):
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


def test_the_405_page_is_in_the_site_style(users, login_as):
    client = login_as(users[Role.unit_manager])
    client.post("/lang/en")
    response = client.get(f"/people/{users[Role.purchaser].id}/deactivate")  # answers POST only
    assert response.status_code == 405
    page = response.get_data(as_text=True)
    assert '<p class="code">405</p>' in page and 'class="topbar"' in page
    assert "Method Not Allowed" not in page  # not Werkzeug's own English page


# --- an ended session, an expired form ---------------------------------------------------------------------


def _idle(client) -> None:
    """Make the signed-in session look idle for longer than the timeout."""
    with client.session_transaction() as session:
        session["seen"] = 0


def test_a_form_sent_after_the_session_expired_comes_back_to_its_page_after_login(users, login_as, client):
    manager = users[Role.unit_manager]
    login_as(manager)
    _idle(client)
    response = client.post(
        "/people/new", data={"name": "甲"}, headers={"Referer": "http://localhost/people/new?x=1"}
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query) == {"next": ["/people/new?x=1"]}
    after_login = client.post(
        response.headers["Location"], data={"username": manager.username, "password": PASSWORD}
    )
    assert after_login.headers["Location"] == "/people/new?x=1"
    assert client.get("/people/new?x=1").status_code == 200


def test_a_post_never_becomes_the_page_to_return_to_after_login(users, login_as, client):
    login_as(users[Role.unit_manager])
    _idle(client)
    response = client.post("/people/1/deactivate")  # no Referer: nowhere known to return to
    assert urlsplit(response.headers["Location"]).path == "/login"
    assert "next=" not in response.headers["Location"]
    anonymous = client.post("/people/1/deactivate", headers={"Referer": "http://elsewhere.example/people/"})
    assert urlsplit(anonymous.headers["Location"]).path == "/login"
    assert "next=" not in anonymous.headers["Location"]  # another site's page is no place to return to
    page = urlsplit(client.get("/people/").headers["Location"])  # a GET: the page itself, as before
    assert parse_qs(page.query)["next"][0].startswith("/people/")


@pytest.fixture
def expired_forms(app, users, login_as, monkeypatch):
    """A signed-in manager reading English, whose forms now carry no valid CSRF token."""
    client = login_as(users[Role.unit_manager])
    client.post("/lang/en")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return client


def test_an_expired_form_returns_to_its_page_saying_so(expired_forms):
    data = {"name": "王小明", "username": "wangxm", "phone": "13800138001"}
    response = expired_forms.post(
        "/people/new", data=data, headers={"Referer": "http://localhost/people/new"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/people/new"
    page = expired_forms.get("/people/new").get_data(as_text=True)
    assert "The page expired; please submit the form again." in page
    assert db.session.scalar(select(User.id).where(User.username == "wangxm")) is None


@pytest.mark.parametrize(
    "referer",
    [
        pytest.param(None, id="no page known"),
        pytest.param("http://elsewhere.example/people/new", id="another site"),
        pytest.param("http://localhost/suppliers/mine/resubmit", id="a page that answers POST only"),
    ],
)
def test_an_expired_form_without_a_page_to_return_to_gets_a_400_page_saying_so(expired_forms, referer):
    headers = {"Referer": referer} if referer else {}
    response = expired_forms.post("/people/new", data={"name": "甲"}, headers=headers)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<p class="code">400</p>' in page
    assert "The page expired; please submit the form again." in page


# --- error pages without the database ----------------------------------------------------------------------


class _DatabaseDown:
    """Stands for ``db.session`` while the database is unreachable: every use fails as a dead server does."""

    def remove(self) -> None:  # Flask-SQLAlchemy's teardown; nothing to close
        pass

    def __getattr__(self, name):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("the database is down"))


def test_the_500_page_needs_no_database(separate_app, users, monkeypatch):
    operator = users[Role.operator].username
    other = separate_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)
    client = other.test_client()
    assert login(client, operator).status_code == 302  # a session whose user must be loaded to show a menu
    client.post("/lang/en")
    monkeypatch.setattr(db, "session", _DatabaseDown())
    with other.app_context():
        response = client.get("/")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert '<p class="code">500</p>' in page and "Something went wrong" in page
    assert 'class="topbar"' in page and "Poverty-Relief Procurement Platform" in page
    assert "Notices" not in page  # no notice count: that needs the database
