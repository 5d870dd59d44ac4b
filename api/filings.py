"""Reserved-share filings through the API: read, save a draft, submit, change; and a finance bureau's bulk
upsert of its units' filings for a year. Every write goes through ``quotas.filing.services`` (the web
pages' rules, audit entries and locks); nothing here decides a filing rule.

- ``GET /api/v1/filings?year=Y``: the versions of the caller's unit for the year, newest first (its
  manager).
- ``GET /api/v1/filings/<id>``: one version, for whoever may see the unit's filings (its manager, the
  managers of the units above it, the finance bureaus above its region, the operator); 404 otherwise.
- ``POST /api/v1/filings``: the caller's unit's figures for a year, saved as its draft or, with
  ``"submit": true``, submitted for review (``save_draft`` / ``submit``).
- ``POST /api/v1/filings/change``: open a new draft version of an approved (or returned) filing
  (``start_change``).
- ``POST /api/v1/regions/<code>/filings/bulk``: a finance bureau of that region (or above) files many units'
  figures for a year in one request (``file_in_bulk``: each unit's draft, or a new version of it; submitted
  with ``"submit": true``). All or nothing: if any row is refused, nothing is kept and the 422 lists every
  refused row by its index (``details.rows``).

Amounts are strings of yuan (``"30000.00"``), read by the filing service so a refusal names its field.
"""

import marshmallow as ma
from sqlalchemy import select

from accounts.models import BudgetUnit, Region, Role
from api.auth import current_api_user
from api.core import ApiBlueprint, ErrorSchema
from api.errors import ApiError, domain_error, english
from quotas import access
from quotas.filing import figures, services
from quotas.filing.errors import QuotaError
from quotas.filing.queries import history
from quotas.models import CanteenStatus, QuotaFiling
from shop.common import beijing_today
from shop.extensions import db

blp = ApiBlueprint("api_filings", __name__, description="Reserved-share filings (预留份额填报)")

#: Rows one bulk request may hold (a county's units; a city's in a few requests).
MAX_BULK_ROWS = 500
MONEY_PATTERN = r"^\d{1,12}(\.\d{1,2})?$"


def _money_in(description: str) -> ma.fields.String:
    # No default: an empty string would not match the pattern the OpenAPI document states.
    return ma.fields.String(
        validate=ma.validate.Regexp(
            MONEY_PATTERN, error='Give an amount in yuan as a string, such as "30000.00".'
        ),
        metadata={"description": description, "example": "30000.00"},
    )


#: Codes are printable text: a control character (NUL above all, which PostgreSQL refuses) is bad input.
_PRINTABLE = ma.validate.Regexp(r"^[^\x00-\x1f\x7f]*$", error="Use printable characters only.")


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class FigureFields(_Strict):
    canteen_status = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf([status.value for status in CanteenStatus]),
        metadata={"description": "own, outsourced, shared or none"},
    )
    shared_with_code = ma.fields.String(
        load_default="",
        validate=[ma.validate.Length(max=32), _PRINTABLE],
        metadata={"description": "for a shared canteen: the code of the unit that files for all"},
    )
    planned_total = _money_in("planned farm-product purchasing for the year (own / outsourced canteen)")
    reserved_amount = _money_in("the reserved share (own / outsourced canteen)")


class FilingIn(FigureFields):
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))
    submit = ma.fields.Boolean(load_default=False, metadata={"description": "submit for review"})
    based_on = ma.fields.Integer(
        load_default=None,
        validate=ma.validate.Range(min=0),
        metadata={"description": "the newest version number the client saw (0: none); refused if stale"},
    )


class ChangeIn(_Strict):
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))


class BulkRow(FigureFields):
    unit_code = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=32), _PRINTABLE])


class BulkIn(_Strict):
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))
    submit = ma.fields.Boolean(load_default=False, metadata={"description": "submit every row for review"})
    filings = ma.fields.List(
        ma.fields.Nested(BulkRow), required=True, validate=ma.validate.Length(min=1, max=MAX_BULK_ROWS)
    )


class YearQuery(_Strict):
    year = ma.fields.Integer(required=True, validate=ma.validate.Range(min=2000, max=2100))


def _money() -> ma.fields.Decimal:
    return ma.fields.Decimal(as_string=True, places=2, required=True, metadata={"example": "30000.00"})


class FilingSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    unit_id = ma.fields.Integer(required=True)
    year = ma.fields.Integer(required=True)
    version = ma.fields.Integer(required=True)
    status = ma.fields.Function(lambda filing: filing.status.value, required=True)
    canteen_status = ma.fields.Function(lambda filing: filing.canteen_status.value, required=True)
    shared_with_code = ma.fields.Function(
        lambda filing: filing.shared_with.code if filing.shared_with is not None else None, allow_none=True
    )
    planned_total = _money()
    reserved_amount = _money()
    min_ratio = ma.fields.Decimal(as_string=True, allow_none=True, metadata={"example": "0.3000"})
    late = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)
    submitted_at = ma.fields.DateTime(allow_none=True)
    endorsed_at = ma.fields.DateTime(allow_none=True)
    approved_at = ma.fields.DateTime(allow_none=True)
    returned_at = ma.fields.DateTime(allow_none=True)
    return_reason = ma.fields.String(allow_none=True)


