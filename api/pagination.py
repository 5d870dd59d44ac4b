"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items": [...], "next_cursor": "..."|null}`` out.

A cursor is opaque to clients: URL-safe base64 of JSON holding the sort's name and the sort-key values of
the last row returned (the sort key always ends with the row id, so it is unique). The next page is the
rows after those values (keyset pagination): no OFFSET, no COUNT, the same cost on page 1 and page 1,000,
and no row skipped or repeated when rows are added meanwhile. ``limit + 1`` rows are read to know whether
there is a next page.

Use in an endpoint::

    @blp.arguments(MyQuery, location="query")          # MyQuery subclasses CursorQuery
    @blp.response(200, page_schema(ThingSchema))
    def things(args):
        keys = [SortKey(Thing.created_at, descending=True), SortKey(Thing.id, descending=True)]
        return keyset_page(select(Thing).where(...), keys, args, sort_name="newest")

Sort-key columns must not be NULL (a NULL never compares; use ``coalesce`` in the key if needed).
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import marshmallow as ma
from sqlalchemy import Select, and_, or_

from api.errors import ApiError
from shop.extensions import db

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


class CursorQuery(ma.Schema):
    """The query parameters of every paginated list; subclass it to add filters."""

    class Meta:
        unknown = ma.RAISE

    cursor = ma.fields.String(
        load_default=None,
        validate=ma.validate.Length(max=500),
        metadata={"description": "next_cursor of the previous page"},
    )
    limit = ma.fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=ma.validate.Range(min=1, max=MAX_LIMIT),
        metadata={"description": "page size"},
    )


def page_schema(item_schema: type[ma.Schema], name: str | None = None) -> ma.Schema:
    """The schema of a page of ``item_schema`` items (named ``<Item>Page`` in the OpenAPI document)."""
    fields = {
        "items": ma.fields.List(ma.fields.Nested(item_schema), required=True),
        "next_cursor": ma.fields.String(
            allow_none=True, required=True, metadata={"description": "pass as ?cursor= for the next page"}
        ),
    }
    schema_name = name or item_schema.__name__.removesuffix("Schema") + "Page"
    return ma.Schema.from_dict(fields, name=schema_name)()


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset sort; the last one of a sort must be unique (the id)."""

    column: object
    descending: bool = False


def encode_cursor(sort_name: str, values: list) -> str:
    payload = {"s": sort_name, "v": [_encode(value) for value in values]}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort_name: str, size: int) -> list:
    """The sort-key values in ``cursor``.

    :raise ApiError: 400 ``invalid_cursor``: not one of ours, or made for another sort.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        values = [_decode(value) for value in payload["v"]]
        valid = payload["s"] == sort_name and len(values) == size
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, ArithmeticError):
        valid = False
    if not valid:
        raise ApiError(
            400,
            "invalid_cursor",
            "The cursor is not valid for this list; start again without one.",
            {"query": {"cursor": ["Not a valid cursor."]}},
        )
    return values


def after(keys: list[SortKey], values: list):
    """The where-clause "rows after ``values`` in the order of ``keys``" (each key in its own direction)."""
    alternatives = []
    for index, key in enumerate(keys):
        equal = [keys[i].column == values[i] for i in range(index)]
        beyond = key.column < values[index] if key.descending else key.column > values[index]
        alternatives.append(and_(*equal, beyond))
    return or_(*alternatives)


def keyset_page(
    statement: Select,
    keys: list[SortKey],
    args: dict,
    sort_name: str = "default",
    key_of=None,
    scalars: bool = True,
) -> dict:
    """One page of ``statement`` (a select of entities, or of rows when ``scalars`` is False) ordered by
    ``keys``: ``{"items": rows, "next_cursor": str|None}``.

    ``key_of(row)`` gives a row's sort-key values (default: the attributes named like the key columns).
    Two queries at most are never needed: it is one query, whatever the page size.
    """
    limit = args.get("limit") or DEFAULT_LIMIT
    cursor = args.get("cursor")
    if cursor:
        statement = statement.where(after(keys, decode_cursor(cursor, sort_name, len(keys))))
    order = [key.column.desc() if key.descending else key.column.asc() for key in keys]
    statement = statement.order_by(*order).limit(limit + 1)
    result = db.session.execute(statement)
    rows = list(result.scalars() if scalars else result)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        values = key_of(last) if key_of else [getattr(last, key.column.key) for key in keys]
        next_cursor = encode_cursor(sort_name, list(values))
    return {"items": rows, "next_cursor": next_cursor}


def _encode(value):
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"D": value.isoformat()}
    if value is None or isinstance(value, bool | int | str):
        return value
    raise TypeError(f"cannot put {type(value).__name__} in a cursor")


def _decode(value):
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        if tag == "d":
            number = Decimal(text)
            if not number.is_finite():
                raise ValueError(text)
            return number
        if tag == "t":
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is not None:  # the database's times are naive UTC
                raise ValueError(text)
            return moment
        if tag == "D":
            return date.fromisoformat(text)
        raise ValueError(tag)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise ValueError(value)  # beyond any BIGINT: the database would refuse the comparison
    if value is None or isinstance(value, bool | int | str):
        return value
    raise ValueError(value)
