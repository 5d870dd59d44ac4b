"""The API's framework pieces: the flask-smorest ``Api`` inside our Flask app, and ``ApiBlueprint`` with
the two decorators every endpoint uses, ``auth`` (who) and ``write`` (one transaction, idempotency)."""

import functools
from collections.abc import Callable

import marshmallow as ma
from flask import Response, current_app, make_response
from flask_smorest import Api as SmorestApi
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import HTTPException, default_exceptions

from accounts import policy
from accounts.models import Role
from api import errors, idempotency
from api.auth import authenticate_request
from shop.common import DomainError
from shop.extensions import db

PREFIX = "/api/v1"
#: The largest value of an INTEGER column (ids).
MAX_ID = 2**31 - 1
SECURITY_SCHEME = "bearerAuth"


class ErrorSchema(ma.Schema):
    """Every error answer of the API."""

    code = ma.fields.String(required=True, metadata={"description": "stable snake_case error code"})
    message = ma.fields.String(required=True, metadata={"description": "English explanation"})
    details = ma.fields.Dict(
        required=True, metadata={"description": "e.g. field errors by location and field"}
    )


class Api(SmorestApi):
    """flask-smorest's ``Api`` with our error format, and without its own documentation blueprint (the
    document and the docs page are served by ``api.docs``, declared to the access policy like any view)."""

    ERROR_SCHEMA = ErrorSchema

    def _register_doc_blueprint(self) -> None:
        return None

    def _register_error_handlers(self) -> None:
        # Application-wide, for requests under /api/ that matched no API endpoint (404, 405): JSON. Other
        # paths keep the web pages' handling (the app's own handlers by code come first anyway).
        self._app.register_error_handler(HTTPException, _app_http_error)


def _app_http_error(error: HTTPException):
    if errors.is_api_request():
        return errors.handle_http_error(error)
    return error


class _Parser(FlaskParser):
    """webargs' parser, refusing unknown query parameters too (422), as unknown body fields are: a typo in
    a filter's name must not silently list everything."""

    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }


class ApiBlueprint(SmorestBlueprint):
    """A blueprint of API endpoints under ``/api/v1``: JSON errors for everything raised in it."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(self, name: str, import_name: str, description: str = "", **kwargs) -> None:
        kwargs.setdefault("url_prefix", PREFIX)
        super().__init__(name, import_name, description=description, **kwargs)
        self.register_error_handler(errors.ApiError, errors.handle_api_error)
        self.register_error_handler(DomainError, errors.handle_domain_error)
        # By code, not only by class: the app registers HTML pages for some codes, and Flask looks up
        # handlers by code (blueprint, then app) before it looks by class.
        for code in default_exceptions:
            self.register_error_handler(code, errors.handle_http_error)

    def route(self, rule: str, *args, **kwargs):
        """flask-smorest's ``route``, with every ``<int:…>`` in the URL capped at the database's INTEGER
        range: a larger id names nothing (404), where PostgreSQL would refuse to compare it (a 500)."""
        return super().route(rule.replace("<int:", f"<int(max={MAX_ID}):"), *args, **kwargs)

    def auth(self, *roles: Role) -> Callable:
        """The endpoint needs a bearer token (401 otherwise); with ``roles``, one of those roles (403
        otherwise). Put it right under ``@blp.route`` so that it runs before the body is parsed. The view
        reads the user with ``api.auth.current_api_user()``. Object-level rules are the view's, with the
        functions of ``accounts.policy`` / ``shop.policy`` (another unit's object: 404)."""
        allowed = frozenset(roles) if roles else frozenset(Role)

        def decorate(view: Callable) -> Callable:
            @functools.wraps(view)
            def wrapper(*args, **kwargs):
                user = authenticate_request(_authorization_header())
                if user.role not in allowed:
                    raise errors.ApiError(403, "forbidden", "Your role may not use this endpoint.")
                return view(*args, **kwargs)

            policy.api_token(wrapper)  # the web session's checks do not apply; this wrapper's do
            wrapper.api_roles = allowed
            documented = self.doc(security=[{SECURITY_SCHEME: []}])(wrapper)
            documented = self.alt_response(401, schema=ErrorSchema, description="Missing or refused token")(
                documented
            )
            if roles:
                documented = self.alt_response(403, schema=ErrorSchema, description="Role not allowed")(
                    documented
                )
            return documented

        return decorate

    def write(self, idempotent: bool = False) -> Callable:
        """The endpoint changes data: it runs in one transaction, committed here when it answers 2xx and
        rolled back when it raises. With ``idempotent``, an ``Idempotency-Key`` header makes retries safe
        (``api.idempotency``). Put it under ``@blp.auth`` and above ``@blp.arguments``."""

        def decorate(view: Callable) -> Callable:
            @functools.wraps(view)
            def wrapper(*args, **kwargs):
                from api.auth import current_api_user

                record = None
                if idempotent:
                    key = idempotency.request_key()
                    if key is not None:
                        user = current_api_user()
                        fingerprint = idempotency.request_hash()
                        existing = idempotency.find(user, key)
                        if existing is not None:
                            return idempotency.replay(existing, fingerprint)
                        record = idempotency.reserve(user, key, fingerprint)
                        if isinstance(record, Response):
                            return record
                try:
                    response = make_response(view(*args, **kwargs))
                except BaseException:
                    db.session.rollback()
                    raise
                if response.status_code >= 400:
                    db.session.rollback()
                    return response
                if record is not None:
                    idempotency.complete(record, response)
                db.session.commit()
                return response

            if idempotent:
                wrapper = self.doc(
                    parameters=[
                        {
                            "in": "header",
                            "name": idempotency.HEADER,
                            "required": False,
                            "schema": {
                                "type": "string",
                                "minLength": 1,
                                "maxLength": 128,
                                "pattern": "^[!-~]+$",
                            },
                            "description": "Makes a retry safe: the same key and body get the stored answer.",
                        }
                    ]
                )(wrapper)
                wrapper = self.alt_response(409, schema=ErrorSchema, description="Conflict")(wrapper)
            return wrapper

        return decorate


def _authorization_header() -> str | None:
    from flask import request

    return request.headers.get("Authorization")


def register_spec_components(api: Api) -> None:
    api.spec.components.security_scheme(SECURITY_SCHEME, {"type": "http", "scheme": "bearer"})


def app_api() -> Api:
    return current_app.extensions["api"]
