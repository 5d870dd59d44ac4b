"""Quota policies: a finance bureau sets its region's policy per year and reads the policies that apply
above and below it; the operator sets and lists any region's."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from accounts import policy
from accounts.models import Region, Role
from accounts.views.common import show_error
from quotas import policies
from quotas.forms import PolicyForm
from quotas.models import QuotaPolicy
from quotas.rules import effective_policy
from shop.common import DomainError, beijing_today
from shop.extensions import db

bp = Blueprint("policies", __name__, url_prefix="/quotas/policies")


def _render(form: PolicyForm, status: int = 200):
    today = beijing_today()
    years = policies.policy_years(today)
    context = {"form": form, "today": today, "years": years}
    if current_user.role == Role.finance:
        region = current_user.region
        below, more_below = policies.policies_below(region)
        context.update(
            region=region,
            chain=policies.chain_policies(region),
            below=below,
            more_below=more_below,
            effective=[effective_policy(region, year) for year in (today.year, today.year + 1)],
        )
    else:
        year = request.args.get("year", type=int)
        rows, next_after = policies.all_policies(
            year if year in years else None,
            after=request.args.get("after") or None,
            size=current_app.config["PAGE_SIZE"],
        )
        context.update(
            region=None, rows=rows, next_after=next_after, year_filter=year if year in years else None
        )
    return render_template("quotas/policy_index.html", **context), status


@bp.route("/")
@policy.roles(Role.finance, Role.operator)
def index():
    """The policy form and the policies that matter to the viewer: finance, its region's with those above
    (which it inherits) and below (which override it); the operator, every region's, a page at a time.
    ``?year=`` prefills the form with the finance bureau's policy of that year, if set."""
    form = PolicyForm()
    today = beijing_today()
    year = request.args.get("year", type=int) or today.year
    form.year.data = year
    if current_user.role == Role.finance:
        existing = db.session.scalar(
            select(QuotaPolicy).where(
                QuotaPolicy.region_id == current_user.region_id, QuotaPolicy.year == year
            )
        )
        if existing is not None:
            form.min_ratio_percent.data = f"{existing.min_ratio * 100:.2f}".rstrip("0").rstrip(".")
            form.filing_deadline.data = existing.filing_deadline
            form.not_below_last_year.data = existing.not_below_last_year
    return _render(form)


@bp.route("/", methods=["POST"])
@policy.roles(Role.finance, Role.operator)
def save():
    """Create or update a region's policy for a year (finance: its own region; the operator: the region
    whose code it gives)."""
    form = PolicyForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    if current_user.role == Role.finance:
        region = current_user.region
    else:
        code = (form.region_code.data or "").strip()
        region = db.session.scalar(select(Region).where(Region.code == code)) if code else None
        if region is None:
            form.region_code.errors = [_("Enter the code of an existing region.")]
            flash(_("Enter the code of an existing region."), "error")
            return _render(form, 400)
    try:
        saved = policies.set_policy(current_user, region, form.data_in(), today=beijing_today())
    except DomainError as error:
        db.session.rollback()
        show_error(form, error)
        return _render(form, 400)
    year, name = saved.year, region.name
    db.session.commit()
    flash(_("The quota policy of %(name)s for %(year)s is saved.", name=name, year=year), "success")
    return redirect(url_for("policies.index", year=year))


@bp.app_template_global()
def policy_source_name(effective) -> str:
    """Where an effective policy comes from: the region's full name, or "national default"."""
    if effective.source is None:
        return _("National default")
    return effective.source.full_name
