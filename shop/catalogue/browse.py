"""What buyers browse: the catalogue's filters, sorts and pages (the filters' choices are in
``shop.catalogue.choices``, the product page's data in ``shop.catalogue.product_page``).

A catalogue page runs a fixed handful of queries whatever the number of products, counts nothing in full
and never skips far (``MAX_PAGE``): the catalogue must stay fast at a nation's scale of products
(100,000 in bench/catalogue.py). Favourites are in ``shop.catalogue.favourites``.
"""

import enum
import functools
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Literal, NamedTuple

from sqlalchemy import (
    Select,
    func,
    select,
)
from werkzeug.datastructures import MultiDict

from accounts.models import Region, Supplier, SupplierStatus
from shop.aftersales.models import Evaluation
from shop.catalogue.models import Product, ProductImage, ProductStatus
from shop.catalogue.search import MAX_QUERY_LENGTH, MatchCounts, TextSearch, Where, ordering
from shop.catalogue.search import inline as _inline
from shop.common import N_
from shop.extensions import db

# Statements here are made of the tables' columns, not of the mapped classes' attributes: a statement naming
# mapped attributes runs through the ORM's machinery (its compile state, its loading) every time, a third of
# the list's statement's cost in Python, for rows that are plain values anyway.
_PRODUCT, _SUPPLIER, _REGION = Product.__table__, Supplier.__table__, Region.__table__
_IMAGE, _EVALUATION = ProductImage.__table__, Evaluation.__table__

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
    Certification.certified: _PRODUCT.c.certification_number.is_not(None),
    Certification.green: _PRODUCT.c.is_green.is_(True),
    Certification.organic: _PRODUCT.c.is_organic.is_(True),
    Certification.geographic_indication: _PRODUCT.c.is_geographic_indication.is_(True),
}

