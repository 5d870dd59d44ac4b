"""What the report pages share: the year asked for, the export format, sorting a table by any column."""

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal

from flask import abort, request, url_for
from flask_babel import lazy_gettext as _l

from quotas.exports import Column
from shop.common import beijing_today

#: Reserved shares began in 2019 (DESIGN.md): no report reaches further back.
FIRST_YEAR = 2019
FORMATS = ("csv", "xlsx")
MONTHS = (
    _l("Jan"),
    _l("Feb"),
    _l("Mar"),
    _l("Apr"),
    _l("May"),
    _l("Jun"),
    _l("Jul"),
    _l("Aug"),
    _l("Sep"),
    _l("Oct"),
    _l("Nov"),
    _l("Dec"),
)


def report_year() -> int:
    """``?year=`` (this Beijing year by default). :raise 404: before 2019 or after next year."""
    today = beijing_today()
    year = request.args.get("year", type=int)
    if year is None:
        return today.year
    if not FIRST_YEAR <= year <= today.year + 1:
        abort(404)
    return year


def year_choices(today: date) -> list[int]:
    return list(range(today.year + 1, FIRST_YEAR - 1, -1))


def export_format() -> str | None:
    """``?format=csv`` or ``xlsx``, None for the page. :raise 400: another format."""
    fmt = request.args.get("format")
    if fmt is None:
        return None
    if fmt not in FORMATS:
        abort(400)
    return fmt


def page_url(**changes) -> str:
    """This page's address with some query arguments changed (None removes one)."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    view_args = {key: value for key, value in (request.view_args or {}).items() if value is not None}
    return url_for(request.endpoint, **view_args, **args)


def _sort_key(value):
    if isinstance(value, int | Decimal):
        return value
    return str(value)


class Sorting:
    """A table's order from ``?<prefix>sort=<column key>&<prefix>dir=asc|desc``: any sortable column;
    empty values last either way; ``pinned`` rows (a unit's own row) stay first. An unknown column keeps
    the table's own order."""

    def __init__(self, columns: Sequence[Column], prefix: str = "", pinned: Callable | None = None):
        self.columns = {column.key: column for column in columns if column.sortable}
        self.prefix = prefix
        self.pinned = pinned
        key = request.args.get(prefix + "sort")
        self.key = key if key in self.columns else None
        self.descending = request.args.get(prefix + "dir") == "desc"

    def apply(self, rows: Iterable) -> list:
        rows = list(rows)
        if self.key is None:
            return rows
        column = self.columns[self.key]
        pinned = [row for row in rows if self.pinned is not None and self.pinned(row)]
        rest = [row for row in rows if not (self.pinned is not None and self.pinned(row))]
        present = [row for row in rest if column.value(row) is not None]
        missing = [row for row in rest if column.value(row) is None]
        present.sort(key=lambda row: _sort_key(column.value(row)), reverse=self.descending)
        return pinned + present + missing

    def url(self, key: str) -> str:
        """The address sorting by ``key``: the other way round when already sorted by it; numbers largest
        first, text in order, the first time."""
        descending = not self.descending if key == self.key else self.columns[key].numeric
        return page_url(
            **{
                self.prefix + "sort": key,
                self.prefix + "dir": "desc" if descending else "asc",
                "before": None,
            }
        )

    def mark(self, key: str) -> str:
        if key != self.key:
            return ""
        return "▼" if self.descending else "▲"

    def is_sortable(self, key: str) -> bool:
        return key in self.columns
