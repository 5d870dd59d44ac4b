"""Browser tests: Playwright drives Debian's Chromium against the app served from a thread.

The server has a database of its own (a SQLite file, or a second database in the test PostgreSQL cluster)
with the demo city loaded, so pages show what a newcomer sees after ``make run``.
"""

import threading

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from accounts.demo.load import load_demo
from shop.app import create_app
from shop.extensions import db
from tests.conftest import own_database_url

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


def _e2e_database_url(tmp_path_factory) -> str:
    return own_database_url(tmp_path_factory, "app_e2e")


@pytest.fixture(scope="session")
def e2e_app(tmp_path_factory):
    """The app the browser talks to, on its own database with the demo city loaded."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": _e2e_database_url(tmp_path_factory),
            "SECRET_KEY": "e2e-secret",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("uploads")),
        }
    )
    with app.app_context():
        upgrade()
        load_demo()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(e2e_app):
    """The base URL of the app, served on a free loopback port."""
    server = make_server("127.0.0.1", 0, e2e_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


#: What Chromium writes to the console when the Content-Security-Policy (shop/security.py) blocks something:
#: an inline script or style, an ``on…=`` handler, a ``javascript:`` URL, a resource from another origin.
CSP_VIOLATION_MARKERS = ("Content Security Policy", "Refused to")


@pytest.fixture
def context(context):
    """pytest-playwright's browser context, watched: a test fails when any of its pages reports a
    Content-Security-Policy violation on the console (the page would be broken in production)."""
    violations: list[str] = []

    def on_console(message) -> None:
        if any(marker in message.text for marker in CSP_VIOLATION_MARKERS):
            violations.append(f"{message.type}: {message.text} ({message.page.url if message.page else '?'})")

    context.on("console", on_console)
    yield context
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)
