"""The finance reports on reserved shares: by year, level by level (the platform → province → city → county
→ supervising unit → unit → the unit's counted orders), with a breadcrumb back up, a grades view, a
suppliers view, tables sortable by any column (``?sort=<column>&dir=desc``) and exportable at every level
(``?format=csv`` or ``?format=xlsx``).

Who sees what (``accounts.policy``): the operator everything; a finance bureau its region's subtree; a
supervising unit's manager its unit and the units below it. Anything else answers 404 (a unit manager whose
unit supervises none is sent to the unit's own page instead).
"""

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from accounts import policy
from accounts.models import BudgetUnit, Region, Role
from quotas import access, charts
from quotas.exports import Sheet, send_table
from quotas.reports import Summary, formatting, summarise, summarise_unit
from quotas.reports import columns as cols
from quotas.reports.orders import all_counted, counted_page
from quotas.reports.summary import level_filter
from quotas.reports.suppliers import supplier_figures
from quotas.reports.web import MONTHS, Sorting, export_format, page_url, report_year, year_choices
from shop.common import beijing_today
from shop.extensions import db
from shop.payments.models import UnitYearPurchase
from shop.replica import reads_from_reports

bp = Blueprint("reports", __name__, url_prefix="/reports")
formatting.register(bp)
bp.add_app_template_global(page_url, "report_page_url")

AUDIENCE = (Role.operator, Role.finance, Role.unit_manager)
#: At most this many bars in the completion chart, and units listed on the grades page (exports hold all).
CHART_BARS = 40
GRADE_UNITS_SHOWN = 500


@dataclass
class Node:
    """The level a report page shows: the whole platform, a region, or a unit (with those below it)."""

    region: Region | None = None
    unit: BudgetUnit | None = None

    @property
    def args(self) -> dict:
        if self.unit is not None:
            return {"unit_id": self.unit.id}
        if self.region is not None:
            return {"code": self.region.code}
        return {}

    @property
    def name(self) -> str:
        if self.unit is not None:
            return self.unit.name
        if self.region is not None:
            return self.region.name
        return _("Whole platform")


def _node_or_404(code: str | None, unit_id: int | None) -> Node:
    """:raise 404: no such region or unit, or not the viewer's to see."""
    if unit_id is not None:
        unit = db.session.get(BudgetUnit, unit_id, options=[joinedload(BudgetUnit.region)])
        if unit is None or not access.can_view_unit_report(current_user, unit):
            abort(404)
        return Node(unit=unit)
    if code is not None:
        region = db.session.scalar(select(Region).where(Region.code == code))
        if region is None or not access.can_view_region_report(current_user, region):
            abort(404)
        return Node(region=region)
    if not access.can_view_platform_report(current_user):
        abort(404)
    return Node()


def _summary(node: Node, year: int) -> Summary:
    """The level's figures, read from the reports database (``shop.replica``; the main one by default)."""
    today = beijing_today()
    if node.unit is not None:
        within = access.report_unit_reach(current_user)
        with reads_from_reports():
            return summarise_unit(year, node.unit, today=today, within=within)
    with reads_from_reports():
        return summarise(year, node.region, today=today)


def _trail(node: Node, year: int) -> list[tuple[str, str]]:
    """The breadcrumb: from the top of the viewer's reach down to ``node`` (the last crumb)."""
    crumbs: list[tuple[str, str]] = []
    own_unit = current_user.unit_id if current_user.role == Role.unit_manager else None
    region = node.region
    if node.unit is not None:
        chain, unit = [node.unit], node.unit
        while (
            unit.id != own_unit
            and unit.parent is not None
            and (own_unit is not None or unit.parent.region_id == node.unit.region_id)
        ):
            unit = unit.parent
            chain.append(unit)
        crumbs = [
            (unit.name, url_for("reports.level", unit_id=unit.id, year=year)) for unit in reversed(chain)
        ]
        if own_unit is not None:
            return crumbs
        region = unit.region
    top_region = current_user.region_id if current_user.role == Role.finance else None
    regions = []
    while region is not None:
        regions.append(region)
        if region.id == top_region:
            break
        region = region.parent
    crumbs = [(r.name, url_for("reports.level", code=r.code, year=year)) for r in reversed(regions)] + crumbs
    if current_user.role == Role.operator:
        crumbs.insert(0, (_("Whole platform"), url_for("reports.level", year=year)))
    return crumbs


