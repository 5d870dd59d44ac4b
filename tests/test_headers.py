"""Security headers (shop/security.py), HTTPS in production, session cookie flags, user files served as
pictures only, and templates the Content-Security-Policy can run (no inline scripts or styles)."""

import re
from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import select

from accounts.models import Role
from shop import config as shop_config
from shop import security
from shop.app import create_app
from shop.extensions import db
from tests.conftest import login

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/login", "/no-such-page", "/static/css/site.css", "/healthz"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    for name, value in EXPECTED.items():
        assert response.headers[name] == value
    assert response.headers["Content-Security-Policy"] == security.CONTENT_SECURITY_POLICY


def test_the_policy_allows_only_the_platforms_own_scripts_and_styles():
    policy = directives(security.CONTENT_SECURITY_POLICY)
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'" and policy["base-uri"] == "'self'"
    assert "unsafe" not in security.CONTENT_SECURITY_POLICY


def test_a_signed_in_page_carries_them_too(client, users):
    login(client, users[Role.purchaser])
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == security.CONTENT_SECURITY_POLICY


def test_the_session_cookie_is_httponly_and_same_site(client, users):
    response = login(client, users[Role.purchaser])
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development and tests run on plain HTTP


def test_production_cookies_are_secure_and_https_is_forced(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 40)
    monkeypatch.setenv("DATA_KEY", "dGVzdC1kYXRhLWtleS1mb3ItdGhlLXRlc3RzLTMyYnk=")
    settings = shop_config.from_environment()
    assert settings["SESSION_COOKIE_SECURE"] and settings["REMEMBER_COOKIE_SECURE"]
    assert settings["FORCE_HTTPS"]
    assert shop_config.DEFAULTS["REMEMBER_COOKIE_HTTPONLY"]
    assert shop_config.DEFAULTS["REMEMBER_COOKIE_SAMESITE"] == "Lax"


# --- HTTPS in production -----------------------------------------------------------------------------------


@pytest.fixture
def force_https(app, monkeypatch):
    monkeypatch.setitem(app.config, "FORCE_HTTPS", True)


def test_without_force_https_plain_http_is_served_without_hsts(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_with_force_https_plain_http_is_redirected_keeping_the_method(client, force_https):
    response = client.get("/login?next=/orders")
    assert response.status_code == 308
    assert response.headers["Location"] == "https://localhost/login?next=/orders"
    assert client.post("/login", data={"username": "x"}).status_code == 308


def test_with_force_https_an_https_request_is_served_with_hsts(client, force_https):
    response = client.get("/login", base_url="https://localhost")
    assert response.status_code == 200
    assert response.headers["Strict-Transport-Security"] == security.HSTS


def test_the_health_probe_answers_over_plain_http(client, force_https):
    assert client.get("/healthz").status_code == 200


def test_a_forwarded_scheme_counts_only_from_a_trusted_proxy(app, client, force_https):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    assert client.get("/login", headers=forwarded).status_code == 308  # no proxy trusted: a client's claim
    db.session.commit()
    proxied = create_app({**app.config, "PROXY_COUNT": 1})
    try:
        response = proxied.test_client().get("/login", headers=forwarded)
        assert response.status_code == 200
        assert response.headers["Strict-Transport-Security"] == security.HSTS
    finally:
        with proxied.app_context():
            db.engine.dispose()


# --- user files --------------------------------------------------------------------------------------------


@pytest.fixture
def upload_folder(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_FOLDER", str(tmp_path / "uploads"))


def jpeg() -> bytes:
    out = BytesIO()
    Image.new("RGB", (40, 30), (20, 120, 20)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def listed_picture(users, make_product, upload_folder):
    from shop.catalogue import images, products

    seller = users[Role.supplier]
    product = make_product(supplier=seller.supplier)
    (image,) = images.add_images(seller, product, [("holiday.png", BytesIO(jpeg()))])
    products.apply_transition(users[Role.operator], product, "approve")
    db.session.commit()
    return image


def test_a_picture_is_sent_as_its_stored_format_whatever_its_name_sandboxed(client, users, listed_picture):
    login(client, users[Role.purchaser])
    response = client.get(f"/supplier/products/images/{listed_picture.id}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"  # re-encoded JPEG, though uploaded as holiday.png
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == security.USER_FILE_POLICY
    assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_a_user_file_of_another_type_is_only_ever_downloaded(client, users, listed_picture):
    """A stored type that is not a picture (a tampered record): an opaque download, never rendered."""
    from shop.catalogue.models import ProductImage

    db.session.get(ProductImage, listed_picture.id).content_type = "text/html"
    db.session.commit()
    login(client, users[Role.purchaser])
    response = client.get(f"/supplier/products/images/{listed_picture.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_return_photo_is_sent_as_a_sandboxed_picture(
    client, users, make_order, make_product, upload_folder
):
    from shop.aftersales.models import ReturnPhoto
    from shop.aftersales.services import request_return
    from shop.orders.models import OrderStatus

    seller = users[Role.supplier]
    order = make_order({make_product(supplier=seller.supplier): 2}, status=OrderStatus.received)
    buyer = order.purchaser
    request_return(buyer, order, {order.lines[0].id: 1}, "破损", [("x.png", jpeg())])
    db.session.commit()
    photo = db.session.scalars(select(ReturnPhoto)).one()
    login(client, buyer)
    response = client.get(f"/aftersales/photos/{photo.id}")
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"] == security.USER_FILE_POLICY


# --- templates the policy can run --------------------------------------------------------------------------

TEMPLATES = shop_config.ROOT / "templates"
#: PDF documents are rendered by WeasyPrint on the server, never served as pages: their styles may stay.
PDF_TEMPLATES = TEMPLATES / "shop" / "invoices"
FORBIDDEN = {
    "inline style attribute": re.compile(r"\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


def test_no_page_template_has_inline_scripts_styles_or_handlers():
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in TEMPLATES.rglob("*.html")
        if PDF_TEMPLATES not in path.parents
        for what, pattern in FORBIDDEN.items()
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []
