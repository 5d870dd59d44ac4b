"""What buyers browse: the catalogue's filters, sorts and pages, and the product page's data.

A catalogue page runs a fixed handful of queries whatever the number of products, counts nothing in full
and never skips far (``MAX_PAGE``): the catalogue must stay fast at a nation's scale of products
(100,000 in bench/catalogue.py). Favourites are in ``shop.catalogue.favourites``.
"""

import enum
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from sqlalchemy import (
    BindParameter,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from accounts.models import Region, RegionLevel, Supplier, SupplierStatus
from shop.aftersales.models import Evaluation
from shop.catalogue.models import Category, Product, ProductImage, ProductStatus
from shop.catalogue.search import MAX_QUERY_LENGTH, TextSearch, Where
from shop.common import N_
from shop.extensions import db

PAGE_SIZE = 24
#: The deepest page offered: beyond it the buyer narrows the search instead (no large OFFSET).
MAX_PAGE = 50
#: The largest amount a Numeric(14, 2) column holds.
MAX_PRICE = Decimal("999999999999.99")
#: The largest id an integer column holds: a larger one in a URL names nothing (and SQLite cannot bind it).
MAX_ID = 2**31 - 1


class Sort(enum.StrEnum):
    relevance = "relevance"
    newest = "newest"
    price_asc = "price_asc"
    price_desc = "price_desc"
    sales = "sales"


class Certification(enum.StrEnum):
    #: 扶贫产品认定: the product has a certificate number.
    certified = "certified"
    green = "green"
    organic = "organic"
    geographic_indication = "geographic_indication"


CERTIFICATION_CONDITIONS = {
    Certification.certified: Product.certification_number.is_not(None),
    Certification.green: Product.is_green.is_(True),
    Certification.organic: Product.is_organic.is_(True),
    Certification.geographic_indication: Product.is_geographic_indication.is_(True),
}

# (column, descending) pairs. Each sort ends with the id so that equal keys keep one order from page to
# page; the indexes on (status, listed_at), (status, sales_count) and (status, price, id) serve them.
SORT_KEYS = {
    Sort.newest: ((Product.listed_at, True), (Product.id, True)),
    Sort.price_asc: ((Product.price, False), (Product.id, False)),
    Sort.price_desc: ((Product.price, True), (Product.id, True)),
    Sort.sales: ((Product.sales_count, True), (Product.id, True)),
}


@dataclass(frozen=True)
class CatalogueQuery:
    """What the buyer asked the catalogue for, parsed from the query string."""

    text: str = ""
    category_id: int | None = None
    county_id: int | None = None
    supplier_id: int | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    certifications: tuple[Certification, ...] = ()
    sort: Sort = Sort.newest
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict) -> tuple["CatalogueQuery", list[str]]:
        """The query, and the msgids of the inputs that could not be read (those filters are left out)."""
        errors: list[str] = []
        text = " ".join(args.get("q", "").split())[:MAX_QUERY_LENGTH]
        min_price = _price(args.get("min_price"), N_("Lowest price: enter an amount in yuan, such as 12.50."))
        max_price = _price(
            args.get("max_price"), N_("Highest price: enter an amount in yuan, such as 12.50.")
        )
        for value in (min_price, max_price):
            if isinstance(value, str):
                errors.append(value)
        min_price = min_price if isinstance(min_price, Decimal) else None
        max_price = max_price if isinstance(max_price, Decimal) else None
        if min_price is not None and max_price is not None and min_price > max_price:
            errors.append(N_("The lowest price is above the highest price."))
            min_price = max_price = None
        certifications = tuple(
            Certification(value)
            for value in dict.fromkeys(args.getlist("cert"))
            if value in Certification.__members__
        )
        default_sort = Sort.relevance if text else Sort.newest
        sort = Sort(args["sort"]) if args.get("sort") in Sort.__members__ else default_sort
        page = args.get("page", type=int) or 1
        query = cls(
            text=text,
            category_id=_id(args.get("category")),
            county_id=_id(args.get("county")),
            supplier_id=_id(args.get("supplier")),
            min_price=min_price,
            max_price=max_price,
            certifications=certifications,
            sort=sort,
            page=min(max(page, 1), MAX_PAGE),
        )
        return query, errors

    def args(self, **changes) -> dict:
        """The query string for this query with ``changes`` (page links, sort links), without empty values."""
        query = replace(self, **changes)
        values = {
            "q": query.text,
            "category": query.category_id,
            "county": query.county_id,
            "supplier": query.supplier_id,
            "min_price": query.min_price,
            "max_price": query.max_price,
            "cert": [str(cert) for cert in query.certifications],
            "sort": str(query.sort),
            "page": query.page if query.page > 1 else None,
        }
        return {key: value for key, value in values.items() if value not in (None, "", [])}


def _id(value: str | None) -> int | None:
    """An id from the query string, or None (ignored) when it is not one."""
    return int(value) if value and value.isdigit() and 0 < int(value) <= MAX_ID else None


def _price(value: str | None, message: str) -> Decimal | str | None:
    """A price filter as Decimal yuan, None when empty, or the message when it is not an amount."""
    value = (value or "").strip().replace(",", "").lstrip("¥￥")
    if not value:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return message
    if not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        return message
    return amount.quantize(Decimal("0.01"))


@dataclass(frozen=True, slots=True)
class Listed:
    """A product as the catalogue lists it: plain values read in one statement, not an ORM object (the
    list is the most requested page; loading entities and their relationships cost more than the query)."""

    id: int
    name: str
    spec: str
    unit: str
    price: Decimal
    sales_count: int
    supplier_id: int
    supplier_name: str
    origin_name: str
    certification_number: str | None
    is_green: bool
    is_organic: bool
    is_geographic_indication: bool
    #: The first picture's id, if it has any.
    image_id: int | None
    #: The supplier's evaluations: how many, and their overall average (None without any).
    rating_count: int
    rating: float | None


@dataclass
class Page:
    products: list[Listed]
    number: int
    #: More products follow this page (whether or not a next page is offered).
    has_more: bool

    @property
    def has_next(self) -> bool:
        return self.has_more and self.number < MAX_PAGE

    @property
    def is_capped(self) -> bool:
        """More products match than the pages offered show: the buyer should narrow the search."""
        return self.has_more and self.number >= MAX_PAGE


def on_sale(statement: Select) -> Select:
    """Restrict a select from ``product`` to the products on sale: listed, of an admitted supplier."""
    return statement.join(Supplier, Supplier.id == Product.supplier_id).where(
        Product.status == _inline(ProductStatus.listed.value),
        Supplier.status == _inline(SupplierStatus.admitted.value),
    )


def _inline(value) -> BindParameter:
    """A value written into the SQL rather than sent as a parameter. PostgreSQL plans a statement that
    psycopg has prepared (its sixth run on a connection) once for all parameter values; with the page's
    LIMIT a parameter, that generic plan expected a tenth of the catalogue and scanned all of it (43 ms
    instead of 0.6). Inline values keep the generic plan as good as a fresh one, and spare the planning."""
    return bindparam(None, value, literal_execute=True)


def catalogue_page(query: CatalogueQuery, dialect: str) -> Page:
    """One page of the catalogue for ``query``: one statement (two or three for a search by relevance
    whose name matches do not fill the page), whatever the catalogue's size; no count, no far offset.

    Text search runs in the database's full-text index (``shop.catalogue.search``), on the database
    ``dialect`` names; a query without letters or digits searches nothing and lists everything.
    Relevance puts the products whose name has every word first, then the others, each best selling first.
    """
    statement = _ON_SALE_IDS
    if query.category_id:
        statement = statement.where(Product.category_id == query.category_id)
    if query.county_id:
        statement = statement.where(Product.origin_region_id == query.county_id)
    if query.supplier_id:
        statement = statement.where(Product.supplier_id == query.supplier_id)
    if query.min_price is not None:
        statement = statement.where(Product.price >= query.min_price)
    if query.max_price is not None:
        statement = statement.where(Product.price <= query.max_price)
    statement = statement.where(*(CERTIFICATION_CONDITIONS[cert] for cert in query.certifications))

    search = TextSearch.parse(query.text, dialect)
    # PostgreSQL misjudges how many products match a search (a word's character pairs are not independent)
    # and may then walk a sort index re-parsing each row's text (28 ms instead of 1.4 ms for 黄芪 among
    # 100,000 products): it is made to collect the matches first, a cost bounded by their number.
    fence = search is not None and dialect == "postgresql"
    offset = (query.page - 1) * PAGE_SIZE
    limit = PAGE_SIZE + 1  # one more than a page tells whether a next page exists, without counting
    if search is not None and query.sort == Sort.relevance:
        sort = Sort.sales  # within each group of matches
        in_name = search.apply(statement, Where.name)
        rows = _load(_page(_sorted(in_name, sort, fence), limit, offset), sort)
        if len(rows) < limit:
            # The name matches ran out on this page (or before it): the other matches follow them.
            named = offset + len(rows) if rows or not offset else _count_up_to(in_name, offset)
            elsewhere = _sorted(search.apply(statement, Where.elsewhere), sort, fence)
            rows += _load(_page(elsewhere, limit - len(rows), max(0, offset - named)), sort)
    else:
        if search is not None:
            statement = search.apply(statement)
        sort = query.sort if query.sort in SORT_KEYS else Sort.newest
        rows = _load(_page(_sorted(statement, sort, fence), limit, offset), sort)
    return Page(products=rows[:PAGE_SIZE], number=query.page, has_more=len(rows) > PAGE_SIZE)


def _ordering(sort: Sort, columns=None) -> list:
    """ORDER BY clauses for ``sort``, on the product's columns or on ``columns`` of the same names."""
    return [
        (column if columns is None else columns[column.key]).desc()
        if descending
        else (column if columns is None else columns[column.key]).asc()
        for column, descending in SORT_KEYS[sort]
    ]


def _page(statement: Select, limit: int, offset: int) -> Select:
    return statement.limit(_inline(limit)).offset(_inline(offset))


def _sorted(ids: Select, sort: Sort, fence: bool) -> Select:
    """A select of product ids, sorted; behind a fence (``fence``), every row ``ids`` gives is collected
    before sorting (a materialised CTE), so the planner cannot choose to walk a sort index."""
    if not fence:
        return ids.order_by(*_ORDER_BY[sort])
    sort_columns = [column for column, _ in SORT_KEYS[sort] if column is not Product.id]
    matches = ids.add_columns(*sort_columns).cte("matches").prefix_with("MATERIALIZED")
    return select(matches.c.id).order_by(*_ordering(sort, matches.c))


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


def filter_choices() -> tuple[list[Choice], list[Choice]]:
    """The categories (in menu order) and the poverty counties (by code) to filter by, in one query: the
    catalogue shows them on every view."""
    rows = db.session.execute(_CHOICES).all()
    return (
        [Choice(row.id, row.name) for row in rows if row.kind == "category"],
        [Choice(row.id, row.name) for row in rows if row.kind == "county"],
    )


def _load(ids: Select, sort: Sort) -> list[Listed]:
    """The products a select of their ids picks, in the ``sort`` order, as the list shows them, with their
    supplier's evaluations, in one statement: the page is chosen on narrow rows (cheap to sort), then only
    its products are read."""
    page = ids.subquery()
    statement = _LISTED.join(page, page.c.id == Product.id).order_by(*_ORDER_BY[sort])
    return [
        Listed(*row[:-1], rating=round(float(row[-1]) / 3, 1) if row[-2] else None)
        for row in db.session.execute(statement)
    ]


# The statements every catalogue view starts from, built once (statements are immutable): building them
# anew on each request cost more than running them.

_ON_SALE_IDS = on_sale(select(Product.id))

_ORDER_BY = {sort: _ordering(sort) for sort in SORT_KEYS}

_OF_SUPPLIER = Evaluation.supplier_id == Product.supplier_id

#: The columns of ``Listed``, in order: a page's ids are joined in.
_LISTED = (
    select(
        Product.id,
        Product.name,
        Product.spec,
        Product.unit,
        Product.price,
        Product.sales_count,
        Product.supplier_id,
        Supplier.name,
        Region.name,
        Product.certification_number,
        Product.is_green,
        Product.is_organic,
        Product.is_geographic_indication,
        select(ProductImage.id)
        .where(ProductImage.product_id == Product.id)
        .order_by(ProductImage.position, ProductImage.id)
        .limit(1)
        .scalar_subquery(),
        select(func.count()).where(_OF_SUPPLIER).scalar_subquery(),
        select(func.avg(Evaluation.quality + Evaluation.delivery + Evaluation.service))
        .where(_OF_SUPPLIER)
        .scalar_subquery(),
    )
    # Explicit join conditions: a relationship here would configure the mappers when this module is imported.
    .join(Supplier, Supplier.id == Product.supplier_id)
    .join(Region, Region.id == Product.origin_region_id)
)

_CHOICES = union_all(
    select(
        literal("category").label("kind"),
        Category.id,
        Category.name,
        Category.position.label("position"),
        Category.name.label("sort_key"),
    ),
    select(literal("county"), Region.id, Region.name, literal(0), cast(Region.code, String)).where(
        Region.level == RegionLevel.county, Region.is_poverty_county.is_(True)
    ),
).order_by(text("kind"), text("position"), text("sort_key"))


def _count_up_to(statement: Select, limit: int) -> int:
    """How many rows ``statement`` gives, counting no further than ``limit``."""
    return db.session.scalar(select(func.count()).select_from(statement.limit(limit).subquery()))


# --- the product page --------------------------------------------------------------------------------------


def product_with_details(product_id: int) -> Product | None:
    """A product with what its page shows (supplier and county, origin, category, images), or None."""
    if not 0 < product_id <= MAX_ID:
        return None
    return db.session.scalar(
        select(Product)
        .options(
            joinedload(Product.supplier).joinedload(Supplier.region),
            # County, city and province: the origin is shown in full (山西省吕梁市兴县).
            joinedload(Product.origin_region).joinedload(Region.parent).joinedload(Region.parent),
            joinedload(Product.category),
            selectinload(Product.images),
        )
        .where(Product.id == product_id)
    )


def latest_evaluations(supplier_id: int, limit: int = 10) -> list[Evaluation]:
    """The supplier's most recent evaluations (one query; the authors are not shown, so not loaded)."""
    return db.session.scalars(
        select(Evaluation)
        .where(Evaluation.supplier_id == supplier_id)
        .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        .limit(limit)
    ).all()