def _filename(node: Node, year: int, what) -> str:
    with force_locale("zh"):
        return f"{node.name}-{year}-{what}"


def _page(template: str, node: Node, year: int, tab: str, **context):
    return render_template(
        template,
        node=node,
        year=year,
        years=year_choices(beijing_today()),
        crumbs=_trail(node, year),
        tab=tab,
        **context,
    )


# --- pages -------------------------------------------------------------------------------------------------


@bp.route("/")
@policy.roles(*AUDIENCE)
def index():
    """Where the viewer's reports begin: the platform, its finance region, or its supervising unit."""
    year = request.args.get("year", type=int)
    args = {"year": year} if year else {}
    if current_user.role == Role.operator:
        return redirect(url_for("reports.level", **args))
    if current_user.role == Role.finance:
        return redirect(url_for("reports.level", code=current_user.region.code, **args))
    if access.supervises_units(current_user):
        return redirect(url_for("reports.level", unit_id=current_user.unit_id, **args))
    return redirect(url_for("completion.index", **args))


@bp.route("/all", defaults={"code": None, "unit_id": None})
@bp.route("/region/<code>", defaults={"unit_id": None})
@bp.route("/unit/<int:unit_id>", defaults={"code": None})
@policy.roles(*AUDIENCE)
def level(code: str | None, unit_id: int | None):
    """A level's figures (accounts, filing, execution), one row per child, the charts; ``?format=`` exports
    the table (every column, the total last). :raise 404: not the viewer's level."""
    node = _node_or_404(code, unit_id)
    year = report_year()
    summary = _summary(node, year)
    unit_level = node.unit is not None
    sorting = Sorting(cols.export_columns(unit_level), pinned=lambda row: row.kind == "self")
    rows = sorting.apply(summary.rows)
    fmt = export_format()
    if fmt:
        summary.rows = rows
        sheets = cols.level_sheets(summary, f"{node.name} {year}", _l("Total"))
        return send_table(fmt, sheets, _filename(node, year, _("Report")))
    bars = [(row.name, row.completion_aggregate) for row in rows[:CHART_BARS]]
    return _page(
        "quotas/report.html",
        node,
        year,
        "level",
        summary=summary,
        rows=rows,
        total=formatting.TotalRow(summary, _("Total")),
        groups=cols.level_columns(unit_level),
        name_column=cols.NAME,
        sorting=sorting,
        row_url=lambda row: _row_url(row, year),
        progress=_progress_chart(summary),
        bars=charts.completion_bars(
            bars, title=_("Completion by row (Σpurchased ÷ Σreserved)"), target_label="100%"
        )
        if bars
        else None,
        more_bars=len(rows) > CHART_BARS,
    )


def _row_url(row, year: int) -> str:
    if row.kind == "region":
        return url_for("reports.level", code=row.code, year=year)
    if row.kind == "self":
        return url_for("reports.orders", unit_id=row.id, year=year)
    return url_for("reports.level", unit_id=row.id, year=year)


def _progress_chart(summary: Summary):
    return charts.progress_chart(
        summary.monthly,
        summary.reserved,
        summary.year,
        summary.today,
        month_names=[str(name) for name in MONTHS],
        title=_("Monthly counted purchases against the straight-line schedule"),
        purchased_label=_("Purchases in the month"),
        cumulative_label=_("Cumulated purchases"),
        schedule_label=_("Straight-line schedule of the reserved share"),
        today_label=_("Today"),
    )


