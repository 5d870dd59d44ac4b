"""A budget unit's own page on its reserved share, for its manager and its purchasers: this year's reserved
amount, counted purchases, what remains, completion, the share purchased against its target percentage and
the policy minimum, monthly purchases against the straight-line schedule, the orders that counted, and past
years. Always the viewer's own unit (no unit in the address: nobody reaches another unit's page).
"""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import policy
from accounts.home import Panel, home_panel
from accounts.models import Role, User
from quotas import access, charts
from quotas.exports import Sheet, send_table
from quotas.filing.labels import quota_label
from quotas.reports import columns as cols
from quotas.reports import formatting
from quotas.reports.orders import all_counted, counted_page
from quotas.reports.unit_year import past_years, unit_year
from quotas.reports.web import MONTHS, export_format, page_url, report_year, year_choices
from shop.common import beijing_today
from shop.formatting import yuan

bp = Blueprint("completion", __name__, url_prefix="/completion")
formatting.register(bp)
bp.add_app_template_global(page_url, "report_page_url")


@bp.route("/")
@policy.roles(Role.unit_manager, Role.purchaser)
def index():
    """The viewer's unit, ``?year=`` (this year by default); ``?before=`` pages the counted orders and
    ``?format=csv|xlsx`` exports them all."""
    unit = current_user.unit
    if unit is None or not access.can_view_completion_of(current_user, unit):
        abort(404)
    year = report_year()
    today = beijing_today()
    fmt = export_format()
    if fmt:
        sheet = Sheet(_("Counted orders"), cols.COUNTED, all_counted(unit.id, year))
        return send_table(fmt, [sheet], f"{unit.name}-{year}")
    figures = unit_year(unit, year, today)
    entries, next_before = counted_page(
        unit.id, year, request.args.get("before", type=int), current_app.config["PAGE_SIZE"]
    )
    chart = charts.progress_chart(
        [point.purchased for point in figures.months],
        figures.reserved,
        year,
        today,
        month_names=[str(name) for name in MONTHS],
        title=_("Monthly counted purchases against the straight-line schedule"),
        purchased_label=_("Purchases in the month"),
        cumulative_label=_("Cumulated purchases"),
        schedule_label=_("Straight-line schedule of the reserved share"),
        today_label=_("Today"),
    )
    return render_template(
        "quotas/completion.html",
        unit=unit,
        year=year,
        years=year_choices(today),
        figures=figures,
        chart=chart,
        month_names=MONTHS,
        entries=entries,
        next_before=next_before,
        columns=cols.COUNTED,
        past=past_years(unit, year),
        canteen_label=quota_label(figures.canteen) if figures.canteen else "",
    )


@home_panel(Role.unit_manager, Role.purchaser, order=30)
def completion_panel(user: User) -> Panel | None:
    """This year's completion at a glance; waiting (count 1) when the unit is behind the schedule."""
    if user.unit is None:
        return None
    today = beijing_today()
    figures = unit_year(user.unit, today.year, today, months=False)
    items = [
        (
            _(
                "Counted %(purchased)s of %(reserved)s reserved (%(completion)s)",
                purchased=yuan(figures.purchased),
                reserved=yuan(figures.reserved),
                completion=formatting.percent(figures.completion),
            ),
            None,
        )
    ]
    if figures.filing is None:
        items.append((_("No filing counts for this year yet."), None))
    elif figures.behind:
        items.append(
            (_("Behind the straight-line schedule of %(amount)s.", amount=yuan(figures.schedule)), None)
        )
    return Panel(
        title=_("Reserved share %(year)d", year=today.year),
        count=1 if figures.behind else 0,
        link=url_for("completion.index"),
        link_text=_("Completion and counted orders"),
        items=items,
    )