class FilingList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FilingSchema), required=True)


class BulkOut(ma.Schema):
    year = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(FilingSchema), required=True)


def _figures(data: dict) -> figures.FilingInput:
    return figures.FilingInput(
        canteen_status=data["canteen_status"],
        shared_with_code=data["shared_with_code"],
        planned_total=data.get("planned_total", ""),
        reserved_amount=data.get("reserved_amount", ""),
    )


def _own_unit() -> BudgetUnit:
    user = current_api_user()
    if user.unit is None:
        raise ApiError(404, "not_found", "Your account has no budget unit.")
    return user.unit


@blp.route("/filings")
@blp.auth(Role.unit_manager)
@blp.arguments(YearQuery, location="query")
@blp.response(200, FilingList)
def list_filings(args: dict):
    """Every version of the caller's unit's filing for ``year``, newest first."""
    return {"items": history(_own_unit().id, args["year"])}


@blp.route("/filings/<int:filing_id>")
@blp.auth(Role.unit_manager, Role.finance, Role.operator)
@blp.response(200, FilingSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such filing, or not one the caller may see")
def get_filing(filing_id: int):
    """One version of a filing, if the caller may see the unit's filings (404 otherwise)."""
    filing = db.session.get(QuotaFiling, filing_id)
    if filing is None or not access.can_view_filing(current_api_user(), filing):
        raise ApiError(404, "not_found", "No such filing.")
    return filing


@blp.route("/filings", methods=["POST"])
@blp.auth(Role.unit_manager)
@blp.write()
@blp.arguments(FilingIn)
@blp.response(200, FilingSchema)
@blp.alt_response(409, schema=ErrorSchema, description="The filing's state refuses it (under review …)")
def file(data: dict):
    """Save the caller's unit's figures for ``year`` as its draft, or submit them (``"submit": true``)."""
    user, unit = current_api_user(), _own_unit()
    write = services.submit if data["submit"] else services.save_draft
    try:
        return write(
            user, unit, data["year"], _figures(data), today=beijing_today(), based_on=data["based_on"]
        )
    except QuotaError as error:
        raise domain_error(error) from error


@blp.route("/filings/change", methods=["POST"])
@blp.auth(Role.unit_manager)
@blp.write()
@blp.arguments(ChangeIn)
@blp.response(200, FilingSchema)
@blp.alt_response(409, schema=ErrorSchema, description="Nothing filed, or the newest version is under review")
def change(data: dict):
    """Open a new draft version of the caller's unit's approved (or returned) filing of ``year``."""
    try:
        return services.start_change(current_api_user(), _own_unit(), data["year"], today=beijing_today())
    except QuotaError as error:
        raise domain_error(error) from error


@blp.route("/regions/<code>/filings/bulk", methods=["POST"])
@blp.auth(Role.finance)
@blp.write()
@blp.arguments(BulkIn)
@blp.response(200, BulkOut)
@blp.alt_response(404, schema=ErrorSchema, description="No such region in the caller's")
def bulk(data: dict, code: str):
    """File many units' figures for ``year`` at once (finance bureau of the region or above); all or
    nothing, every refused row named by its index in ``details.rows``."""
    user = current_api_user()
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None or not access.can_view_region_report(user, region):
        raise ApiError(404, "not_found", "No such region.")
    rows = data["filings"]
    units = _units_in(region, {row["unit_code"].strip() for row in rows})
    today, seen, errors, saved = beijing_today(), set(), {}, []
    for index, row in enumerate(rows):
        unit_code = row["unit_code"].strip()
        unit = units.get(unit_code)
        if unit is None:
            errors[str(index)] = {"field": "unit_code", "message": "No unit of this region has this code."}
            continue
        if unit_code in seen:
            errors[str(index)] = {"field": "unit_code", "message": "This unit is already in an earlier row."}
            continue
        seen.add(unit_code)
        savepoint = db.session.begin_nested()  # a refused row leaves nothing, the others go on being checked
        try:
            filing = services.file_in_bulk(
                user, unit, data["year"], _figures(row), submit=data["submit"], today=today
            )
        except QuotaError as error:
            savepoint.rollback()
            errors[str(index)] = {"field": getattr(error, "field", None), "message": english(error)}
            continue
        savepoint.commit()
        saved.append(filing)
    if errors:
        raise ApiError(
            422,
            "rows_refused",
            f"{len(errors)} of {len(rows)} rows were refused; nothing was saved.",
            {"rows": errors},
        )
    return {"year": data["year"], "items": saved}


def _units_in(region: Region, codes: set[str]) -> dict[str, BudgetUnit]:
    """The units of ``region``'s subtree among ``codes``, by code (one query)."""
    from accounts import policy

    query = select(BudgetUnit).where(
        BudgetUnit.code.in_(codes), BudgetUnit.region_id.in_(policy.region_subtree(region.id))
    )
    return {unit.code: unit for unit in db.session.scalars(query)}
