"""Reserved-share figures through the API: a unit's completion, and the reports of a region or of a
supervising unit's subtree. The same functions and scopes as the pages (``quotas.reports``,
``quotas.access``): a unit, region or subtree the caller may not read answers 404.

- ``GET /api/v1/units/<id>/completion?year=Y``: the figures of the unit's own completion page (its
  manager and its purchasers; Y defaults to this year): reserved, counted purchases, remaining,
  completion, share purchased against the target, the policy minimum, schedule, projection, grade, months.
- ``GET /api/v1/reports?year=Y[&region=CODE | &unit=ID]``: the report (``quotas.reports.summarise`` /
  ``summarise_unit``), every figure and every row as the ``flask quotas report --format json`` export
  writes them (amounts and ratios as decimal strings). Without ``region`` or ``unit``: the operator reads the
  whole platform, a finance bureau its own region, a supervising unit's manager its own subtree. Both
  ratios are given and named (``ratio_aggregate`` / ``ratio_mean``, ``completion_aggregate`` /
  ``completion_mean``; DESIGN.md rule 7).

Reads go to the reports database when one is configured (``shop.replica.reads_from_reports``).
"""

import marshmallow as ma
from sqlalchemy import select

from accounts.models import BudgetUnit, Region, Role
from api.auth import current_api_user
from api.core import ApiBlueprint, ErrorSchema
from api.errors import ApiError
from quotas import access
from quotas.cli import summary_json
from quotas.reports import summarise, summarise_unit
from quotas.reports.unit_year import unit_year
from shop.common import beijing_today
from shop.extensions import db
from shop.replica import reads_from_reports

blp = ApiBlueprint("api_reports", __name__, description="Reserved-share completion and reports")


def _money(**kwargs) -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, places=2, metadata={"example": "30000.00"}, **kwargs)


def _ratio(**kwargs) -> ma.fields.Decimal:
    return ma.fields.Decimal(
        as_string=True, places=4, allow_none=True, metadata={"example": "0.9820"}, **kwargs
    )


class CompletionQuery(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    year = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=2000, max=2100),
        metadata={"description": "default: this year"},
    )


class ReportQuery(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))
    region = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(r"^\d{6}$", error="Give a 6-digit administrative division code."),
    )
    unit = ma.fields.Integer(load_default=None, validate=ma.validate.Range(min=1, max=2**31 - 1))


class UnitRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class FilingRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True)
    status = ma.fields.Function(lambda filing: filing.status.value, required=True)


class MonthSchema(ma.Schema):
    month = ma.fields.Integer(required=True)
    purchased = _money(required=True)
    cumulative = _money(required=True)
    schedule = _money(required=True)
    begun = ma.fields.Boolean(required=True)


class CompletionSchema(ma.Schema):
    unit = ma.fields.Nested(UnitRef, required=True)
    year = ma.fields.Integer(required=True)
    today = ma.fields.Date(required=True)
    filing = ma.fields.Nested(FilingRef, allow_none=True, required=True)
    canteen_status = ma.fields.Function(
        lambda figures: figures.canteen.value if figures.canteen else None, allow_none=True, required=True
    )
    planned = _money(required=True)
    reserved = _money(required=True)
    purchased = _money(required=True)
    remaining = _money(required=True)
    completion = _ratio(required=True)
    share_purchased = _ratio(required=True)
    target_ratio = _ratio(required=True)
    min_ratio = _ratio(required=True)
    schedule = _money(required=True)
    behind = ma.fields.Boolean(required=True)
    projection = _money(required=True)
    grade = ma.fields.String(allow_none=True, required=True)
    months = ma.fields.List(ma.fields.Nested(MonthSchema), required=True)


class ReportSchema(ma.Schema):
    year = ma.fields.Integer(required=True)
    today = ma.fields.String(required=True)
    region = ma.fields.Dict(allow_none=True, required=True)
    unit = ma.fields.Dict(allow_none=True, required=True)
    elapsed_fraction = ma.fields.String(required=True)
    arrears_days = ma.fields.Integer(required=True)
    summary = ma.fields.Dict(required=True, metadata={"description": "every figure, decimals as strings"})
    monthly = ma.fields.Raw(required=True)
    rows = ma.fields.List(ma.fields.Dict(), required=True)


def _not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"No such {what}.")


@blp.route("/units/<int:unit_id>/completion")
@blp.auth(Role.unit_manager, Role.purchaser)
@blp.arguments(CompletionQuery, location="query")
@blp.response(200, CompletionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="Not the caller's own unit")
def completion(args: dict, unit_id: int):
    """The caller's own unit's completion figures for ``year`` (another unit: 404)."""
    user = current_api_user()
    unit = db.session.get(BudgetUnit, unit_id)
    if unit is None or not access.can_view_completion_of(user, unit):
        raise _not_found("unit")
    today = beijing_today()
    with reads_from_reports():
        return unit_year(unit, args["year"] or today.year, today)


@blp.route("/reports")
@blp.auth(Role.finance, Role.operator, Role.unit_manager)
@blp.arguments(ReportQuery, location="query")
@blp.response(200, ReportSchema)
@blp.alt_response(404, schema=ErrorSchema, description="A region or unit outside the caller's reach")
def report(args: dict):
    """The reserved-share report of ``year`` for ``region``'s subtree, or ``unit`` and the units it
    supervises, or (neither given) the caller's own scope."""
    user = current_api_user()
    if args["region"] is not None and args["unit"] is not None:
        raise ApiError(
            422,
            "invalid_field",
            "Give a region or a unit, not both.",
            {"query": {"unit": ["Give a region or a unit, not both."]}},
        )
    year, today = args["year"], beijing_today()
    unit, region = _scope(user, args)
    with reads_from_reports():
        if unit is not None:
            summary = summarise_unit(year, unit, today=today, within=access.report_unit_reach(user))
        else:
            summary = summarise(year, region, today=today)
        data = summary_json(summary)
    data["unit"] = {"id": unit.id, "code": unit.code, "name": unit.name} if unit is not None else None
    return data


def _scope(user, args: dict) -> tuple[BudgetUnit | None, Region | None]:
    """(unit, region) of the report asked for, checked against the caller's reach (404 outside it); both
    None for the whole platform (operator)."""
    if args["unit"] is not None:
        unit = db.session.get(BudgetUnit, args["unit"])
        if unit is None or not access.can_view_unit_report(user, unit):
            raise _not_found("unit")
        return unit, None
    if args["region"] is not None:
        region = db.session.scalar(select(Region).where(Region.code == args["region"]))
        if region is None or not access.can_view_region_report(user, region):
            raise _not_found("region")
        return None, region
    if user.role == Role.operator:
        return None, None
    if user.role == Role.finance:
        return None, user.region
    if access.supervises_units(user):
        return user.unit, None
    raise ApiError(403, "forbidden", "Only a supervising unit's manager reads a unit report.")
