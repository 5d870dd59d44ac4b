"""Chinese full-text search of products: the tokens, the database index on SQLite and PostgreSQL, ranking."""

import re

import pytest
from sqlalchemy import select, text

from shop.catalogue import browse
from shop.catalogue.browse import CatalogueQuery, Sort
from shop.catalogue.models import Product
from shop.catalogue.search import (
    FTS_TABLE,
    PG_INDEX,
    PG_NAME_INDEX,
    TextSearch,
    Where,
    document_tokens,
    query_tokens,
    search_columns,
)
from shop.extensions import db

# --- tokens (no database) ----------------------------------------------------------------------------------


def test_unspaced_text_is_indexed_by_characters_and_character_pairs():
    assert document_tokens("红枣") == ["红", "红枣", "枣"]
    assert document_tokens("山西小米") == ["山", "山西", "西", "西小", "小", "小米", "米"]


def test_latin_words_and_numbers_stay_whole_and_are_normalised():
    # Full-width letters and digits (NFKC), upper case, and separators.
    assert document_tokens("ＡＢＣ牌 5KG/袋") == ["abc", "牌", "5kg", "袋"]
    assert document_tokens("") == []
    assert document_tokens(None) == []


def test_tokens_are_not_repeated():
    assert document_tokens("小米小米") == ["小", "小米", "米", "米小"]


def test_a_query_needs_every_character_pair_and_a_lone_character_itself():
    assert query_tokens("小米") == ["小米"]
    assert query_tokens("小米粥") == ["小米", "米粥"]
    assert query_tokens("小") == ["小"]
    assert query_tokens("红枣 5kg") == ["红枣", "5kg"]


@pytest.mark.parametrize("query", ['"', "&|!", "*", "'", ":*", "()", 'a" OR "b', "NEAR(", "\\", "-", "   "])
def test_search_syntax_characters_never_reach_the_database(query):
    assert all(token.isalnum() for token in query_tokens(query))


def test_search_columns_hold_name_tokens_and_other_tokens_apart():
    columns = search_columns("沁州黄小米", "5kg/袋", "颗粒饱满")
    assert columns["search_name"].split() == document_tokens("沁州黄小米")
    assert columns["search_text"].split() == ["5kg", "袋", *document_tokens("颗粒饱满")]


# --- in the database ---------------------------------------------------------------------------------------


def dialect() -> str:
    return db.session.get_bind().dialect.name


def found(text_query: str, **filters) -> list[str]:
    query = CatalogueQuery(text=text_query, sort=Sort.relevance, **filters)
    return [product.name for product in browse.catalogue_page(query, dialect()).products]


@pytest.fixture
def groceries(make_product, make_supplier):
    supplier = make_supplier()
    made = {}
    for name, description in [
        ("沁州黄小米", "山西特产，颗粒饱满"),
        ("五谷杂粮礼盒", "内含小米、红枣、核桃"),  # matches 小米 / 红枣 / 核桃 only in the description
        ("临县红枣", "皮薄肉厚"),
        ("汾州核桃", "薄皮核桃"),
        ("苹果", "吕梁山区红富士"),
        ("土豆粉条", "纯手工"),
        ("荞麦面", "高寒荞麦"),
        ("胡麻油", "冷榨"),
    ]:
        made[name] = make_product(supplier=supplier, name=name, description=description)
    return made


def test_ranking_puts_name_matches_above_description_matches(groceries):
    assert found("小米") == ["沁州黄小米", "五谷杂粮礼盒"]
    assert found("红枣") == ["临县红枣", "五谷杂粮礼盒"]
    assert found("核桃") == ["汾州核桃", "五谷杂粮礼盒"]


def test_one_character_queries_find_the_products_containing_it(groceries):
    assert found("小") == ["沁州黄小米", "五谷杂粮礼盒"]
    assert set(found("果")) == {"苹果"}
    assert set(found("麦")) == {"荞麦面"}


