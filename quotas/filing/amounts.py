"""Pure arithmetic of a filing: reading amounts and percentages as typed, the ratio, the minimum.

No database here; every function is tested on its own.
"""

from decimal import ROUND_CEILING, Decimal, InvalidOperation

from quotas.filing.errors import QuotaError
from shop.common import N_

FEN = Decimal("0.01")
#: Numeric(14, 2): twelve digits of yuan.
MAX_AMOUNT = Decimal("999999999999.99")


class AmountError(QuotaError):
    """An amount or percentage as typed cannot be read. ``field`` names the form field, ``label`` (an
    English msgid) its label, which the message names."""


def parse_yuan(value: Decimal | str | None, field: str, label: str) -> Decimal:
    """An amount of yuan, zero or more, with at most two decimals (a fen is the smallest unit).

    ``label`` (the English msgid of the field's label) goes into the message. Thousands separators and a
    leading ¥ are accepted, as people type them.

    :raise AmountError: empty, not a number, negative, a fraction of a fen, or too large.
    """
    if isinstance(value, Decimal):
        amount = value
    else:
        text = (value or "").strip().replace(",", "").replace("，", "").lstrip("¥￥").strip()
        if not text:
            raise AmountError(N_("%(field_name)s: enter an amount in yuan."), field, field_name=label)
        try:
            amount = Decimal(text)
        except InvalidOperation:
            amount = None
    if amount is None or not amount.is_finite():
        raise AmountError(
            N_("%(field_name)s: %(value)s is not an amount in yuan."),
            field,
            field_name=label,
            value=str(value)[:32],
        )
    if amount < 0:
        raise AmountError(N_("%(field_name)s cannot be negative."), field, field_name=label)
    if amount > MAX_AMOUNT:
        raise AmountError(N_("%(field_name)s is too large."), field, field_name=label)
    if amount != amount.quantize(FEN):
        raise AmountError(N_("%(field_name)s: give at most two decimals (fen)."), field, field_name=label)
    return amount.quantize(FEN)


def parse_percent(value: Decimal | str | None, field: str, label: str) -> Decimal:
    """A percentage above 0 and at most 100 with at most two decimals, returned as a ratio with four
    places (``"30"`` → ``Decimal("0.3000")``), the precision of ``QuotaPolicy.min_ratio``.

    :raise AmountError: empty, not a number, out of range, or more than two decimals.
    """
    text = str(value if value is not None else "").strip().rstrip("%％").strip()
    try:
        percent = Decimal(text)
    except InvalidOperation:
        percent = None
    if percent is None or not percent.is_finite():
        raise AmountError(N_("%(field_name)s: enter a percentage, e.g. 30."), field, field_name=label)
    if not Decimal(0) < percent <= Decimal(100):
        raise AmountError(N_("%(field_name)s must be above 0 and at most 100."), field, field_name=label)
    if percent != percent.quantize(FEN):
        raise AmountError(N_("%(field_name)s: give at most two decimals."), field, field_name=label)
    return (percent / 100).quantize(Decimal("0.0001"))


def ratio(reserved: Decimal, planned: Decimal) -> Decimal | None:
    """预留比例 = reserved / planned, or None when nothing is planned."""
    if not planned:
        return None
    return reserved / planned


def minimum_reserved(planned: Decimal, min_ratio: Decimal) -> Decimal:
    """The smallest reserved amount in whole fen that meets ``min_ratio`` of ``planned`` (rounded up: a
    fen below the exact product would fall short)."""
    return (planned * min_ratio).quantize(FEN, rounding=ROUND_CEILING)


def percent_text(value: Decimal | None, places: int = 2) -> str:
    """``Decimal("0.3")`` → ``"30.00%"``; None → ``"—"``."""
    if value is None:
        return "—"
    return f"{(Decimal(value) * 100).quantize(Decimal(1).scaleb(-places))}%"
