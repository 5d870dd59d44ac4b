"""Small shared pieces every package uses: time and money column types."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Numeric
from sqlalchemy.types import TypeDecorator

#: The platform's calendar: business days, fiscal years and deadlines are Beijing dates.
BEIJING = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    """Now, as a naive UTC datetime: the one form stored in every database column."""
    return datetime.now(UTC).replace(tzinfo=None)


def beijing_today() -> date:
    """Today's date in Beijing (what "today" means for payments, deadlines and fiscal years)."""
    return datetime.now(BEIJING).date()


class Money(TypeDecorator):
    """Yuan with two places: ``Numeric(14, 2)`` in the database, ``Decimal`` in Python, never float."""

    impl = Numeric(14, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money must be Decimal, not float")
        return Decimal(value).quantize(Decimal("0.01"))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return Decimal(value).quantize(Decimal("0.01"))


def N_(message: str) -> str:
    """Mark a message for translation without translating it now (stored or raised as its msgid)."""
    return message


class DomainError(Exception):
    """A business rule refused the request. ``message`` is an English msgid, ``params`` fill it in.

    Views roll back and show ``error.translated()`` to the user; nothing the rule refused is kept.
    """

    def __init__(self, message: str, **params):
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def translated(self) -> str:
        """The message in the user's language; enumeration members (statuses, kinds, levels) among the
        params are shown by their translated names (``accounts.labels``), not their code values."""
        import enum

        from flask_babel import gettext

        from accounts.labels import label

        params = {
            key: label(value) if isinstance(value, enum.Enum) else value for key, value in self.params.items()
        }
        return gettext(self.message, **params)


def lock_row(obj) -> None:
    """Lock ``obj``'s row until the transaction ends (PostgreSQL; SQLite's writers are serialised anyway)
    and re-read it, so a check that follows sees what concurrent transactions committed.

    A plain ``SELECT id … FOR UPDATE`` of that row alone: ``session.refresh(obj, with_for_update=True)``
    would repeat the eager joins the object was loaded with, and PostgreSQL refuses FOR UPDATE on the
    nullable side of an outer join.
    """
    from sqlalchemy import select

    from shop.extensions import db

    model = type(obj)
    db.session.execute(select(model.id).where(model.id == obj.id).with_for_update())
    db.session.refresh(obj)


def newest_first_page(query, model, before: int | None, size: int) -> tuple[list, int | None]:
    """One page of ``query``'s rows, newest (highest id) first, below the id ``before`` if given, and the
    ``before`` of the next page (None on the last). Keyset paging: no COUNT, no OFFSET, so every page costs
    the same however long the list."""
    from shop.extensions import db

    if before:
        query = query.where(model.id < before)
    rows = db.session.scalars(query.order_by(model.id.desc()).limit(size + 1)).all()
    return rows[:size], rows[size - 1].id if len(rows) > size else None
