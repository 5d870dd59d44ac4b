"""Request ids and request logs: one line per request, every record of a request tagged with its id.

Each request gets an id: the ``X-Request-ID`` a proxy in front sent, when it looks like one (short, letters,
digits and dashes: it ends up in log lines and a response header, so nothing else is let through), or a new
``uuid4`` hex. It is kept on ``flask.g.request_id``, sent back in the ``X-Request-ID`` response header, added
to every log record emitted while the request runs (``RequestIdFilter``, on the handler), and the request
ends with one line on the ``shop.requests`` logger::

    2026-11-29 12:45:00,123 INFO [5f0c…] shop.requests: GET /catalogue/ 200 12.4ms user=42

The path is logged without its query string (searches and tokens stay out of the logs). Nothing here holds
state between requests, so any number of processes may serve.

Where records go is the server's business, not the app's: gunicorn.conf.py (``make serve``) sends them to
stdout in that format; ``configure(level)`` does the same for another server. The app never configures
logging itself: a command such as ``flask quotas report -o -`` writes its data to stdout.
"""

import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, has_request_context, request

#: An incoming id is used only when it matches this (a uuid, a proxy's ``$request_id``, a trace id …).
_ACCEPTABLE_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
HEADER = "X-Request-ID"
FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"

request_log = logging.getLogger("shop.requests")


def request_id() -> str:
    """The current request's id (made on first use); ``-`` outside a request."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        incoming = request.headers.get(HEADER, "")
        g.request_id = incoming if _ACCEPTABLE_ID.fullmatch(incoming) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to each record (the current request's, or ``-``); lets every record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


def configure(level: int | str = logging.INFO, stream=None) -> logging.Handler:
    """Send the root logger's records to stdout (``stream``), one line each with the request id; returns the
    handler. Replaces a handler this function installed before, so calling it twice logs once."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_shop_request_logs", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RequestIdFilter())
    handler._shop_request_logs = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler


def _start() -> None:
    g.request_started = time.perf_counter()
    request_id()


def _user_id() -> int | None:
    # The user Flask-Login loaded for this request, if it did: read from the object's own columns, so that
    # logging never queries (the database may be what failed).
    return getattr(g.get("_login_user"), "__dict__", {}).get("id")


def _finish(response: Response) -> Response:
    """The response header and the request's line. Runs for error pages too (Flask finalises them)."""
    rid = request_id()
    response.headers[HEADER] = rid
    started = g.get("request_started")
    duration = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    user = _user_id()
    request_log.info(
        "%s %s %s %.1fms user=%s",
        request.method,
        request.path,
        response.status_code,
        duration,
        user if user is not None else "-",
        extra={
            "request_id": rid,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "duration_ms": round(duration, 1),
            "user_id": user,
        },
    )
    return response


def init_app(app: Flask) -> None:
    """Register the hooks. Call before anything else registers ``before_request`` functions: one of those
    may answer (a redirect to the login page, a CSRF error) and the later ones would not run; the id and the
    clock must be set by then."""
    app.before_request(_start)
    app.after_request(_finish)
