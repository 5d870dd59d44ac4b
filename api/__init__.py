"""The JSON API under ``/api/v1`` (flask-smorest: marshmallow schemas, OpenAPI document from the code).

How to add an endpoint module (e.g. ``api/things.py``):

1. Create the blueprint and the schemas in the module::

       import marshmallow as ma
       from api.core import ApiBlueprint
       from api.auth import current_api_user
       from api.errors import ApiError, domain_error
       from api.pagination import CursorQuery, SortKey, keyset_page, page_schema

       blp = ApiBlueprint("api_things", __name__, description="Things")   # URLs under /api/v1

       class ThingSchema(ma.Schema):          # output; Money: ma.fields.Decimal(as_string=True, places=2)
           id = ma.fields.Integer()
           ...

       class ThingIn(ma.Schema):              # input: unknown fields are refused (422)
           class Meta:
               unknown = ma.RAISE
           name = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=64))

2. Declare each endpoint; the decorators go in this order (``auth`` right under ``route``, so a missing
   token is a 401 before the body is parsed)::

       @blp.route("/things/<int:thing_id>", methods=["POST"])
       @blp.auth(Role.purchaser, Role.unit_manager)   # bearer token required; roles (403), none = any role
       @blp.write(idempotent=False)                   # only for writes: one transaction, committed here
       @blp.arguments(ThingIn)                        # JSON body -> dict; location="query" for ?a=b
       @blp.response(200, ThingSchema)                # what it answers (documented and serialised)
       def change_thing(data, thing_id):
           user = current_api_user()
           thing = db.session.get(Thing, thing_id)
           # Object rules come from accounts/policy.py and shop/policy.py:
           if thing is None or not can_view_thing(user, thing):
               raise ApiError(404, "not_found", "No such thing.")  # another unit's object: 404, as on the web
           try:
               services.change(thing, user, **data)   # the same service the web view calls; never commit
           except DomainError as error:
               # 422 naming the field, or 409 (pass status/code to refine):
               raise domain_error(error) from error
           return thing

   ``<int:…>`` in a rule is capped at the INTEGER range by ``ApiBlueprint.route`` (a larger id: 404).
   ``@blp.auth`` marks the view for ``accounts.policy`` (``policy.api_token``: the session cookie never
   authenticates the API, and the blueprint is CSRF-exempt). Do not commit in a view: ``@blp.write`` commits
   when the answer is 2xx and rolls back otherwise. ``@blp.write(idempotent=True)`` adds the
   ``Idempotency-Key`` header (``api/idempotency.py``). Errors: raise ``ApiError(status, code, message,
   details)``; every error, also of Flask/webargs (404, 405, malformed JSON, 422 with field errors in
   ``details``), is ``{"code", "message", "details"}`` (``api/errors.py``). Document the alternative errors
   an endpoint answers with ``@blp.alt_response(404, schema=ErrorSchema)`` (``api.core.ErrorSchema``).

3. Lists: ``@blp.arguments(MyQuery, location="query")`` with ``MyQuery(CursorQuery)``,
   ``@blp.response(200, page_schema(ThingSchema))``, and return ``keyset_page(select(...), [SortKey(col,
   descending=...), SortKey(Thing.id, ...)], args)``: ``{"items", "next_cursor"}``, one query per page,
   no COUNT (``api/pagination.py``). Load relationships the items show with selectinload/joinedload.

4. Register the module: add its name to ``MODULES`` below (a module listed there that does not exist yet
   is skipped). Each module exposes ``blp``. Tests go in ``tests/api/``; the fixture ``api_client`` there
   makes token-authenticated calls.
"""

import importlib

from flask import Flask

#: The endpoint modules, each exposing ``blp`` (an ``api.core.ApiBlueprint``), in document order.
MODULES = (
    "api.me",
    "api.catalogue",
    "api.orders",
    "api.filings",
    "api.reports",
    "api.ocds",
)


def init_app(app: Flask) -> None:
    """Register the API: its endpoints, the OpenAPI document (/api/v1/openapi.json) and the docs page."""
    from flask_babel import lazy_gettext as _l

    from accounts.views.audit import register_labels
    from api.core import Api, register_spec_components
    from api.docs import bp as docs_bp
    from shop.extensions import csrf

    app.config.setdefault("API_TITLE", "Poverty-relief procurement platform API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "info": {
                "description": "JSON API. Authenticate with a personal API token (account page, "
                "'API tokens'): "
                "Authorization: Bearer <token>. Errors: {code, message, details}. Lists: cursor pagination."
            },
            "servers": [{"url": "/"}],
        },
    )
    api = Api(app)
    app.extensions["api"] = api
    register_spec_components(api)
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as error:
            if error.name == name:
                continue  # not written yet
            raise
        csrf.exempt(module.blp)
        api.register_blueprint(module.blp)
    csrf.exempt(docs_bp)
    app.register_blueprint(docs_bp)
    register_labels(
        actions={"api_token.create": _l("API token created"), "api_token.revoke": _l("API token revoked")},
        objects={"api_token": _l("API token")},
    )
