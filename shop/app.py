"""The composition root: the one place that knows every package."""

import logging

from flask import Flask, render_template, request, session
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from shop import config as shop_config
from shop import crypto as shop_crypto
from shop import logs, replica
from shop import security as shop_security
from shop.extensions import babel, csrf, db, login_manager, migrate

log = logging.getLogger(__name__)


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides the environment (tests pass their database here)."""
    app = Flask(
        __name__,
        template_folder=str(shop_config.ROOT / "templates"),
        static_folder=str(shop_config.ROOT / "static"),
        instance_path=str(shop_config.INSTANCE),
    )
    app.config.update(shop_config.DEFAULTS)
    app.config.update(shop_config.from_environment())
    if config:
        app.config.update(config)

    if app.config["PROXY_COUNT"] > 0:
        # Behind reverse proxies, the client's address (audit log) and scheme are in the X-Forwarded-*
        # headers the trusted proxies append; the host stays the request's (links in mail use PUBLIC_URL).
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)

    logs.init_app(app)  # first: its before_request must run before any hook that may answer
    register_extensions(app)
    replica.init_app(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    return app


def _select_locale():
    from flask_login import current_user

    lang = session.get("lang")
    if lang is None and current_user and current_user.is_authenticated:
        lang = current_user.locale
    if lang in ("zh", "en"):
        return lang
    return "zh"


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(shop_config.ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    login_manager.init_app(app)
    shop_crypto.init_app(app)  # DATA_KEY: bank accounts encrypted at rest
    shop_security.init_app(app)  # headers and HTTPS; before the access policy's before_request
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)

    # Register every model with the metadata (migrations and relationships need them all).
    import accounts.models  # noqa: F401
    import quotas.models  # noqa: F401
    import shop.aftersales.models
    import shop.cart.models
    import shop.catalogue.models
    import shop.counters
    import shop.invoices.models
    import shop.orders.models
    import shop.payments.models  # noqa: F401


def _configure_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, and transactions that take the write lock up front.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINTs; SQLAlchemy's documented recipe
    turns it off and emits BEGIN itself. IMMEDIATE makes concurrent writers queue on busy_timeout instead of
    failing a lock upgrade half-way through a transaction (SQLite has one writer at a time anyway).
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def register_blueprints(app: Flask) -> None:
    import api
    from accounts import policy
    from accounts.views import blueprints as account_blueprints
    from quotas import audit_labels as quota_audit_labels
    from quotas.views import blueprints as quota_blueprints
    from shop import audit_labels as shop_audit_labels
    from shop.aftersales.views import bp as aftersales_bp
    from shop.cart.views import bp as cart_bp
    from shop.catalogue.product_views import bp as products_bp
    from shop.catalogue.review_views import bp as review_bp
    from shop.catalogue.views import bp as catalogue_bp
    from shop.health import bp as health_bp
    from shop.invoices.views import bp as invoices_bp
    from shop.orders.views import bp as orders_bp
    from shop.payments.views import bp as payments_bp

    for blueprint in account_blueprints:
        app.register_blueprint(blueprint)
    app.register_blueprint(catalogue_bp)
    app.register_blueprint(products_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(cart_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(aftersales_bp)
    app.register_blueprint(payments_bp)
    app.register_blueprint(invoices_bp)
    for blueprint in quota_blueprints:
        app.register_blueprint(blueprint)
    api.init_app(app)  # the JSON API under /api/v1 and its OpenAPI document
    policy.init_app(app)
    shop_audit_labels.register()
    quota_audit_labels.register()


def register_errorhandlers(app: Flask) -> None:
    from flask import flash, g, redirect
    from flask_babel import force_locale
    from flask_babel import gettext as _
    from flask_wtf.csrf import CSRFError

    from accounts.policy import same_site_path
    from api import errors as api_errors

    def render_error(error: HTTPException):
        if api_errors.is_api_request():  # under /api/ but no endpoint (404, 405): the API's JSON errors
            return api_errors.handle_http_error(error)
        code = getattr(error, "code", 500) or 500
        if request.accept_mimetypes.best == "application/json":
            return {"error": code, "message": error.description}, code
        return render_template(f"errors/{code}.html", error=error), code

    for code in (400, 403, 404, 405, 413):
        app.register_error_handler(code, render_error)

    @app.errorhandler(CSRFError)
    def form_expired(error: CSRFError):
        """A form sent without a valid token (the session ended, or the page sat open too long): back to
        the same-site page the form was on, saying so; a 400 page saying so when that page is unknown."""
        message = _("The page expired; please submit the form again.")
        if request.accept_mimetypes.best == "application/json":
            return {"error": 400, "message": message}, 400
        back = same_site_path(request.referrer)
        if back and _answers_get(back):
            flash(message, "error")
            return redirect(back)
        return render_template("errors/400.html", error=error, message=message), 400

    def _answers_get(path: str) -> bool:
        try:
            app.url_map.bind_to_environ(request.environ).match(path.partition("?")[0], method="GET")
        except HTTPException:
            return False
        return True

    @app.errorhandler(500)
    def internal_error(error):
        # The database may be what failed, so the page needs none of it: errors/500.html stands alone (no
        # user menu, no notice count) and its language comes from what the request already holds.
        log.exception("unhandled error", exc_info=getattr(error, "original_exception", error))
        # A loaded user's own columns sit in its __dict__; reading them there never queries.
        lang = session.get("lang") or getattr(g.get("_login_user"), "__dict__", {}).get("locale")
        try:
            db.session.rollback()
        except Exception:  # a dead connection; the session is discarded at the end of the request anyway
            log.exception("rollback after an unhandled error failed")
        if request.accept_mimetypes.best == "application/json":
            return {"error": 500, "message": "Internal Server Error"}, 500
        # Rendered by the template environment alone: the context processors (Flask-Login's current_user)
        # would load the user from the database.
        with force_locale(lang if lang in app.config["LANGUAGES"] else app.config["BABEL_DEFAULT_LOCALE"]):
            return app.jinja_env.get_template("errors/500.html").render(error=error), 500


def register_commands(app: Flask) -> None:
    import opendata
    from accounts.cli import audit_cli, demo_cli, users_cli
    from quotas import demo as quotas_demo
    from quotas.cli import quotas_cli
    from shop import demo
    from shop.orders.cli import orders_cli

    demo.register()  # the marketplace's products and orders in `flask demo load`
    quotas_demo.register()  # a year of filings and paid orders, and the current year in progress
    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(audit_cli)
    app.cli.add_command(quotas_cli)
    app.cli.add_command(orders_cli)
    opendata.init_app(app)  # OCDS settings and `flask ocds export`


def register_template_helpers(app: Flask) -> None:
    from accounts import notices, policy
    from accounts.labels import label
    from shop import formatting

    app.jinja_env.globals.update(
        current_locale=get_locale,
        can=policy.can_access,
        unread_notice_count=notices.unread_count_for_current_user,
        render_notice=notices.render,
        label=label,
    )
    formatting.register(app)
