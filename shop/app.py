"""The composition root: the one place that knows every package."""

import logging

from flask import Flask, render_template, request, session
from flask_babel import get_locale
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from shop import config as shop_config
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

    register_extensions(app)
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
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _configure_sqlite(db.engine)

    # Register every model with the metadata (migrations and relationships need them all).
    import accounts.models  # noqa: F401
    import shop.aftersales.models
    import shop.cart.models
    import shop.catalogue.models
    import shop.counters
    import shop.orders.models  # noqa: F401


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
    from accounts import policy
    from accounts.views import blueprints as account_blueprints

    for blueprint in account_blueprints:
        app.register_blueprint(blueprint)
    policy.init_app(app)


def register_errorhandlers(app: Flask) -> None:
    def render_error(error: HTTPException):
        code = getattr(error, "code", 500) or 500
        if code == 500:
            db.session.rollback()
        if request.accept_mimetypes.best == "application/json":
            return {"error": code, "message": error.description}, code
        return render_template(f"errors/{code}.html", error=error), code

    for code in (400, 403, 404, 413):
        app.register_error_handler(code, render_error)

    @app.errorhandler(500)
    def internal_error(error):
        db.session.rollback()
        log.exception("unhandled error", exc_info=getattr(error, "original_exception", error))
        return render_template("errors/500.html", error=error), 500


def register_commands(app: Flask) -> None:
    from accounts.cli import demo_cli, users_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(users_cli)


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
