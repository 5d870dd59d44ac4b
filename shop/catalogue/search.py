"""Full-text search of products that works for Chinese, in the database, on SQLite and PostgreSQL.

Chinese is written without spaces and most product words are two characters (小米, 红枣, 核桃), so neither
database's own word splitting nor a trigram index finds them. Instead each product carries two columns of
ready-made tokens (``search_name``, ``search_text``), computed here in Python: every run of ideographs (or
kana, hangul) gives its single characters and its overlapping character pairs; Latin letters and digits
stay whole words. A query is cut the same way, but a run of two or more characters gives only its pairs
(小米粥 → 小米 AND 米粥) and a single character gives itself, so one- and two-character queries both match.

The databases index those token columns (migration 0004):

- PostgreSQL: a GIN index on ``VECTOR_SQL`` (all tokens) and one on ``NAME_VECTOR_SQL`` (the name's),
  queried with ``@@ plainto_tsquery('simple', …)``;
- SQLite: an FTS5 table over the two columns whose content is the ``product`` table itself, kept in step by
  triggers, queried with ``MATCH`` (a ``search_name :`` column filter for the name alone).

Relevance (``shop.catalogue.browse``) puts the products whose name has every token first, then those that
have them elsewhere, each by sales. Since the tokens are de-duplicated, ``ts_rank`` and ``bm25`` would mostly
tell the same thing (which column matched) at a far higher price: both score every match, and ``ts_rank``
re-parses each row's text (measured with 100,000 products and a query matching 13,000 of them: 270 ms for
``ts_rank`` against 2 ms for the name matches alone, which usually fill the first page).

The ORM keeps the token columns current (a mapper event in ``shop.catalogue.models``); code that writes
products through Core (bulk loaders) must fill them with ``search_columns``.
"""

import enum
import re
import threading
import unicodedata
from collections.abc import Hashable, Iterable
from dataclasses import dataclass

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
)
from sqlalchemy.sql import column

#: Scripts written without spaces between words: indexed by characters and character pairs.
_UNSPACED = re.compile(
    "["
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007\u3021-\u3029"  # 々 〆 〇, Hangzhou numerals
    "\u3040-\u30ff\u31f0-\u31ff"  # kana
    "\u3100-\u312f\u31a0-\u31bf"  # bopomofo
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs
    "\uac00-\ud7af"  # hangul
    "\U00020000-\U0003134f"  # rare ideographs
    "]+"
)
#: A run of letters and digits (of any script); everything else separates tokens.
_RUN = re.compile(r"[^\W_]+")

#: The longest query text looked at, and the most tokens a query is cut into.
MAX_QUERY_LENGTH = 64
MAX_QUERY_TOKENS = 24

#: The SQLite FTS5 table (and the prefix of its shadow tables).
FTS_TABLE = "product_search"

#: The PostgreSQL GIN indexes and the expressions they index: all the tokens (the name's weighted A, the
#: rest B), and the name's alone. A query must use exactly these expressions (with plain SQL literals, not
#: bound parameters) for the planner to match them to the indexes.
PG_INDEX = "ix_product_search"
PG_NAME_INDEX = "ix_product_search_name"
VECTOR_SQL = (
    "setweight(to_tsvector('simple', product.search_name), 'A')"
    " || setweight(to_tsvector('simple', product.search_text), 'B')"
)
NAME_VECTOR_SQL = "to_tsvector('simple', product.search_name)"


def normalise(value: str | None) -> str:
    """Full-width letters and digits to ASCII, compatibility forms folded (NFKC), lower case."""
    return unicodedata.normalize("NFKC", value or "").lower()


def _pieces(value: str) -> Iterable[tuple[bool, str]]:
    """``(unspaced, piece)`` for each run of letters and digits, split where the script changes."""
    for run in _RUN.finditer(normalise(value)):
        word = run.group()
        position = 0
        for match in _UNSPACED.finditer(word):
            if match.start() > position:
                yield False, word[position : match.start()]
            yield True, match.group()
            position = match.end()
        if position < len(word):
            yield False, word[position:]


