"""Security headers on every response, and HTTPS in production.

A small ``after_request`` rather than Flask-Talisman: Talisman trusts a client's ``X-Forwarded-Proto`` with
no proxy in front, rewrites ``SESSION_COOKIE_SECURE`` at request time and sends the deprecated
``X-XSS-Protection``; here the scheme is the one werkzeug's ProxyFix established from ``PROXY_COUNT`` trusted
proxies (shop/app.py), and the cookie flags stay in shop/config.py.

The Content-Security-Policy allows scripts, styles, pictures and fonts from the platform itself only: no
inline ``<script>``, no ``on…=`` handler attributes, no ``style=""`` attributes, no ``javascript:`` URLs
(JavaScript lives in static/js/, styles in static/css/site.css). A response that already carries a stricter
policy (user pictures: ``default-src 'none'; sandbox``) keeps it.
"""

from flask import Flask, current_app, redirect, request
from werkzeug.wrappers import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    # Never render a response as another type than it says (user files above all).
    "X-Content-Type-Options": "nosniff",
    # No framing by other sites (clickjacking); frame-ancestors says the same to newer browsers.
    "X-Frame-Options": "DENY",
    # Page addresses (order numbers, search terms) stay on the platform.
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: One year; no includeSubDomains (other hosts of the intranet domain may still be plain HTTP).
HSTS = "max-age=31536000"

#: Endpoints answered over plain HTTP even when ``FORCE_HTTPS``: a load balancer's health probe.
PLAIN_HTTP_ENDPOINTS = frozenset({"health.healthz"})

#: Endpoints that send files users uploaded (pictures, re-encoded when stored: shop/catalogue/images.py,
#: shop/aftersales/photos.py), and the types such a file may be shown inline as.
USER_FILE_ENDPOINTS = frozenset({"products.image", "aftersales.photo"})
INLINE_USER_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
#: A user file is a picture, never a document: no scripts, no plugins, no same-origin rights even if opened.
USER_FILE_POLICY = "default-src 'none'; img-src 'self'; sandbox"


def init_app(app: Flask) -> None:
    """Register the HTTPS redirect (before every other ``before_request``: call this before the blueprints
    and the access policy) and the headers."""
    app.before_request(_redirect_to_https)
    app.after_request(set_security_headers)


def _redirect_to_https():
    """With ``FORCE_HTTPS``, a plain-HTTP request is sent to the same URL over HTTPS (308 keeps the method
    and body of a POST). ``request.is_secure`` is the forwarded scheme only when proxies are trusted."""
    if not current_app.config["FORCE_HTTPS"] or request.is_secure:
        return None
    if request.endpoint in PLAIN_HTTP_ENDPOINTS:
        return None
    return redirect(request.url.replace("http://", "https://", 1), code=308)


def set_security_headers(response: Response) -> Response:
    """Add the headers a response does not set itself; HSTS on HTTPS responses in production. A user file
    (``USER_FILE_ENDPOINTS``) gets a sandboxing policy, and one whose type is not a stored picture type (a
    record tampered with, a future endpoint's mistake) is sent as an opaque download, never rendered."""
    if request.endpoint in USER_FILE_ENDPOINTS and response.status_code == 200:
        response.headers["Content-Security-Policy"] = USER_FILE_POLICY
        if response.mimetype not in INLINE_USER_TYPES:
            response.headers["Content-Type"] = "application/octet-stream"
            response.headers["Content-Disposition"] = "attachment"
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if current_app.config["FORCE_HTTPS"] and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response