# (column, descending) pairs. Each sort ends with the id so that equal keys keep one order from page to
# page; the indexes on (status, listed_at), (status, sales_count) and (status, price, id) serve them.
SORT_KEYS = {
    Sort.newest: ((_PRODUCT.c.listed_at, True), (_PRODUCT.c.id, True)),
    Sort.price_asc: ((_PRODUCT.c.price, False), (_PRODUCT.c.id, False)),
    Sort.price_desc: ((_PRODUCT.c.price, True), (_PRODUCT.c.id, True)),
    Sort.sales: ((_PRODUCT.c.sales_count, True), (_PRODUCT.c.id, True)),
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


class Listed(NamedTuple):
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
    return statement.join(_SUPPLIER, _SUPPLIER.c.id == _PRODUCT.c.supplier_id).where(
        _PRODUCT.c.status == _inline(ProductStatus.listed.value),
        _SUPPLIER.c.status == _inline(SupplierStatus.admitted.value),
    )


def catalogue_page(query: CatalogueQuery, dialect: str) -> Page:
    """One page of the catalogue for ``query``: one statement (two or three for a search by relevance
    whose name matches do not fill the page), whatever the catalogue's size; no count, no far offset.

    Text search runs in the database's full-text index (``shop.catalogue.search``), on the database
    ``dialect`` names; a query without letters or digits searches nothing and lists everything.
    Relevance puts the products whose name has every word first, then the others, each best selling first.
    """
    searching = TextSearch.parse(query.text, dialect) is not None
    offset = (query.page - 1) * PAGE_SIZE
    limit = PAGE_SIZE + 1  # one more than a page tells whether a next page exists, without counting
    if searching and query.sort == Sort.relevance:
        sort = Sort.sales  # within each group of matches
        rows = _rows(query, dialect, Where.name, sort, limit, offset)
        if len(rows) < limit:
            # The name matches ran out on this page (or before it): the other matches follow them.
            named = offset + len(rows) if rows or not offset else _count_up_to(query, dialect, offset)
            rows += _rows(query, dialect, Where.elsewhere, sort, limit - len(rows), max(0, offset - named))
    else:
        sort = query.sort if query.sort in SORT_KEYS else Sort.newest
        rows = _rows(query, dialect, Where.anywhere if searching else None, sort, limit, offset)
    return Page(products=rows[:PAGE_SIZE], number=query.page, has_more=len(rows) > PAGE_SIZE)


#: On PostgreSQL, how many products recent searches matched: the cheaper way to read a page follows.
_MATCHES = MatchCounts()


def _rows(
    query: CatalogueQuery, dialect: str, where: Where | None, sort: Sort, limit: int, offset: int
) -> list[Listed]:
    """``limit`` products from ``offset`` on, in the ``sort`` order, of those the query's filters let
    through whose text matches the query's ``where`` it says (None: no text search)."""
    if where is None or dialect != "postgresql":
        return _load(_listing(query, dialect, where, sort, limit, offset, "plain"))
    # A search on PostgreSQL: walked when that pays (as far as the last time tells), else collected.
    search = (query.text, query.category_id, query.county_id, query.supplier_id, query.min_price)
    search += (query.max_price, query.certifications, where, sort)
    walked = _MATCHES.walk_pays(search, offset + limit)
    if walked:
        rows = _load(_listing(query, dialect, where, sort, limit, offset, "walked"))
        if len(rows) == limit:
            return rows
    rows = _load(_listing(query, dialect, where, sort, limit, offset, "collected"), counted=True)
    if rows:
        _MATCHES.learn(search, rows[0][1], walk_fell_short=walked)
    return [listed for listed, _ in rows]


# Statements are immutable and the same query always gives the same one: the last few hundred are kept, as
# building one (and working out its key in SQLAlchemy's compiled cache) cost nearly as much as running it.
_STATEMENTS_KEPT = 256


@functools.lru_cache(maxsize=_STATEMENTS_KEPT)
def _listing(
    query: CatalogueQuery,
    dialect: str,
    where: Where | None,
    sort: Sort,
    limit: int,
    offset: int,
    way: Literal["plain", "walked", "collected"],
) -> Select:
    """The statement for ``_rows``, the page read the ``way`` it says: with a plain ORDER BY, or by
    ``TextSearch.walked`` or ``TextSearch.collected`` for a search on PostgreSQL."""
    statement = _filtered(query)
    search = TextSearch.parse(query.text, dialect) if where is not None else None
    if way == "walked":
        return _listed(search.walked(statement, where, SORT_KEYS[sort], limit, offset), sort)
    if way == "collected":
        return _listed(search.collected(statement, where, SORT_KEYS[sort], limit, offset), sort)
    if search is not None:
        statement = search.apply(statement, where)
    elif offset == 0 and sort in _INDEX_ORDERED and query == CatalogueQuery(text=query.text, sort=query.sort):
        # The first page of the whole catalogue (the most requested one): an index gives the order, so the
        # products are read in the same walk, without choosing their ids first (a quarter of the database's
        # time); anywhere else, narrow rows are sorted and skipped, not whole ones.
        return _page(_LISTED_ON_SALE.order_by(*_ORDER_BY[sort]), limit, offset)
    return _listed(_page(statement.order_by(*_ORDER_BY[sort]), limit, offset), sort)


def _filtered(query: CatalogueQuery) -> Select:
    """The ids of the products on sale that pass the query's filters (all but the text search)."""
    statement = _ON_SALE_IDS
    if query.category_id:
        statement = statement.where(_PRODUCT.c.category_id == query.category_id)
    if query.county_id:
        statement = statement.where(_PRODUCT.c.origin_region_id == query.county_id)
    if query.supplier_id:
        statement = statement.where(_PRODUCT.c.supplier_id == query.supplier_id)
    if query.min_price is not None:
        statement = statement.where(_PRODUCT.c.price >= query.min_price)
    if query.max_price is not None:
        statement = statement.where(_PRODUCT.c.price <= query.max_price)
    return statement.where(*(CERTIFICATION_CONDITIONS[cert] for cert in query.certifications))


def _page(statement: Select, limit: int, offset: int) -> Select:
    return statement.limit(_inline(limit)).offset(_inline(offset))


def _listed(ids: Select, sort: Sort) -> Select:
    """The products a select of their ids picks, in the ``sort`` order, as the list shows them, with their
    supplier's evaluations, in one statement: the page is chosen on narrow rows (cheap to sort), then only
    its products are read. A ``matched`` column of ``ids`` comes last."""
    page = ids.subquery()
    listed = _LISTED.add_columns(page.c.matched) if "matched" in page.c else _LISTED
    return listed.join(page, page.c.id == _PRODUCT.c.id).order_by(*_ORDER_BY[sort])


def _load(statement: Select, counted: bool = False) -> list:
    """Run a ``_listed`` statement: its rows as ``Listed``, or (``counted``) as (``Listed``, matched)."""
    rows = []
    for row in db.session.execute(statement):
        matched = row[-1] if counted else None
        row = row[:-1] if counted else row
        listed = Listed(*row[:-1], rating=round(float(row[-1]) / 3, 1) if row[-2] else None)
        rows.append((listed, matched) if counted else listed)
    return rows


# The statements every catalogue view starts from, built once (statements are immutable): building them
# anew on each request cost more than running them.

_ON_SALE_IDS = on_sale(select(_PRODUCT.c.id))

#: The orders an index gives all but the ties of (its equal keys are few): not sales, shared by many.
_INDEX_ORDERED = (Sort.newest, Sort.price_asc, Sort.price_desc)

_ORDER_BY = {sort: ordering(keys) for sort, keys in SORT_KEYS.items()}

_OF_SUPPLIER = _EVALUATION.c.supplier_id == _PRODUCT.c.supplier_id

#: The columns of ``Listed``, in order: a page's ids are joined in.
_LISTED = (
    select(
        _PRODUCT.c.id,
        _PRODUCT.c.name,
        _PRODUCT.c.spec,
        _PRODUCT.c.unit,
        _PRODUCT.c.price,
        _PRODUCT.c.sales_count,
        _PRODUCT.c.supplier_id,
        _SUPPLIER.c.name,
        _REGION.c.name,
        _PRODUCT.c.certification_number,
        _PRODUCT.c.is_green,
        _PRODUCT.c.is_organic,
        _PRODUCT.c.is_geographic_indication,
        select(_IMAGE.c.id)
        .where(_IMAGE.c.product_id == _PRODUCT.c.id)
        .order_by(_IMAGE.c.position, _IMAGE.c.id)
        .limit(1)
        .scalar_subquery(),
        select(func.count()).where(_OF_SUPPLIER).scalar_subquery(),
        select(func.avg(_EVALUATION.c.quality + _EVALUATION.c.delivery + _EVALUATION.c.service))
        .where(_OF_SUPPLIER)
        .scalar_subquery(),
    )
    # Explicit join conditions: a relationship here would configure the mappers when this module is imported.
    .join(_SUPPLIER, _SUPPLIER.c.id == _PRODUCT.c.supplier_id)
    .join(_REGION, _REGION.c.id == _PRODUCT.c.origin_region_id)
)

_LISTED_ON_SALE = _LISTED.where(
    _PRODUCT.c.status == _inline(ProductStatus.listed.value),
    _SUPPLIER.c.status == _inline(SupplierStatus.admitted.value),
)


def _count_up_to(query: CatalogueQuery, dialect: str, limit: int) -> int:
    """How many products have every word of the query's text in their name, counting no further than
    ``limit``."""
    in_name = TextSearch.parse(query.text, dialect).apply(_filtered(query), Where.name)
    return db.session.scalar(select(func.count()).select_from(in_name.limit(limit).subquery()))