def _unique(tokens: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(tokens))


def document_tokens(value: str | None) -> list[str]:
    """The tokens a text is indexed under: characters and character pairs, and whole Latin/digit words.

    >>> document_tokens("山西小米 5kg")
    ['山', '山西', '西', '西小', '小', '小米', '米', '5kg']
    """
    tokens = []
    for unspaced, piece in _pieces(value or ""):
        if not unspaced:
            tokens.append(piece)
            continue
        for index, char in enumerate(piece):
            tokens.append(char)
            if index + 1 < len(piece):
                tokens.append(piece[index : index + 2])
    return _unique(tokens)


def query_tokens(value: str | None) -> list[str]:
    """The tokens a product must have to match the query (all of them): pairs of a run of characters, a
    lone character itself, whole Latin/digit words. Only letters and digits survive, so no search syntax
    character (quotes, ``&|!*:()``) ever reaches the database's query parser.

    >>> query_tokens("小米粥 红")
    ['小米', '米粥', '红']
    """
    tokens = []
    for unspaced, piece in _pieces((value or "")[:MAX_QUERY_LENGTH]):
        if unspaced and len(piece) > 1:
            tokens.extend(piece[index : index + 2] for index in range(len(piece) - 1))
        else:
            tokens.append(piece)
    return _unique(tokens)[:MAX_QUERY_TOKENS]


def search_columns(name: str | None, spec: str | None, description: str | None) -> dict[str, str]:
    """The values of ``Product.search_name`` and ``Product.search_text`` for a product's texts.

    Bulk loaders that insert products without the ORM put these into their rows.
    """
    return {
        "search_name": " ".join(document_tokens(name)),
        "search_text": " ".join(_unique([*document_tokens(spec), *document_tokens(description)])),
    }


#: A search on PostgreSQL walks the products in the page's order (``TextSearch.walked``) when it matched this
#: many products per product the page wants (offset + limit) the last time (``MatchCounts``), looking at this
#: many products per product wanted at most, and no more than ``WALK_AT_MOST`` in all. Collecting costs about
#: what the matches number, walking what the walk takes: 25 products for a page among 100,000 take a walk
#: of 2,500,000 / matches, as long as 1,600 matches at 1,600 (and a step of the walk costs more).
WALK_FROM_MATCHES = 80
WALK_LENGTH = 200
WALK_AT_MOST = 10_000

#: An order: (column, descending) pairs, the last one the id.
SortKeys = tuple[tuple[ColumnElement, bool], ...]


def ordering(keys: SortKeys, columns=None) -> list[ColumnElement]:
    """ORDER BY clauses for ``keys``, on their own columns or on ``columns`` of the same names."""
    return [
        (column if columns is None else columns[column.key]).desc()
        if descending
        else (column if columns is None else columns[column.key]).asc()
        for column, descending in keys
    ]


def inline(value) -> BindParameter:
    """A value written into the SQL rather than sent as a parameter. PostgreSQL plans a statement that
    psycopg has prepared (its sixth run on a connection) once for all parameter values; with the page's
    LIMIT a parameter, that generic plan expected a tenth of the catalogue and scanned all of it (43 ms
    instead of 0.6). Inline values keep the generic plan as good as a fresh one, and spare the planning."""
    return bindparam(None, value, literal_execute=True)


# --- queries -----------------------------------------------------------------------------------------------


class Where(enum.StrEnum):
    """Where a product must have every token of the query."""

    anywhere = "anywhere"  # in the name, spec or description, taken together
    name = "name"  # in the name itself
    elsewhere = "elsewhere"  # anywhere, but not all of them in the name (``anywhere`` minus ``name``)


