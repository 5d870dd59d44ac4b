"""Each role's home page and the notice list."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from accounts import home, policy
from accounts.labels import account_status, status_class
from accounts.models import Notice
from shop.common import utcnow
from shop.extensions import db

bp = Blueprint("home", __name__)
# Every page may show an account's status badge (beside ``label``, which the composition root provides).
bp.add_app_template_global(account_status)
bp.add_app_template_global(status_class)


@bp.route("/")
@policy.public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template(
        "accounts/home.html",
        panels=home.panels_for(current_user),
        notices=_recent_notices(limit=10),
    )


def _recent_notices(limit: int, before_id: int | None = None) -> list[Notice]:
    query = select(Notice).where(Notice.user_id == current_user.id)
    if before_id:
        query = query.where(Notice.id < before_id)
    return db.session.scalars(query.order_by(Notice.id.desc()).limit(limit)).all()


@bp.route("/notices")
@policy.signed_in
def notice_list():
    page_size = 50
    before = request.args.get("before", type=int)
    rows = _recent_notices(limit=page_size + 1, before_id=before)
    return render_template(
        "accounts/notices.html",
        notices=rows[:page_size],
        next_before=rows[page_size - 1].id if len(rows) > page_size else None,
    )


@bp.route("/notices/<int:notice_id>/read", methods=["POST"])
@policy.signed_in
def read_notice(notice_id: int):
    notice = db.session.get(Notice, notice_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    if notice.read_at is None:
        notice.read_at = utcnow()
        db.session.commit()
    return redirect(notice.link or url_for("home.notice_list"))


@bp.route("/notices/read-all", methods=["POST"])
@policy.signed_in
def read_all_notices():
    db.session.execute(
        Notice.__table__.update()
        .where(Notice.user_id == current_user.id, Notice.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
    return redirect(url_for("home.notice_list"))
