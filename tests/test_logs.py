"""Request ids and request log lines (``shop.logs``): one line per request with its id, method, path (no
query string), status, duration and user; an incoming ``X-Request-ID`` is kept only when it looks like one."""

import io
import logging
import re

import pytest
from flask import g

from shop import logs
from tests.conftest import login


@pytest.fixture
def request_lines(caplog):
    caplog.set_level(logging.INFO, logger="shop.requests")

    def lines():
        return [record for record in caplog.records if record.name == "shop.requests"]

    return lines


def test_each_request_gets_a_new_id_in_the_response_header(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_an_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "3f2a9c1e-7b44-4d0e-9d6a-1c2b3a4d5e6f"})
    assert response.headers["X-Request-ID"] == "3f2a9c1e-7b44-4d0e-9d6a-1c2b3a4d5e6f"


@pytest.mark.parametrize("forged", ["abc", "x" * 65, "id with spaces", "<script>"])
def test_an_incoming_request_id_that_does_not_look_like_one_is_replaced(client, forged):
    response = client.get("/healthz", headers={"X-Request-ID": forged})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_one_line_per_request_with_method_path_status_duration_and_no_query_string(client, request_lines):
    response = client.get("/catalogue/?q=secret-token-123")
    [line] = request_lines()
    assert line.request_id == response.headers["X-Request-ID"]
    assert (line.method, line.path, line.status) == ("GET", "/catalogue/", response.status_code)
    assert line.duration_ms >= 0
    assert line.user_id is None
    message = line.getMessage()
    assert message.startswith(f"GET /catalogue/ {response.status_code} ")
    assert "secret-token-123" not in message
    assert message.endswith("user=-")


def test_the_line_names_the_signed_in_user(client, users, request_lines):
    from accounts.models import Role

    purchaser = users[Role.purchaser]
    login(client, purchaser)
    client.get("/catalogue/")
    line = request_lines()[-1]
    assert (line.path, line.status, line.user_id) == ("/catalogue/", 200, purchaser.id)
    assert line.getMessage().endswith(f"user={purchaser.id}")


def test_error_responses_are_logged_too(client, request_lines):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    line = request_lines()[-1]
    assert (line.path, line.status, line.request_id) == (
        "/no-such-page",
        404,
        response.headers["X-Request-ID"],
    )


def test_a_refused_request_is_logged_with_its_id(client, request_lines):
    """The access check answers before the view (a redirect to the login page); the id is set by then."""
    response = client.get("/cart/")
    assert response.status_code == 302
    line = request_lines()[-1]
    assert (line.status, line.request_id) == (302, response.headers["X-Request-ID"])


def test_every_record_of_a_request_carries_its_id_through_the_configured_handler(app):
    stream = io.StringIO()
    handler = logs.configure(logging.INFO, stream=stream)
    root = logging.getLogger()
    try:
        with app.test_request_context("/", headers={"X-Request-ID": "trace-0000-aaaa"}):
            logging.getLogger("shop.somewhere").warning("something happened")
            assert g.request_id == "trace-0000-aaaa"
        logging.getLogger("shop.somewhere").warning("outside any request")
    finally:
        root.removeHandler(handler)
    first, second = stream.getvalue().splitlines()
    assert re.match(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING \[trace-0000-aaaa\] shop.somewhere: something", first
    )
    assert "WARNING [-] shop.somewhere: outside any request" in second


def test_configuring_twice_installs_one_handler():
    root = logging.getLogger()
    level = root.level
    first = logs.configure(logging.INFO, stream=io.StringIO())
    second = logs.configure(logging.INFO, stream=io.StringIO())
    try:
        assert first not in root.handlers
        assert second in root.handlers
    finally:
        root.removeHandler(second)
        root.setLevel(level)