@dataclass(frozen=True)
class TextSearch:
    """A parsed query, to apply to selects from ``product``."""

    tokens: tuple[str, ...]
    dialect: str

    @classmethod
    def parse(cls, query: str | None, dialect: str) -> "TextSearch | None":
        """None when the query holds no letter or digit (nothing to search for)."""
        tokens = query_tokens(query)
        return cls(tuple(tokens), dialect) if tokens else None

    def apply(self, statement: Select, where: Where = Where.anywhere) -> Select:
        """Restrict ``statement`` to the products having every token ``where`` it says."""
        if self.dialect == "postgresql":
            return statement.where(*self._pg_conditions(where))
        # FTS5: each token a quoted string (tokens hold no quote); juxtaposed strings are ANDed; a column
        # name and a colon before a string limit it to that column.
        anywhere = " ".join(f'"{token}"' for token in self.tokens)
        in_name = " ".join(f'search_name : "{token}"' for token in self.tokens)
        fts_query = {
            Where.anywhere: anywhere,
            Where.name: in_name,
            Where.elsewhere: f"({anywhere}) NOT ({in_name})",
        }[where]
        fts = table(FTS_TABLE, column("rowid"))
        return statement.join(fts, fts.c.rowid == literal_column("product.id")).where(
            literal_column(FTS_TABLE).op("MATCH")(bindparam("fts_query", fts_query, unique=True))
        )

    def _pg_conditions(self, where: Where) -> list[ColumnElement[bool]]:
        # plainto_tsquery ANDs the tokens and has no syntax of its own; the tokens are bound, not inlined.
        tsquery = func.plainto_tsquery(_SIMPLE, bindparam("pg_query", " ".join(self.tokens), unique=True))
        if where == Where.name:
            return [_NAME_VECTOR.op("@@")(tsquery)]
        if where == Where.anywhere:
            return [_VECTOR.op("@@")(tsquery)]
        # Not every token in the name, told by plain string searches in the space-separated name tokens
        # (the same test as the name's index, without re-parsing each row's name).
        in_name = [
            func.strpos(_PADDED_NAME, bindparam("pg_token", f" {token} ", unique=True)) > 0
            for token in self.tokens
        ]
        return [_VECTOR.op("@@")(tsquery), not_(and_(*in_name))]

    # --- PostgreSQL: a search walking the products in the page's order instead ----------------------------

    def scan_conditions(
        self, where: Where, name: ColumnElement, text: ColumnElement | None
    ) -> list[ColumnElement[bool]]:
        """The test ``apply`` makes through the index, made row by row on a product's token columns ``name``
        and ``text`` (``search_name`` and ``search_text``, from any select; ``text`` is not needed for
        ``Where.name``): plain string searches in the space-separated tokens, far cheaper for one row than
        parsing its text again. PostgreSQL only."""
        padded_name = _SPACE + name + _SPACE
        padded_text = _SPACE + text + _SPACE if text is not None else None

        def found(token: str, padded: ColumnElement) -> ColumnElement[bool]:
            return func.strpos(padded, bindparam("pg_token", f" {token} ", unique=True)) > 0

        in_name = [found(token, padded_name) for token in self.tokens]
        if where == Where.name:
            return in_name
        anywhere = [or_(found(token, padded_name), found(token, padded_text)) for token in self.tokens]
        return anywhere if where == Where.anywhere else [*anywhere, not_(and_(*in_name))]

    def collected(self, filtered: Select, where: Where, keys: SortKeys, limit: int, offset: int) -> Select:
        """PostgreSQL: the ids of ``limit`` products from ``offset`` on, in the order of ``keys``, of those
        ``filtered`` (a select of ``product.id``) lets through that have every token ``where`` it says, with
        how many match in all (``matched``, on every row). Every match is collected through the full-text
        index, then sorted: it costs what the matches number (4,210 products for 小米 among 100,000: 4 ms).

        PostgreSQL misjudges how many products match (a word's character pairs are not independent) and
        could choose to walk a sort index re-parsing each row's text instead (28 ms instead of 1.4 ms for
        黄芪): the matches are fenced in a materialised CTE.
        """
        sort_columns = [column for column, _ in keys if column.key != "id"]
        matches = (
            self.apply(filtered, where).add_columns(*sort_columns).cte("matches").prefix_with("MATERIALIZED")
        )
        matched = select(func.count()).select_from(matches).scalar_subquery().label("matched")
        return (
            select(matches.c.id, matched)
            .order_by(*ordering(keys, matches.c))
            .limit(inline(limit))
            .offset(inline(offset))
        )

    def walked(self, filtered: Select, where: Where, keys: SortKeys, limit: int, offset: int) -> Select:
        """PostgreSQL: the same page as ``collected`` (without the count), found by walking the products in
        the order of ``keys`` and testing each one's tokens (``scan_conditions``) until the page is full: it
        costs what the walk takes, far less for a common word (800 products for 小米: 0.6 ms), far more for a
        rare one. The walk stops after ``WALK_LENGTH`` products per product wanted (``WALK_AT_MOST`` in
        all): when it gives fewer than ``limit`` rows, the page is not known (``collected`` tells)."""
        wanted = offset + limit
        sort_columns = [column for column, _ in keys if column.key != "id"]
        top = (
            filtered.add_columns(*sort_columns, *([_NAME_TOKENS] if where == Where.name else _ALL_TOKENS))
            .order_by(*ordering(keys))
            .limit(inline(min(WALK_LENGTH * wanted, WALK_AT_MOST)))
            .subquery("top")
        )
        text = top.c.search_text if where != Where.name else None
        found = (
            select(top.c.id, *(top.c[column.key] for column in sort_columns))
            .where(*self.scan_conditions(where, top.c.search_name, text))
            .order_by(*ordering(keys, top.c))
            .limit(inline(wanted))
            .subquery("found")
        )
        return select(found.c.id).order_by(*ordering(keys, found.c)).offset(inline(offset))