@bp.route("/all/grades", defaults={"code": None, "unit_id": None})
@bp.route("/region/<code>/grades", defaults={"unit_id": None})
@bp.route("/unit/<int:unit_id>/grades", defaults={"code": None})
@policy.roles(*AUDIENCE)
def grades(code: str | None, unit_id: int | None):
    """Grades on the SBA scorecard's bands, per child of the level and per unit that reserved a share;
    ``?format=`` exports both tables (CSV: ``?table=units`` for the units). :raise 404: not the viewer's."""
    node = _node_or_404(code, unit_id)
    year = report_year()
    summary = _summary(node, year)
    row_sorting = Sorting(cols.GRADE_ROWS, pinned=lambda row: row.kind == "self")
    unit_sorting = Sorting(cols.GRADE_UNITS, prefix="u")
    rows = row_sorting.apply(summary.rows)
    units = unit_sorting.apply([line for line in summary.lines if line.reserved > 0])
    fmt = export_format()
    if fmt:
        sheets = [
            Sheet(_("Grades by row"), cols.GRADE_ROWS, rows, formatting.TotalRow(summary, _l("Total"))),
            Sheet(_("Grades by unit"), cols.GRADE_UNITS, units),
        ]
        if fmt == "csv" and request.args.get("table") == "units":
            sheets.reverse()
        return send_table(fmt, sheets, _filename(node, year, _("Grades")))
    return _page(
        "quotas/report_grades.html",
        node,
        year,
        "grades",
        summary=summary,
        rows=rows,
        units=units[:GRADE_UNITS_SHOWN],
        more_units=len(units) > GRADE_UNITS_SHOWN,
        row_sorting=row_sorting,
        unit_sorting=unit_sorting,
        row_columns=cols.GRADE_ROWS,
        unit_columns=cols.GRADE_UNITS,
        row_url=lambda row: _row_url(row, year),
        total=formatting.TotalRow(summary, _("Total")),
    )


@bp.route("/all/suppliers", defaults={"code": None, "unit_id": None})
@bp.route("/region/<code>/suppliers", defaults={"unit_id": None})
@bp.route("/unit/<int:unit_id>/suppliers", defaults={"code": None})
@policy.roles(*AUDIENCE)
def suppliers(code: str | None, unit_id: int | None):
    """Admission and listing rates of the suppliers registered in the region, and where the level's counted
    purchases went, by supplier and by poverty county (``?table=counties`` for the CSV of the latter).
    Reads every counted ledger entry of the level's year: O(orders), unlike the other report pages."""
    node = _node_or_404(code, unit_id)
    year = report_year()
    if node.unit is not None:
        unit_filter = level_filter(unit=node.unit, within=access.report_unit_reach(current_user))
        with reads_from_reports():
            figures = supplier_figures(year, unit_filter=unit_filter, registry=False)
    else:
        with reads_from_reports():
            figures = supplier_figures(year, region=node.region, unit_filter=level_filter(region=node.region))
    supplier_sorting = Sorting(cols.SUPPLIERS)
    county_sorting = Sorting(cols.COUNTIES, prefix="c")
    by_supplier = supplier_sorting.apply(figures.by_supplier)
    by_county = county_sorting.apply(figures.by_county)
    fmt = export_format()
    if fmt:
        sheets = [
            Sheet(_("Purchases by supplier"), cols.SUPPLIERS, by_supplier),
            Sheet(_("Purchases by county"), cols.COUNTIES, by_county),
        ]
        if fmt == "csv" and request.args.get("table") == "counties":
            sheets.reverse()
        return send_table(fmt, sheets, _filename(node, year, _("Suppliers")))
    return _page(
        "quotas/report_suppliers.html",
        node,
        year,
        "suppliers",
        figures=figures,
        by_supplier=by_supplier,
        by_county=by_county,
        supplier_sorting=supplier_sorting,
        county_sorting=county_sorting,
        supplier_columns=cols.SUPPLIERS,
        county_columns=cols.COUNTIES,
    )


@bp.route("/unit/<int:unit_id>/orders")
@policy.roles(*AUDIENCE)
def orders(unit_id: int):
    """The orders that counted toward the unit's own year (its ledger entries), newest first, a page at a
    time (``?before=``); ``?format=`` exports them all. :raise 404: not the viewer's unit."""
    node = _node_or_404(None, unit_id)
    year = report_year()
    unit = node.unit
    fmt = export_format()
    if fmt:
        sheet = Sheet(_("Counted orders"), cols.COUNTED, all_counted(unit.id, year))
        return send_table(fmt, [sheet], _filename(node, year, _("Counted orders")))
    entries, next_before = counted_page(
        unit.id, year, request.args.get("before", type=int), current_app.config["PAGE_SIZE"]
    )
    total = db.session.get(UnitYearPurchase, (unit.id, year))
    return _page(
        "quotas/report_orders.html",
        node,
        year,
        "orders",
        entries=entries,
        next_before=next_before,
        total=total,
        columns=cols.COUNTED,
    )
