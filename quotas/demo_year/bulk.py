"""One bulk insert of many rows into a table, in the session's transaction, without SQLAlchemy's per-row work.

The demo year inserts about half a million rows. ``session.execute(insert(Model), rows)`` spends most of its
time binding each value of each row in Python; here the values are converted once per column and handed to
the driver in one call: COPY on PostgreSQL (psycopg), one ``executemany`` on SQLite. Only for rows whose
values are already valid (the demo's): no Python-side defaults or validation are applied.
"""

from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from enum import Enum as PyEnum

from sqlalchemy import Boolean, Date, DateTime, Enum, Numeric, Table

from shop.crypto import EncryptedString
from shop.extensions import db


def _enum_value(value):
    return value.value if isinstance(value, PyEnum) else value


def _sqlite_converter(column):
    """How SQLite stores a value of ``column`` as SQLAlchemy would (text for datetimes and dates; numbers
    for money, which NUMERIC affinity turns the text into; 0/1 for booleans)."""
    kind = column.type
    if isinstance(kind, DateTime):
        return lambda value: value.isoformat(" ", "microseconds")
    if isinstance(kind, Date):
        return date.isoformat
    if isinstance(kind, Numeric) or isinstance(getattr(kind, "impl", None), Numeric):
        return Decimal.__str__
    if isinstance(kind, Boolean):
        return int
    if isinstance(kind, Enum):
        return _enum_value
    return None


def bulk_insert(table: Table, rows: list[dict]) -> None:
    """Insert ``rows`` (dicts with the same keys, every value ready for its column) into ``table``."""
    if not rows:
        return
    columns = list(rows[0])
    connection = db.session.connection()
    values = [[row[name] for row in rows] for name in columns]
    for index, name in enumerate(columns):
        kind = table.c[name].type
        if isinstance(kind, EncryptedString):  # bank accounts: stored encrypted, as the model would
            values[index] = [kind.process_bind_param(value, connection.dialect) for value in values[index]]
    if connection.dialect.name == "postgresql":
        for index, name in enumerate(columns):
            if isinstance(table.c[name].type, Enum):
                values[index] = [_enum_value(value) for value in values[index]]
        driver = connection.connection.driver_connection
        statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
        return
    for index, name in enumerate(columns):
        convert = _sqlite_converter(table.c[name])
        if convert is not None:
            values[index] = [None if value is None else convert(value) for value in values[index]]
    marks = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})", list(zip(*values, strict=True))
    )


@contextmanager
def roomy_sqlite_cache(kib: int = 256 * 1024):
    """On SQLite, a page cache big enough for the step's one large transaction while it runs (the default
    2 MB makes every index insert spill pages to the write-ahead log: three times slower); then the
    connection's own size again. Nothing on other databases."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{int(kib)}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
