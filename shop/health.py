"""``GET /healthz``: the app answers and reaches its database. Public, so a load balancer or a monitor can
ask without an account; it reveals nothing but "ok". The benchmarks use it as their trivial baseline."""

from flask import Blueprint
from sqlalchemy import text

from accounts import policy
from shop.extensions import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@policy.public
def healthz():
    """``{"status": "ok"}`` after one ``SELECT 1``; a database that does not answer gives the 500 page."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