def test_every_query_token_must_match(groceries):
    assert found("临县 红枣") == ["临县红枣"]
    assert found("小米粥") == []  # 米粥 is nowhere


def test_spec_is_searched_too(make_product):
    make_product(name="有机小米", spec="2.5kg/盒")
    make_product(name="有机小米", spec="5kg/袋")
    assert found("盒") == ["有机小米"]


def test_tokens_follow_edits_through_the_orm(groceries):
    product = groceries["胡麻油"]
    product.name = "亚麻籽油"
    db.session.commit()
    assert found("亚麻") == ["亚麻籽油"]
    assert found("胡麻") == []


def test_deleted_products_leave_the_index(groceries):
    db.session.delete(groceries["苹果"])
    db.session.commit()
    assert found("苹果") == []


@pytest.mark.parametrize("query", ['"', "&|!", "*", "小米\"'&|!*:()", "NOT", "-小米", "NEAR(小米 红枣)"])
def test_queries_with_search_syntax_do_not_fail(groceries, query):
    found(query)  # no database error, whatever it finds


def test_a_query_without_letters_or_digits_searches_nothing():
    assert TextSearch.parse('"&|!*', "sqlite") is None


@pytest.mark.parametrize(
    ("where", "matches", "index"),
    [(Where.anywhere, 2, PG_INDEX), (Where.name, 1, PG_NAME_INDEX), (Where.elsewhere, 1, PG_INDEX)],
)
def test_search_is_one_statement_on_the_full_text_index(groceries, count_queries, where, matches, index):
    search = TextSearch.parse("小米", dialect())
    statement = search.apply(select(Product.id), where)
    with count_queries() as queries:
        assert len(db.session.execute(statement).all()) == matches
    assert len(queries) == 1

    sql = str(
        statement.compile(dialect=db.session.get_bind().dialect, compile_kwargs={"literal_binds": True})
    )
    connection = db.session.connection()
    if dialect() == "sqlite":
        assert f"{FTS_TABLE} MATCH" in sql
        plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
        assert f"SCAN {FTS_TABLE} VIRTUAL TABLE INDEX" in plan
    else:
        connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql("EXPLAIN " + sql))
        assert re.search(rf"Index Scan on {index}\s", plan), plan


@pytest.mark.parametrize("query", ["小米", "红枣 礼盒", "核桃", "枣"])
def test_name_matches_and_the_others_split_the_matches_exactly(groceries, make_product, query):
    make_product(name="红枣礼盒", description="小米")
    search = TextSearch.parse(query, dialect())

    def ids(where):
        return set(db.session.scalars(search.apply(select(Product.id), where)))

    anywhere, in_name, elsewhere = ids(Where.anywhere), ids(Where.name), ids(Where.elsewhere)
    assert in_name | elsewhere == anywhere and not in_name & elsewhere


def test_name_matches_come_first_on_every_page(make_product, make_supplier):
    supplier = make_supplier()
    in_text = [
        make_product(supplier=supplier, name=f"杂粮{n}", description="红枣", sales_count=100)
        for n in range(20)
    ]
    in_name = [make_product(supplier=supplier, name=f"红枣{n}", sales_count=n) for n in range(30)]
    for n in range(10):
        make_product(supplier=supplier, name=f"苹果{n}")

    def page(number: int) -> list[int]:
        query = CatalogueQuery(text="红枣", sort=Sort.relevance, page=number)
        return [product.id for product in browse.catalogue_page(query, dialect()).products]

    expected = [product.id for product in reversed(in_name)] + [product.id for product in reversed(in_text)]
    assert page(1) + page(2) + page(3) == expected


def test_the_sqlite_index_is_kept_by_triggers():
    if dialect() != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's expression index needs no triggers")
    triggers = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
    assert {"product_search_insert", "product_search_update", "product_search_delete"} <= triggers
