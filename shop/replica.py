"""Report reads from a read replica: ``REPORTS_DATABASE_URL`` (optional; the main database when unset).

The finance reports read much and write nothing, and may be a few seconds behind: a PostgreSQL streaming
replica can carry them and keep their scans off the primary. The report code issues its queries through
``db.session`` in many modules (``quotas.reports``, ``quotas.rules``), so rather than thread a session
through all of them, the report views and ``flask quotas report`` run their computation inside
``reads_from_reports()``: within it, ``db.session`` of the current scope (app context, or test) is a
read-only session on the replica's engine; the primary's session is put back afterwards, untouched.

Without ``REPORTS_DATABASE_URL`` the block changes nothing: the same session as the rest of the request (in
tests, the test transaction's, so its rolled-back data stays visible). Only plain results may leave the
block: the replica's session is closed at its end, so ORM objects loaded there are detached.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shop.extensions import db

_ENGINES = "shop.replica.engines"


def init_app(app: Flask) -> None:
    app.config.setdefault("REPORTS_DATABASE_URL", None)
    app.extensions[_ENGINES] = {}


def reports_engine() -> Engine | None:
    """The replica's engine (one per URL and app, made on first use, so every worker process has its own
    pool), or None when the reports read the main database."""
    url = current_app.config.get("REPORTS_DATABASE_URL")
    if not url:
        return None
    engines: dict[str, Engine] = current_app.extensions[_ENGINES]
    if url not in engines:
        options = dict(current_app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        engines[url] = create_engine(url, **options)
    return engines[url]


def dispose_engines(app: Flask) -> None:
    """Close the replica pools (tests that point the app at a replica and back)."""
    for engine in app.extensions.get(_ENGINES, {}).values():
        engine.dispose()
    app.extensions[_ENGINES] = {}


@contextmanager
def reads_from_reports() -> Iterator[Session]:
    """Within the block, ``db.session`` reads from the reports database; yields the session in use.

    Writing inside the block is a mistake the replica refuses (a hot standby is read-only); nothing is
    committed. Safe under threaded servers: the swap is in the scoped session's registry, per scope.
    """
    engine = reports_engine()
    if engine is None:
        yield db.session()
        return
    registry = db.session.registry
    primary = registry()
    replica = Session(bind=engine, autoflush=False, expire_on_commit=False)
    registry.set(replica)
    try:
        yield replica
    finally:
        registry.set(primary)
        replica.close()
