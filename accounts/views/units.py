"""Regions and budget units: the region tree, the unit list and page, registering units one by one or
from a sheet, and the home-page panels about them.

Initial passwords are shown once, on the page that answers the POST that made them (``common.shown_once``).
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from accounts import policy, units
from accounts.home import Panel, home_panel
from accounts.models import BudgetUnit, Region, Role, User
from accounts.units import queries
from accounts.units.forms import RegionForm, UnitForm
from accounts.views import common
from shop.common import DomainError
from shop.extensions import db

bp = Blueprint("units", __name__, url_prefix="/units")


# --- regions -----------------------------------------------------------------------------------------------


def _render_regions(form: RegionForm | None):
    return render_template(
        "accounts/units/regions.html",
        nodes=units.region_tree(current_user),
        form=form,
        may_manage=policy.can_manage_regions(current_user),
    )


@bp.route("/regions")
@policy.roles(Role.operator, Role.finance)
def regions():
    """The region tree with unit counts; the operator sees all and may change it, finance its subtree."""
    return _render_regions(RegionForm() if policy.can_manage_regions(current_user) else None)


@bp.route("/regions", methods=["POST"])
@policy.roles(Role.operator)
def create_region():
    form = RegionForm()
    if form.validate_on_submit():
        try:
            region = units.create_region(
                current_user,
                code=form.code.data,
                name=form.name.data,
                level=form.level.data,
                parent_code=form.parent_code.data or "",
                poverty=form.poverty.data,
            )
        except DomainError as error:
            db.session.rollback()
            common.show_error(form, error)
        else:
            db.session.commit()
            flash(_("Region %(code)s %(name)s added.", code=region.code, name=region.name), "success")
            return redirect(url_for("units.regions"))
    return _render_regions(form), 400


@bp.route("/regions/<int:region_id>/poverty", methods=["POST"])
@policy.roles(Role.operator)
def set_poverty(region_id: int):
    """:raise 404: no such region."""
    region = db.session.get(Region, region_id)
    if region is None:
        abort(404)
    try:
        units.set_poverty_county(current_user, region, request.form.get("poverty") == "1")
    except DomainError as error:
        db.session.rollback()
        flash(error.translated(), "error")
    else:
        db.session.commit()
        flash(_("Region %(code)s %(name)s saved.", code=region.code, name=region.name), "success")
    return redirect(url_for("units.regions"))


# --- the unit list and a unit's page -----------------------------------------------------------------------


@bp.route("/")
@policy.roles(Role.operator, Role.finance, Role.unit_manager)
def index():
    """The budget units the viewer may see, in code order, with their account counts."""
    filters = queries.UnitFilters(
        region_id=request.args.get("region", type=int),
        text=request.args.get("q", "").strip()[:64],
        supervising=request.args.get("supervising") == "1",
        manager_inactive=request.args.get("manager") == "inactive",
    )
    page_size = current_app.config["PAGE_SIZE"]
    rows, next_after = queries.unit_page(
        current_user, filters, after=request.args.get("after") or None, limit=page_size
    )
    args = {
        "region": filters.region_id or "",
        "q": filters.text,
        "supervising": "1" if filters.supervising else "",
        "manager": "inactive" if filters.manager_inactive else "",
    }
    return render_template(
        "accounts/units/index.html",
        units=rows,
        counts=queries.account_counts([unit.id for unit in rows]),
        next_after=next_after,
        # A unit manager's units are few and its scope is not a region: no region filter.
        regions=[]
        if current_user.role == Role.unit_manager
        else [
            (region.id, f"{region.code} {region.name}") for region in queries.regions_for_filter(current_user)
        ],
        filters=filters,
        # The next-page link keeps the filters in use, and only those.
        page_args={key: value for key, value in args.items() if value},
        may_register=policy.can_register_units(current_user),
    )


@bp.route("/<int:unit_id>")
@policy.roles(Role.operator, Role.finance, Role.unit_manager)
def detail(unit_id: int):
    """A unit's facts, supervising unit, subordinates and accounts.

    :raise 404: no such unit, or not one the viewer may see.
    """
    unit = policy.get_visible_or_404(BudgetUnit, unit_id, policy.can_view_unit)
    parent = unit.parent
    return render_template(
        "accounts/units/detail.html",
        unit=unit,
        parent=parent,
        parent_visible=parent is not None and policy.can_view_unit(current_user, parent),
        subordinates=queries.subordinate_tree(current_user, unit),
        accounts=queries.unit_accounts(unit),
        counts=queries.account_counts([unit.id])[unit.id],
    )


# --- registering units -------------------------------------------------------------------------------------


def _render_new(form: UnitForm, status: int = 200):
    form.region_code.choices = [("", _("Choose…"))] + [
        (region.code, f"{region.code} {region.full_name}")
        for region in queries.regions_for_units(current_user)
    ]
    return render_template("accounts/units/new.html", form=form), status


@bp.route("/new", methods=["GET", "POST"])
@policy.roles(Role.operator, Role.finance)
def create():
    """Register a unit and open its manager account; the initial password is shown once."""
    form = UnitForm()
    if form.validate_on_submit():
        try:
            unit, manager, initial = units.create_unit(current_user, form.facts())
        except DomainError as error:
            db.session.rollback()
            common.show_error(form, error)
            return _render_new(form, 400)
        db.session.commit()
        return common.shown_once(
            render_template("accounts/units/created.html", unit=unit, manager=manager, initial=initial)
        )
    return _render_new(form, 400 if form.is_submitted() else 200)


@bp.route("/import", methods=["GET", "POST"])
@policy.roles(Role.operator, Role.finance)
def import_sheet():
    """Register the units listed in an uploaded CSV or XLSX sheet, all or none.

    Any invalid row: the page lists every problem by row and column and nothing is created. All valid:
    one transaction creates the units and their manager accounts, and the page shows each initial
    password once.
    """
    return common.import_sheet(
        units.IMPORT_COLUMNS,
        lambda sheet, filename: units.import_units(current_user, sheet, filename=filename),
        "accounts/units/import.html",
        "accounts/units/imported.html",
    )


@bp.route("/import/template.xlsx")
@policy.roles(Role.operator, Role.finance)
def import_template():
    """An empty workbook with the Chinese column headers an import expects."""
    return common.send_workbook(units.import_template(), "预算单位导入模板.xlsx")


# --- home panels -------------------------------------------------------------------------------------------


@home_panel(Role.finance, order=20)
def managers_not_activated(user: User) -> Panel:
    return Panel(
        title=_("Budget units whose manager has not activated the account"),
        count=queries.count_without_active_manager(user),
        link=url_for("units.index", manager="inactive"),
        link_text=_("Budget units"),
    )


@home_panel(Role.unit_manager, order=40)
def subordinate_units(user: User) -> Panel | None:
    count = queries.count_subordinates(user.unit)
    if not count:
        return None  # not a supervising unit
    return Panel(
        title=_("Subordinate units"),
        count=count,
        link=url_for("units.detail", unit_id=user.unit_id),
        link_text=_("Open"),
    )
