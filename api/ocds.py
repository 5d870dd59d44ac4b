"""``GET /api/v1/ocds/releases?year=Y[&region=CODE]``: the platform's open data, the orders placed in a
Beijing calendar year as an OCDS 1.1 release package (``opendata``), page by page.

Public, like the verification pages it links to: open contracting data is published for anyone, so no
token is needed (one may be sent; it is not read). What a release holds was chosen for publication
(``opendata.releases``: no person, phone, address, bank account or bank reference).

Paging: ``limit`` releases per package (at most 100), in order of the orders; a package with more after it
carries ``links.next`` (the OCDS pagination extension), the same address with ``cursor``. Each page is one
batch of ``opendata.loading``: a fixed number of queries whatever the page size. Amounts are JSON numbers
written from their decimal digits (``opendata.encoding``), not floats.

Errors (``{"code", "message", "details"}``): 422 for a missing or malformed year or region code, or an
unknown region; 400 for a cursor not made by this list; 404 when the year (and region) has no order at all
(a package holds at least one release).
"""

import marshmallow as ma
from flask import Response, current_app
from sqlalchemy import select

from accounts import policy
from accounts.models import Region
from api.core import ApiBlueprint, ErrorSchema
from api.errors import ApiError
from api.pagination import CursorQuery, decode_cursor, encode_cursor
from opendata import encoding
from opendata.package import package_metadata, package_uri, release_page, settings
from shop.common import utcnow
from shop.extensions import db

blp = ApiBlueprint("api_ocds", __name__, description="Open data: OCDS 1.1 release packages of the orders")

#: The OCDS pagination extension (``links.next`` of a package).
PAGINATION_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_pagination_extension/master/"
    "extension.json"
)
SORT = "ocds-order-id"


class ReleasesQuery(CursorQuery):
    year = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=2000, max=2100),
        metadata={"description": "Beijing calendar year the orders were placed in"},
    )
    region = ma.fields.String(
        load_default=None,
        validate=ma.validate.Regexp(r"^\d{6}$", error="Give a 6-digit administrative division code."),
        metadata={"description": "administrative division code: only the orders of its budget units"},
    )


@blp.route("/ocds/releases")
@policy.public
@blp.arguments(ReleasesQuery, location="query")
@blp.response(
    200,
    description="An OCDS 1.1 release package (https://standard.open-contracting.org/1.1/), one release "
    "per order, with links.next when more follow.",
    content_type="application/json",
)
@blp.alt_response(400, schema=ErrorSchema, description="A cursor not made by this list")
@blp.alt_response(404, schema=ErrorSchema, description="No order was placed in that year and region")
@blp.alt_response(422, schema=ErrorSchema, description="Bad year, region or limit")
def releases(args: dict):
    """The release package of the orders placed in ``year`` (of the budget units of ``region``'s subtree,
    if given), ``limit`` releases from ``cursor`` on. Public open data."""
    region = None
    if args["region"] is not None:
        region = db.session.scalar(select(Region).where(Region.code == args["region"]))
        if region is None:
            raise ApiError(
                422,
                "invalid_field",
                "No region has this code.",
                {"query": {"region": ["No region has this code."]}},
            )
    after = 0
    if args["cursor"]:
        (after,) = decode_cursor(args["cursor"], SORT, 1)
        if not isinstance(after, int) or isinstance(after, bool):
            raise ApiError(
                400, "invalid_cursor", "The cursor is not valid for this list; start again without one."
            )
    config = settings()
    items, last = release_page(args["year"], region, after=after, limit=args["limit"], config=config)
    if not items:
        if after:
            raise ApiError(404, "not_found", "No releases after this cursor.")
        raise ApiError(404, "not_found", "No order was placed in that year and region.")
    base = current_app.config["PUBLIC_URL"]
    metadata = package_metadata(args["year"], region, published=utcnow(), uri_base=base, config=config)
    metadata["uri"] = package_uri(
        base, args["year"], region, cursor=args["cursor"] or None, limit=args["limit"]
    )
    if last is not None:
        metadata["extensions"].append(PAGINATION_EXTENSION)
        cursor = encode_cursor(SORT, [last])
        metadata["links"] = {
            "next": package_uri(base, args["year"], region, cursor=cursor, limit=args["limit"])
        }
    metadata["releases"] = items
    return Response(encoding.dumps(metadata), status=200, mimetype="application/json")
