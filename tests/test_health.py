"""``/healthz`` when the database does not answer: 503 with a JSON body (a load balancer's signal), never the
HTML error page, and the request still gets its id and its log line."""

import logging

import pytest

from shop.app import create_app

#: The app of its own must not get the test transaction's session (bound to the working database).
pytestmark = pytest.mark.real_commits

#: Nothing listens on port 9 of the loopback: the connection is refused at once.
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=2"


@pytest.fixture
def app_without_database():
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": UNREACHABLE, "SECRET_KEY": "test-secret"})
    yield app
    with app.app_context():
        from shop.extensions import db

        db.engine.dispose()


def test_healthz_answers_503_json_when_the_database_is_unreachable(app_without_database):
    response = app_without_database.test_client().get("/healthz", headers={"Accept": "text/html"})
    assert response.status_code == 503
    assert response.is_json
    assert response.get_json() == {"status": "unavailable"}


def test_healthz_failure_is_logged_with_the_request_id(app_without_database, caplog):
    caplog.set_level(logging.INFO)
    response = app_without_database.test_client().get("/healthz", headers={"X-Request-ID": "lb-probe-0001"})
    assert response.headers["X-Request-ID"] == "lb-probe-0001"
    warning = next(r for r in caplog.records if r.name == "shop.health")
    assert warning.levelno == logging.WARNING
    line = next(r for r in caplog.records if r.name == "shop.requests")
    assert (line.request_id, line.status) == ("lb-probe-0001", 503)
