"""On PostgreSQL a repeated search for a common word walks the products in the page's order instead of
collecting every match (``TextSearch.walked``, ``MatchCounts``): the pages must be the very same."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from accounts.models import SupplierStatus
from shop.catalogue import browse, search
from shop.catalogue.browse import CatalogueQuery, Certification, Sort
from shop.catalogue.models import ProductStatus
from shop.catalogue.search import MatchCounts
from shop.common import utcnow
from shop.extensions import db


@pytest.fixture
def walking(monkeypatch):
    """PostgreSQL only; a search is walked from its second time on whatever it matched; fresh memories."""
    if db.session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's full-text index serves every search")
    monkeypatch.setattr(search, "WALK_FROM_MATCHES", 0)
    browse._listing.cache_clear()
    browse._MATCHES._known.clear()
    yield
    browse._listing.cache_clear()  # statements built with other constants
    browse._MATCHES._known.clear()


@pytest.fixture
def jujubes(make_product, make_supplier):
    """60 products named 红枣, 12 with it in the description only, others, and some not on sale; many equal
    sales counts and prices, so that the ids decide between them."""
    suppliers = [make_supplier(), make_supplier()]
    start = utcnow() - timedelta(days=100)
    for n in range(90):
        kind = n % 6
        product = make_product(
            supplier=suppliers[n % 2],
            name=f"红枣{n}" if kind < 4 else ("杂粮礼盒" if kind == 4 else f"苹果{n}"),
            description="红枣 核桃" if kind == 4 else "",
            price=str(Decimal(10 + n % 7)),
            sales_count=n % 5,
            is_organic=n % 3 == 0,
            status=ProductStatus.pending if n % 17 == 0 else ProductStatus.listed,
        )
        product.listed_at = start + timedelta(hours=n % 40)
    suspended = make_supplier(status=SupplierStatus.suspended)
    for n in range(5):
        make_product(supplier=suspended, name=f"红枣停售{n}", sales_count=100)
    db.session.commit()


def page(query: CatalogueQuery) -> tuple[list[int], bool]:
    result = browse.catalogue_page(query, "postgresql")
    return [product.id for product in result.products], result.has_more


def ways(run) -> list[str]:
    """How each statement ``run()`` sent read its page: walked, collected, or neither."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append("walked" if "AS found" in statement else "collected" if "matches" in statement else "-")

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


QUERIES = [
    CatalogueQuery(text=text, sort=sort, page=number, **filters)
    for text in ("红枣", "红")
    for sort in Sort
    for number in (1, 2)
    for filters in ({}, {"certifications": (Certification.organic,)})
]


@pytest.mark.parametrize(
    "query", QUERIES, ids=lambda q: f"{q.text}-{q.sort}-{q.page}-{len(q.certifications)}"
)
def test_a_repeated_search_is_walked_and_reads_the_same_page(jujubes, walking, monkeypatch, query):
    with monkeypatch.context() as never:
        never.setattr(search, "WALK_FROM_MATCHES", 10**6)
        expected = page(query)
    browse._MATCHES._known.clear()
    assert "walked" not in ways(lambda: page(query))  # the first time: collected, and counted
    walked = []
    assert "walked" in ways(lambda: walked.append(page(query)))
    assert walked == [expected]


def test_the_walk_tests_every_token_where_the_search_says(jujubes, walking):
    query = CatalogueQuery(text="红枣 核桃", sort=Sort.relevance)
    expected = page(query)  # no name has both: the description's matches, after none
    assert "walked" in ways(lambda: page(query)) and page(query) == expected
    assert len(expected[0]) == 14 and not expected[1]


def test_a_walk_that_falls_short_is_collected_and_not_tried_again(jujubes, walking, monkeypatch):
    monkeypatch.setattr(search, "WALK_AT_MOST", 3)  # the walk looks at 3 products: never a page
    query = CatalogueQuery(text="红枣", sort=Sort.price_asc)
    expected = page(query)
    assert ways(lambda: page(query)) == ["walked", "collected"]
    assert page(query) == expected
    assert ways(lambda: page(query)) == ["collected"]


def test_match_counts_remember_the_most_recent_searches_and_the_walks_that_fell_short():
    counts = MatchCounts(size=2)
    common = search.WALK_FROM_MATCHES * 25
    counts.learn("a", common)
    counts.learn("b", common - 1)
    assert counts.walk_pays("a", 25) and not counts.walk_pays("b", 25) and not counts.walk_pays("c", 25)
    assert not counts.walk_pays("a", 26)  # a deeper page wants more matches
    counts.learn("c", common)
    assert not counts.walk_pays("a", 25)  # forgotten: the oldest
    counts.learn("c", common, walk_fell_short=True)
    counts.learn("c", common)
    assert not counts.walk_pays("c", 25)
