"""The API's one error format: ``{"code": "stable_snake_case", "message": "English text", "details": {...}}``.

``code`` is stable (clients branch on it); ``message`` is English (an API talks to programs; the web pages
are the place for Chinese); ``details`` is an object, e.g. the field errors of a 422 by location and field
(``{"json": {"lines": {"0": {"quantity": ["Not a valid integer."]}}}}``). Every error under ``/api/`` has
this shape, whatever raised it: an ``ApiError``, a business rule (``DomainError``), a routing or parsing
error of Flask/webargs, or an unexpected exception (500, logged, the transaction rolled back).
"""

import logging

from flask import Response, jsonify, request
from flask_babel import force_locale
from werkzeug.exceptions import HTTPException

from shop.common import DomainError
from shop.extensions import db

log = logging.getLogger(__name__)

API_PATH = "/api/"

#: The ``code`` of an HTTP error nothing more specific described.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    500: "internal_error",
}


class ApiError(Exception):
    """Raise anywhere in an API view (or helper) to answer ``status`` with this code, message, details.

    The caller need not roll back: the error handler does, so nothing the request did is kept.
    """

    def __init__(self, status: int, code: str, message: str, details: dict | None = None, headers=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_response(
    status: int, code: str, message: str, details: dict | None = None, headers=None
) -> Response:
    """The JSON response for an error (never the HTML error page)."""
    response = jsonify({"code": code, "message": message, "details": details or {}})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def english(error: DomainError) -> str:
    """A business rule's message in English, its parameters filled in."""
    with force_locale("en"):
        return error.translated()


def domain_error(error: DomainError, status: int | None = None, code: str | None = None) -> ApiError:
    """The API error for a refused business rule: 422 ``invalid_field`` naming the field when the rule
    names one (``error.field``), else 409 ``conflict`` (the objects' state refused it). Endpoints pass a
    ``status``/``code`` of their own for the errors they know (e.g. ``out_of_stock``)."""
    field = getattr(error, "field", None)
    if status is None:
        status = 422 if field else 409
    if code is None:
        code = "invalid_field" if field else "conflict"
    details = {"field": field} if field else {}
    return ApiError(status, code, english(error), details)


def handle_api_error(error: ApiError) -> Response:
    db.session.rollback()
    return error_response(error.status, error.code, error.message, error.details, error.headers)


def handle_domain_error(error: DomainError) -> Response:
    """A business rule an endpoint did not translate itself (``domain_error`` defaults)."""
    return handle_api_error(domain_error(error))


def handle_http_error(error: HTTPException) -> Response:
    """Flask, werkzeug and webargs errors: routing (404, 405), malformed JSON (400), validation (422)."""
    status = error.code or 500
    if status >= 500:
        original = getattr(error, "original_exception", None)
        log.exception("unhandled error in the API", exc_info=original or error)
    try:
        db.session.rollback()
    except Exception:  # a dead connection: the session is discarded at the end of the request anyway
        log.exception("rollback after an API error failed")
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    code = HTTP_CODES.get(status, "http_error")
    message = error.description if status < 500 else "Internal server error."
    details: dict = {}
    if messages is not None:
        if status == 400 and _malformed_json(messages):
            code, message = "malformed_json", "The request body is not valid JSON."
        else:
            message = "The request has invalid fields; see details."
            details = messages if isinstance(messages, dict) else {"errors": messages}
    headers = dict(data.get("headers") or {})
    if status == 405 and getattr(error, "valid_methods", None):
        headers["Allow"] = ", ".join(error.valid_methods)
    return error_response(status, code, message, details, headers)


def _malformed_json(messages) -> bool:
    return isinstance(messages, dict) and any("Invalid JSON" in str(value) for value in messages.values())


def is_api_request() -> bool:
    """Is this request under the API's path (whether or not it matched an endpoint)?"""
    return request.path.startswith(API_PATH) or request.path == API_PATH.rstrip("/")
