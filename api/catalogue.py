"""The catalogue: ``GET /api/v1/products`` (search, filters, sorts, cursor pages) and
``GET /api/v1/products/<id>`` (a product's details).

The same filters, full-text search and visibility as the web catalogue (``shop.catalogue.browse``): only
products on sale (listed, of an admitted supplier) are listed; a product's page is shown under
``shop.policy.can_view_product``. Pages are keyset cursors over the web catalogue's sort keys instead of its
page numbers (an API client walks every page; the web stops at page 50). Searching sorts by the chosen
sort, not by relevance (relevance has two groups of matches, which no single cursor can walk).
"""

from decimal import Decimal

import marshmallow as ma
from flask import url_for
from sqlalchemy import select
from werkzeug.routing import BuildError

from api.auth import current_api_user
from api.core import ApiBlueprint, ErrorSchema
from api.errors import ApiError
from api.pagination import CursorQuery, SortKey, after, decode_cursor, encode_cursor, page_schema
from shop import policy
from shop.catalogue import browse
from shop.catalogue.browse import MAX_ID, MAX_PRICE, CatalogueQuery, Certification, Sort
from shop.catalogue.models import Product
from shop.catalogue.product_page import product_with_details
from shop.catalogue.search import MAX_QUERY_LENGTH, TextSearch, Where, ordering
from shop.extensions import db

blp = ApiBlueprint("api_catalogue", __name__, description="The catalogue: products on sale")

#: The sorts a cursor can walk (``relevance`` cannot: see the module's docstring).
SORTS = (Sort.newest, Sort.price_asc, Sort.price_desc, Sort.sales)


def money(**kwargs) -> ma.fields.Decimal:
    """Yuan as a string with two decimals ("12.50"): never a float."""
    return ma.fields.Decimal(
        as_string=True, places=2, metadata={"type": "string", "example": "12.50"}, **kwargs
    )


class ProductQuery(CursorQuery):
    q = ma.fields.String(
        validate=ma.validate.Length(max=200), metadata={"description": "words to search for"}
    )
    category = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    county = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=MAX_ID), metadata={"description": "origin"}
    )
    supplier = ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID))
    price_min = ma.fields.Decimal(places=2, validate=lambda value: _price_ok(value), metadata={"minimum": 0})
    price_max = ma.fields.Decimal(places=2, validate=lambda value: _price_ok(value), metadata={"minimum": 0})
    cert = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf([str(c) for c in Certification])),
        metadata={"description": "certifications the product must all have (repeat the parameter)"},
    )
    sort = ma.fields.String(
        load_default=str(Sort.newest), validate=ma.validate.OneOf([str(s) for s in SORTS])
    )

    @ma.validates_schema
    def _price_range(self, data, **kwargs):
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("The lowest price is above the highest price.", "price_min")


def _price_ok(value: Decimal) -> None:
    # A function, not ``Range``: the document would carry a Decimal bound as a string.
    if not value.is_finite() or value < 0 or value > MAX_PRICE:
        raise ma.ValidationError("Give an amount in yuan between 0 and 999999999999.99.")


class SupplierRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class ListedProductSchema(ma.Schema):
    """A product as the catalogue lists it."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    price = money(required=True)
    sales_count = ma.fields.Integer(required=True)
    supplier = ma.fields.Function(
        lambda row: {"id": row.supplier_id, "name": row.supplier_name},
        required=True,
        metadata={"type": "object"},
    )
    origin = ma.fields.String(attribute="origin_name", required=True, metadata={"description": "county"})
    certification_number = ma.fields.String(allow_none=True, required=True)
    is_green = ma.fields.Boolean(required=True)
    is_organic = ma.fields.Boolean(required=True)
    is_geographic_indication = ma.fields.Boolean(required=True)
    image_url = ma.fields.Function(lambda row: _image_url(row.image_id), allow_none=True, required=True)
    rating = ma.fields.Float(
        allow_none=True, required=True, metadata={"description": "supplier's average evaluation, 1 to 5"}
    )
    rating_count = ma.fields.Integer(required=True)


class CategoryRef(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


class ProductSchema(ma.Schema):
    """A product's details."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    price = money(required=True)
    market_price = money(allow_none=True, required=True)
    stock = ma.fields.Integer(required=True)
    min_order_quantity = ma.fields.Integer(required=True)
    status = ma.fields.Function(
        lambda product: product.status.value, required=True, metadata={"type": "string"}
    )
    on_sale = ma.fields.Boolean(attribute="is_buyable", required=True)
    description = ma.fields.String(required=True)
    supplier = ma.fields.Nested(SupplierRef, required=True)
    category = ma.fields.Nested(CategoryRef, required=True)
    origin = ma.fields.Function(lambda product: _origin(product), required=True, metadata={"type": "string"})
    origin_region_id = ma.fields.Integer(required=True)
    certification_number = ma.fields.String(allow_none=True, required=True)
    is_green = ma.fields.Boolean(required=True)
    is_organic = ma.fields.Boolean(required=True)
    is_geographic_indication = ma.fields.Boolean(required=True)
    image_urls = ma.fields.Function(
        lambda product: [url for url in (_image_url(image.id, False) for image in product.images) if url],
        required=True,
        metadata={"type": "array", "items": {"type": "string"}},
    )


@blp.route("/products")
@blp.auth()
@blp.arguments(ProductQuery, location="query")
@blp.response(200, page_schema(ListedProductSchema))
@blp.alt_response(400, schema=ErrorSchema, description="Invalid cursor")
@blp.alt_response(422, schema=ErrorSchema, description="Invalid parameters")
def products(args):
    """Products on sale, filtered and sorted like the web catalogue; one query per page (two when a next
    page follows a sort by newest)."""
    sort = Sort(args["sort"])
    query = CatalogueQuery(
        text=" ".join((args.get("q") or "").split())[:MAX_QUERY_LENGTH],
        category_id=args.get("category"),
        county_id=args.get("county"),
        supplier_id=args.get("supplier"),
        min_price=args.get("price_min"),
        max_price=args.get("price_max"),
        certifications=tuple(Certification(value) for value in dict.fromkeys(args.get("cert") or [])),
        sort=sort,
    )
    keys = [SortKey(column, descending) for column, descending in browse.SORT_KEYS[sort]]
    ids = browse._filtered(query)  # the web catalogue's filters, as they are
    search = TextSearch.parse(query.text, db.session.get_bind().dialect.name)
    if search is not None:
        ids = search.apply(ids, Where.anywhere)
    if args.get("cursor"):
        ids = ids.where(after(keys, decode_cursor(args["cursor"], str(sort), len(keys))))
    limit = args["limit"]
    ids = ids.order_by(*ordering(browse.SORT_KEYS[sort])).limit(limit + 1)
    rows = browse._load(browse._listed(ids, sort))  # the web catalogue's rows
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(str(sort), _key_values(sort, rows[-1]))
    return {"items": rows, "next_cursor": next_cursor}


def _key_values(sort: Sort, row: browse.Listed) -> list:
    if sort == Sort.newest:
        listed_at = db.session.scalar(select(Product.listed_at).where(Product.id == row.id))
        return [listed_at, row.id]
    if sort == Sort.sales:
        return [row.sales_count, row.id]
    return [Decimal(row.price), row.id]


@blp.route("/products/<int:product_id>")
@blp.auth()
@blp.response(200, ProductSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such product (or not visible to you)")
def product(product_id: int):
    """A product's details: a product on sale, to anyone; another only to its supplier and the operator."""
    found = product_with_details(product_id)
    if found is None or not policy.can_view_product(current_api_user(), found):
        raise ApiError(404, "not_found", "No such product.")
    return found


def _origin(product: Product) -> str:
    names = []
    region = product.origin_region
    while region is not None:
        names.append(region.name)
        region = region.parent
    return "".join(reversed(names))


def _image_url(image_id: int | None, thumbnail: bool = True) -> str | None:
    """The image's address (served to signed-in web users; an API client shows it to its own user)."""
    if image_id is None:
        return None
    try:
        return url_for("products.image", image_id=image_id, **({"size": "thumb"} if thumbnail else {}))
    except BuildError:
        return None
