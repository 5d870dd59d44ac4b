"""Order numbers: ``DD`` + the day in Beijing time (yyyymmdd) + that day's counter in six digits.

The counter is ``shop.counters.next_value("order:<day>")``: a row updated in the placing transaction, so two
checkouts never get the same number and a checkout that rolls back gives its number back (no gaps).
"""

from datetime import UTC, datetime

from shop.common import BEIJING, utcnow
from shop.counters import next_value

PREFIX = "DD"
#: Purchasers read the day of an order as the day in China, not in UTC (8 hours apart).
TIME_ZONE = BEIJING


def order_day(at: datetime) -> str:
    """The Beijing date (yyyymmdd) of a stored, naive UTC datetime."""
    return at.replace(tzinfo=UTC).astimezone(TIME_ZONE).strftime("%Y%m%d")


def counter_key(day: str) -> str:
    return f"order:{day}"


def format_number(day: str, serial: int) -> str:
    """``DD20261129000123``; a day past 999,999 orders simply grows a digit."""
    return f"{PREFIX}{day}{serial:06d}"


def serial_of(number: str) -> int:
    """The day's counter value a number carries (tests check that none is skipped)."""
    return int(number[len(PREFIX) + 8 :])


def next_order_number(at: datetime | None = None) -> str:
    """Reserve the next number of the day of ``at`` (now by default) for the current transaction."""
    day = order_day(at or utcnow())
    return format_number(day, next_value(counter_key(day)))
