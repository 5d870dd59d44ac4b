"""Reviewing filings: the queue of versions waiting for the viewer (a supervising unit's manager, a finance
bureau) with last year's figures beside them, one version's page, approve and return."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts import policy
from accounts.models import BudgetUnit, Role
from accounts.views.common import show_error
from quotas import access
from quotas.filing import queries, review
from quotas.forms import DecisionForm, ReturnForm
from quotas.models import FilingStatus, QuotaFiling
from quotas.rules import counting_filing, effective_policy
from shop.common import DomainError, beijing_today
from shop.extensions import db

bp = Blueprint("filing_review", __name__, url_prefix="/quotas/review")


@bp.route("/")
@policy.roles(Role.unit_manager, Role.finance)
def queue():
    """The versions waiting for the viewer's decision, oldest first, a page at a time (``after``), each with
    the unit's counting figures of the year before."""
    rows, next_after = queries.review_queue(
        current_user, after=request.args.get("after", type=int), size=current_app.config["PAGE_SIZE"]
    )
    return render_template("quotas/review_queue.html", rows=rows, next_after=next_after)


def _filing_or_404(filing_id: int) -> QuotaFiling:
    """:raise 404: no such version, or one of a unit whose filings the viewer may not read."""
    filing = db.session.scalar(
        select(QuotaFiling)
        .where(QuotaFiling.id == filing_id)
        .options(joinedload(QuotaFiling.unit).joinedload(BudgetUnit.region))
    )
    if filing is None or not access.can_view_filing(current_user, filing):
        abort(404)
    return filing


def _render(filing: QuotaFiling, form: ReturnForm | None = None, status: int = 200):
    return render_template(
        "quotas/review_filing.html",
        filing=filing,
        unit=filing.unit,
        versions=queries.history(filing.unit_id, filing.year),
        last_year=counting_filing(filing.unit_id, filing.year - 1),
        policy=effective_policy(filing.unit.region, filing.year),
        waits=access.waits_for(current_user, filing),
        return_form=form or ReturnForm(),
        approve_form=DecisionForm(),
    ), status


@bp.route("/<int:filing_id>")
@policy.roles(Role.unit_manager, Role.finance, Role.operator)
def detail(filing_id: int):
    """One version, the unit's policy and last year's figures, the version history; approve and return
    when it waits for the viewer.

    :raise 404: as ``_filing_or_404``.
    """
    return _render(_filing_or_404(filing_id))


def _link(filing: QuotaFiling) -> str:
    return url_for("filings.page", unit_id=filing.unit_id, year=filing.year)


@bp.route("/<int:filing_id>/approve", methods=["POST"])
@policy.roles(Role.unit_manager, Role.finance)
def approve(filing_id: int):
    """The supervising unit's endorsement or the finance bureau's approval.

    :raise 404: as ``_filing_or_404``.
    """
    filing = _filing_or_404(filing_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render(filing, status=400)
    try:
        review.approve(current_user, filing, today=beijing_today(), link=_link(filing))
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
        return redirect(url_for("filing_review.detail", filing_id=filing_id))
    name, version, endorsed = filing.unit.name, filing.version, filing.status == FilingStatus.endorsed
    db.session.commit()
    if endorsed:
        flash(
            _(
                "Version %(version)s of the filing of %(name)s is endorsed and sent on to the finance"
                " bureau.",
                version=version,
                name=name,
            ),
            "success",
        )
    else:
        flash(
            _("Version %(version)s of the filing of %(name)s is approved.", version=version, name=name),
            "success",
        )
    return redirect(url_for("filing_review.queue"))


@bp.route("/<int:filing_id>/return", methods=["POST"])
@policy.roles(Role.unit_manager, Role.finance)
def return_(filing_id: int):
    """Send the version back to its unit with a reason.

    :raise 404: as ``_filing_or_404``.
    """
    filing = _filing_or_404(filing_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _render(filing, form, 400)
    try:
        review.return_filing(
            current_user, filing, form.reason.data, today=beijing_today(), link=_link(filing)
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        if getattr(error, "field", None) == "reason":
            return _render(_filing_or_404(filing_id), form, 400)
        return redirect(url_for("filing_review.detail", filing_id=filing_id))
    name, version = filing.unit.name, filing.version
    db.session.commit()
    flash(
        _("Version %(version)s of the filing of %(name)s is returned.", version=version, name=name), "success"
    )
    return redirect(url_for("filing_review.queue"))