class MatchCounts:
    """How many products recent searches matched on PostgreSQL (as ``TextSearch.collected`` counted them),
    by their text, filters and order: whether walking the products (``TextSearch.walked``) pays for a search
    depends on it, and the database cannot tell cheaply beforehand (its own estimate is far off for words of
    several characters, and counting through the index costs about as much as collecting). A search that
    repeats (most do) is walked from its second time on if it matched ``WALK_FROM_MATCHES`` times as many
    products as the page wants, unless a walk fell short for it before (its matches are rare at the top of
    that order: 小米 among the cheapest products). The counts are a guide only: either way the page is
    exact. Kept per process, the most recent ``size``."""

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._known: dict[Hashable, tuple[int, bool]] = {}  # key: (matches, may walk)
        self._lock = threading.Lock()  # for threaded servers: forgetting the oldest is two steps

    def walk_pays(self, key: Hashable, wanted: int) -> bool:
        known = self._known.get(key)
        return known is not None and known[1] and known[0] >= WALK_FROM_MATCHES * wanted

    def learn(self, key: Hashable, matches: int, walk_fell_short: bool = False) -> None:
        with self._lock:
            previous = self._known.pop(key, None)
            self._known[key] = (matches, not walk_fell_short and (previous is None or previous[1]))
            if len(self._known) > self.size:
                del self._known[next(iter(self._known))]  # the oldest


_VECTOR = literal_column(f"({VECTOR_SQL})")
_NAME_TOKENS = literal_column("product.search_name", String).label("search_name")
_ALL_TOKENS = (_NAME_TOKENS, literal_column("product.search_text", String).label("search_text"))
_SPACE = literal_column("' '", String)
_NAME_VECTOR = literal_column(f"({NAME_VECTOR_SQL})")
_SIMPLE = literal_column("'simple'")
_PADDED_NAME = literal_column("(' ' || product.search_name || ' ')")


# --- migrations --------------------------------------------------------------------------------------------


def compared_by_alembic(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's ``include_name`` hook: leave the full-text index out of schema comparisons.

    The models cannot describe it (an FTS5 virtual table and its shadow tables on SQLite, an expression
    GIN index on PostgreSQL); migration 0004 creates it by hand.
    """
    if type_ == "table" and name and (name == FTS_TABLE or name.startswith(f"{FTS_TABLE}_")):
        return False
    return not (type_ == "index" and name in (PG_INDEX, PG_NAME_INDEX))
