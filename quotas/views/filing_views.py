"""A unit's yearly filing page (its manager files; supervising units, finance and the operator read it)
and the finance bureau's list of units that have not filed yet."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import policy
from accounts.models import BudgetUnit, Role
from accounts.views.common import show_error
from quotas import access, panels  # noqa: F401  (panels: registers the home panels)
from quotas.filing import figures, queries, services
from quotas.filing.amounts import percent_text, ratio
from quotas.filing.labels import quota_label, quota_status_class
from quotas.forms import FilingForm
from quotas.models import FilingStatus
from quotas.rules import counting_filing, effective_policy
from shop.common import DomainError, beijing_today
from shop.extensions import db

bp = Blueprint("filings", __name__, url_prefix="/quotas")
bp.add_app_template_global(quota_label)
bp.add_app_template_global(quota_status_class)
bp.add_app_template_filter(percent_text, "ratio_percent")

#: Statuses in which the newest version is open to the unit's manager (a returned one is refiled).
EDITABLE = (None, FilingStatus.draft, FilingStatus.returned)


def _unit_or_404(unit_id: int) -> BudgetUnit:
    """:raise 404: no such unit, or not one whose filings the viewer may read."""
    unit = db.session.get(BudgetUnit, unit_id)
    if unit is None or not access.can_view_filings_of(current_user, unit):
        abort(404)
    return unit


def _year_or_404(year: int) -> int:
    if not services.FIRST_YEAR <= year <= beijing_today().year + 1:
        abort(404)
    return year


@bp.route("/filing")
@policy.roles(Role.unit_manager)
def mine():
    """The manager's own unit's filing of this year."""
    return redirect(url_for("filings.page", unit_id=current_user.unit_id, year=beijing_today().year))


def _render(unit: BudgetUnit, year: int, form: FilingForm | None = None, checked=None, status: int = 200):
    today = beijing_today()
    versions = queries.history(unit.id, year)
    newest = versions[0] if versions else None
    may_file = access.can_file_for(current_user, unit) and year in services.filing_years(today)
    editable = may_file and (newest.status if newest else None) in EDITABLE
    if editable and form is None:
        form = FilingForm()
        form.prefill(newest)
        form.based_on.data = str(newest.version if newest else 0)
    effective = effective_policy(unit.region, year)
    return render_template(
        "quotas/filing_page.html",
        unit=unit,
        year=year,
        years=list(services.filing_years(today)),
        versions=versions,
        newest=newest,
        counting=counting_filing(unit.id, year),
        last_year=counting_filing(unit.id, year - 1),
        policy=effective,
        days_left=(effective.filing_deadline - today).days,
        form=form if editable else None,
        may_change=may_file and newest is not None and newest.status == FilingStatus.approved,
        checked=checked,
        checked_ratio=ratio(checked.figures.reserved_amount, checked.figures.planned_total)
        if checked is not None and checked.figures is not None
        else None,
    ), status


@bp.route("/units/<int:unit_id>/filing/<int:year>")
@policy.roles(Role.unit_manager, Role.finance, Role.operator)
def page(unit_id: int, year: int):
    """A unit's filing for ``year``: its effective policy and where it comes from, last year's figures, the
    form (for its own manager, while the newest version is a draft or was returned), the history.

    :raise 404: no such unit or year, or not a unit whose filings the viewer may read.
    """
    return _render(_unit_or_404(unit_id), _year_or_404(year))


@bp.route("/units/<int:unit_id>/filing/<int:year>", methods=["POST"])
@policy.roles(Role.unit_manager)
def save(unit_id: int, year: int):
    """``action`` = ``check`` (show the ratio and the first problem, keep nothing), ``save`` (a draft) or
    ``submit`` (for review).

    :raise 404: as ``page``. :raise 403: a unit the viewer may read but does not manage.
    """
    unit = _unit_or_404(unit_id)
    _year_or_404(year)
    if not access.can_file_for(current_user, unit):
        abort(403)
    form = FilingForm()
    action = request.form.get("action", "save")
    if not form.validate_on_submit():
        return _render(unit, year, form, status=400)
    if action == "check":
        checked = figures.check(unit, year, form.data_in())
        if checked.error is not None:
            show_error(form, checked.error)
        return _render(unit, year, form, checked=checked)
    write = services.submit if action == "submit" else services.save_draft
    try:
        filing = write(
            current_user, unit, year, form.data_in(), today=beijing_today(), based_on=form.based_on_version()
        )
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _render(unit, year, form, status=400)
    version, late = filing.version, filing.late
    db.session.commit()
    if action == "submit":
        flash(_("Version %(version)s of the filing is submitted for review.", version=version), "success")
        if late:
            flash(_("It was submitted after the deadline and is marked late."), "warning")
    else:
        flash(_("Version %(version)s of the filing is saved as a draft.", version=version), "success")
    return redirect(url_for("filings.page", unit_id=unit_id, year=year))


@bp.route("/units/<int:unit_id>/filing/<int:year>/change", methods=["POST"])
@policy.roles(Role.unit_manager)
def change(unit_id: int, year: int):
    """Open a new draft version of an approved (or returned) filing, prefilled from it.

    :raise 404: as ``page``. :raise 403: a unit the viewer may read but does not manage.
    """
    unit = _unit_or_404(unit_id)
    _year_or_404(year)
    if not access.can_file_for(current_user, unit):
        abort(403)
    try:
        filing = services.start_change(current_user, unit, year, today=beijing_today())
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        version = filing.version
        db.session.commit()
        flash(
            _(
                "Version %(version)s is a new draft: change it and submit it for review again.",
                version=version,
            ),
            "success",
        )
    return redirect(url_for("filings.page", unit_id=unit_id, year=year))


@bp.route("/reminders")
@policy.roles(Role.finance, Role.operator)
def reminders():
    """The units in the viewer's scope without a submitted filing for ``year`` (default: this year), with
    the days left to each one's deadline; ``due=1`` keeps those due within 30 days or past. Code order, a
    page at a time (``after``), no count."""
    today = beijing_today()
    year = request.args.get("year", type=int) or today.year
    if not services.FIRST_YEAR <= year <= today.year + 1:
        year = today.year
    due_only = request.args.get("due") == "1"
    rows, next_after = queries.unfiled_page(
        current_user,
        year,
        today=today,
        due_only=due_only,
        after=request.args.get("after") or None,
        size=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "quotas/filing_reminders.html",
        rows=rows,
        next_after=next_after,
        year=year,
        years=list(range(services.FIRST_YEAR, today.year + 2)),
        due_only=due_only,
        reminder_days=queries.REMINDER_DAYS,
        page_args={"year": year, **({"due": "1"} if due_only else {})},
    )
