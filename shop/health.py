"""``GET /healthz``: the app answers and reaches its database. Public, so a load balancer or a monitor can
ask without an account; it reveals nothing but "ok". The benchmarks use it as their trivial baseline."""

import contextlib
import logging

from flask import Blueprint
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from accounts import policy
from shop.extensions import db

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


@bp.route("/healthz")
@policy.public
def healthz():
    """``{"status": "ok"}`` (200) after one ``SELECT 1``; ``{"status": "unavailable"}`` (503) when the
    database does not answer, so that a load balancer takes this server out of rotation (JSON either way:
    monitors parse it, and the HTML error page would need the database)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error.__class__.__name__)
        # A dead connection may refuse even this; the session is discarded at the end of the request anyway.
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        return {"status": "unavailable"}, 503
    return {"status": "ok"}
