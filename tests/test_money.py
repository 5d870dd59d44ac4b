"""The money helpers: rounding half-up to the fen, yuan formatting and capital numerals (大写金额).

Examples pin the rules of the People's Bank of China; properties check every amount hypothesis can think of,
chiefly that the capitals read back (with an independent reader below) to the amount written.
"""

import re
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from shop.formatting import yuan
from shop.money import (
    CAPITAL_LIMIT,
    DIGITS,
    capital_yuan,
    format_yuan,
    line_amount,
    round_fen,
    to_decimal,
    total,
)

#: Amounts in fen up to the largest the money columns hold (Numeric(14, 2)), as Decimals of yuan.
amounts = st.integers(min_value=-(10**14) + 1, max_value=10**14 - 1).map(lambda fen: Decimal(fen) / 100)
#: Any amount writable in capitals, with up to 4 decimals (so rounding happens).
raw_amounts = st.decimals(
    min_value=-(CAPITAL_LIMIT - 1),
    max_value=CAPITAL_LIMIT - 1,
    places=4,
    allow_nan=False,
    allow_infinity=False,
)


# --- capital numerals: the rules, by example ------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "capitals"),
    [
        ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("0.15", "壹角伍分"),
        ("0", "零元整"),
        ("10.00", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("110000", "壹拾壹万元整"),
        ("100000000", "壹亿元整"),
        ("100010000", "壹亿零壹万元整"),
        ("100000005", "壹亿零伍元整"),
        ("1000000000000", "壹万亿元整"),
        # the rules' own examples
        ("1409.50", "壹仟肆佰零玖元伍角整"),  # a zero between digits: 零
        ("6007.14", "陆仟零柒元壹角肆分"),  # several zeros between digits: one 零
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),  # 元 digit zero, 角 not: 零 may be left out
        ("107000.53", "壹拾万柒仟元伍角叁分"),  # 万 digit zero, 仟 not: 零 may be left out
        ("16409.02", "壹万陆仟肆佰零玖元零贰分"),  # 角 zero, 分 not: 零 after 元
        ("325.04", "叁佰贰拾伍元零肆分"),
        ("10005", "壹万零伍元整"),
        ("1000500", "壹佰万零伍佰元整"),
        ("-12.50", "负壹拾贰元伍角整"),
        ("2.675", "贰元陆角捌分"),  # rounded half-up first
    ],
)
def test_capital_numerals_follow_the_rules(amount, capitals):
    assert capital_yuan(amount) == capitals


def test_floats_and_non_numbers_are_refused():
    for bad in (1.5, "abc", "NaN", "Infinity", True):
        with pytest.raises(ValueError):
            to_decimal(bad)
    with pytest.raises(ValueError):
        capital_yuan(CAPITAL_LIMIT)


# --- rounding and formatting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "rounded"),
    [("0.005", "0.01"), ("-0.005", "-0.01"), ("2.675", "2.68"), ("2.674", "2.67"), ("1,234.5", "1234.50")],
)
def test_rounding_is_half_up_to_the_fen(raw, rounded):
    assert round_fen(raw) == Decimal(rounded)
    assert str(round_fen(raw)) == rounded


def test_yuan_formatting():
    assert format_yuan(Decimal("1234.5")) == "¥1,234.50"
    assert format_yuan(Decimal("-1234.5")) == "-¥1,234.50"
    assert format_yuan(None) == ""
    assert yuan(Decimal("0.005")) == "¥0.01"  # the template filter is the same function
    assert line_amount("3.33", 3) == Decimal("9.99")
    assert line_amount("0.333", 3) == Decimal("1.00")  # rounded once, at the end
    assert total(["0.105", "0.105"]) == Decimal("0.22")  # each rounded as shown, then added


@given(raw_amounts)
def test_round_fen_is_the_nearest_fen_ties_away_from_zero(raw):
    rounded = round_fen(raw)
    assert rounded.as_tuple().exponent == -2
    assert abs(rounded - raw) <= Decimal("0.005")
    if abs(rounded - raw) == Decimal("0.005"):
        assert abs(rounded) > abs(raw)
    assert round_fen(rounded) == rounded
    assert round_fen(-raw) == -rounded


@given(raw_amounts)
def test_formatted_yuan_reads_back_as_the_rounded_amount(raw):
    text = format_yuan(raw)
    assert re.fullmatch(r"-?¥\d{1,3}(,\d{3})*\.\d\d", text)
    assert Decimal(text.replace("¥", "").replace(",", "")) == round_fen(raw)


# --- capital numerals: properties ---------------------------------------------------------------------------

_UNIT = {"拾": 10, "佰": 100, "仟": 1000}
_GROUP = {"兆": 10**12, "亿": 10**8, "万": 10**4}


def read_capitals(text: str) -> Decimal:
    """An independent reader of capital numerals: the amount ``text`` stands for."""
    sign = -1 if text.startswith("负") else 1
    text = text.removeprefix("负").removesuffix("整").replace("万亿", "兆")
    yuan_part, _, fraction = text.rpartition("元") if "元" in text else ("", "", text)
    fen = 0
    if match := re.search(r"(.)角", fraction):
        fen += DIGITS.index(match[1]) * 10
    if match := re.search(r"(.)分", fraction):
        fen += DIGITS.index(match[1])
    whole, group, digit = 0, 0, 0
    for char in yuan_part:
        if char in DIGITS:
            digit = DIGITS.index(char)
        elif char in _UNIT:
            group, digit = group + digit * _UNIT[char], 0
        else:  # 万, 亿, 兆 close a group of four digits
            whole, group, digit = whole + (group + digit) * _GROUP[char], 0, 0
    whole += group + digit
    return sign * (Decimal(whole) + Decimal(fen) / 100)


@given(amounts)
@example(Decimal("1000100000000.00"))
@example(Decimal("10000000000.01"))
def test_capitals_read_back_as_the_amount(amount):
    assert read_capitals(capital_yuan(amount)) == amount


@given(amounts)
def test_capitals_are_well_formed(amount):
    text = capital_yuan(amount)
    assert set(text) <= set(DIGITS + "拾佰仟万亿元角分整负")
    assert "零零" not in text
    assert text.endswith(("元整", "角整", "分"))
    # 整 closes an amount without 分, and only that
    assert text.endswith("整") == (round_fen(amount) * 100 % 10 == 0)
    body = text.removeprefix("负")
    assert not body.startswith("零") or body == "零元整"
    assert "零元" not in body or body == "零元整"
    assert "零万" not in text and "零亿" not in text and "零角" not in text
    # a ten is always 壹拾, never a bare 拾
    assert re.search(r"(^|[^壹贰叁肆伍陆柒捌玖])拾", body) is None
    assert text.startswith("负") == (amount < 0)
