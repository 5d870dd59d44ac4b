"""Gap-free counters (order numbers, later invoice numbers), safe under concurrency on SQLite and PostgreSQL.

A counter is a row incremented with one ``UPDATE … RETURNING``: the row lock it takes serialises
concurrent callers until their transactions end, so no two get the same value and a rolled-back
transaction gives its value back. Never "last + 1" read from the numbered table.
"""

from sqlalchemy import String, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from shop.extensions import db


class Counter(db.Model):
    __tablename__ = "counter"

    #: What is counted, e.g. ``order:20261129`` or ``invoice:<supplier id>:2026``.
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


def next_value(key: str) -> int:
    """The next value of counter ``key`` (1 for a new counter), reserved for the current transaction."""
    statement = (
        update(Counter).where(Counter.key == key).values(value=Counter.value + 1).returning(Counter.value)
    )
    value = db.session.execute(statement).scalar()
    if value is not None:
        return value
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Counter).values(key=key, value=0))
    except IntegrityError:
        pass  # a concurrent transaction created it first; the UPDATE below waits for it
    return db.session.execute(statement).scalar_one()


def current_value(key: str) -> int:
    return db.session.scalar(select(Counter.value).where(Counter.key == key)) or 0
