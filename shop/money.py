"""Money as people and documents read it: Decimal arithmetic rounded half-up to the fen, yuan with thousands
separators, and the amount in Chinese capital numerals (大写金额) that invoices and vouchers carry.

Pure functions: no database, no request, no locale. Floats are refused everywhere (binary fractions are not
yuan and fen); ``Decimal``, ``int`` and numeric strings are accepted.

Capital numerals follow the People's Bank of China rules for filling in bills and vouchers
(《支付结算办法》 annex 《正确填写票据和结算凭证的基本规定》). Where those rules leave a choice, this module
takes one and always the same:

- 元 is followed by 整 when there are no 角 or 分; 角 is followed by 整 when there is no 分 (the issue's own
  example: ¥1,234.50 → 壹仟贰佰叁拾肆元伍角整); 分 is never followed by 整.
- A run of zeros between non-zero digits is written as one 零 (¥6,007.14 → 陆仟零柒元壹角肆分).
- Zeros that end a 万 or 亿 group before a non-zero 仟 digit are not written (the rules allow one 零 or none
  there): ¥107,000.53 → 壹拾万柒仟元伍角叁分. Likewise no 零 between 元 and a non-zero 角 (¥1,680.32 →
  壹仟陆佰捌拾元叁角贰分).
- 角 zero and 分 not zero: 零 after 元 (¥16,409.02 → 壹万陆仟肆佰零玖元零贰分); below one yuan nothing stands
  before the 角 or 分 (¥0.05 → 伍分); nothing at all is 零元整.
- A ten is 壹拾, also at the start (¥10.00 → 壹拾元整), as the rules' guard against alteration requires.
- A negative amount (a credit note) starts with 负.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
ZERO = Decimal("0.00")

DIGITS = "零壹贰叁肆伍陆柒捌玖"
#: Positions inside a group of four digits, from the right.
_IN_GROUP = ("", "拾", "佰", "仟")
#: The groups of four digits, from the right: ones, 万 (10⁴), 亿 (10⁸), 万亿 (10¹²).
_GROUPS = ("", "万", "亿", "万亿")
#: The largest amount written in capitals: below 10¹⁶ yuan (Numeric(14, 2) columns hold below 10¹²).
CAPITAL_LIMIT = Decimal(10) ** 16


def to_decimal(value: Decimal | int | str) -> Decimal:
    """``value`` as a Decimal, unrounded. ``ValueError`` for a float, a non-number, NaN or infinity."""
    if isinstance(value, float):
        raise ValueError("money must be Decimal, int or str, never float")
    if isinstance(value, bool):
        raise ValueError("a bool is not an amount")
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    return amount


def round_fen(value: Decimal | int | str) -> Decimal:
    """Rounded to the fen, half away from zero (四舍五入): 0.005 → 0.01, −0.005 → −0.01, 2.675 → 2.68."""
    return to_decimal(value).quantize(FEN, rounding=ROUND_HALF_UP)


def total(amounts) -> Decimal:
    """The sum of ``amounts`` (each rounded to the fen first, as each is shown), to the fen."""
    return sum((round_fen(amount) for amount in amounts), ZERO)


def line_amount(unit_price: Decimal | int | str, quantity: Decimal | int | str) -> Decimal:
    """Unit price × quantity, rounded to the fen once, at the end."""
    return round_fen(to_decimal(unit_price) * to_decimal(quantity))


def format_yuan(value: Decimal | int | str | None, symbol: str = "¥") -> str:
    """¥1,234.50: yuan rounded to the fen, with thousands separators; −¥12.50 for a negative amount;
    "" for None."""
    if value is None:
        return ""
    amount = round_fen(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{abs(amount):,.2f}"


def capital_yuan(value: Decimal | int | str) -> str:
    """The amount, rounded to the fen, in Chinese capital numerals (大写金额), per the module's rules:
    ¥1,234.50 → 壹仟贰佰叁拾肆元伍角整, ¥0.05 → 伍分, ¥10.00 → 壹拾元整, ¥100,000,000 → 壹亿元整.

    :raise ValueError: a float, not a number, or 10¹⁶ yuan or more.
    """
    amount = round_fen(value)
    if abs(amount) >= CAPITAL_LIMIT:
        raise ValueError(f"too large to write in capitals: {value!r}")
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    if fen_total == 0:
        return "零元整"
    text = _integer_capitals(yuan) + "元" if yuan else ""
    if jiao:
        text += DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"  # 元零贰分: the zero 角 must show when 分 follows
    if fen:
        text += DIGITS[fen] + "分"
    else:
        text += "整"
    return sign + text


def _integer_capitals(number: int) -> str:
    """A positive whole number of yuan in capitals (without 元)."""
    groups = []
    while number:
        number, group = divmod(number, 10000)
        groups.append(group)
    text = ""
    pending_zero = False  # zeros seen since the last digit written, to be written as one 零
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            pending_zero = bool(text)
            continue
        digits = [group // 1000, group // 100 % 10, group // 10 % 10, group % 10]
        # A group starting with zeros after a higher group: those zeros sit between non-zero digits.
        if text and digits[0] == 0:
            pending_zero = True
        for position, digit in enumerate(digits):
            if digit == 0:
                pending_zero = pending_zero or bool(text)
                continue
            if pending_zero:
                text += "零"
                pending_zero = False
            text += DIGITS[digit] + _IN_GROUP[3 - position]
        text += _GROUPS[index]
        # Zeros ending this group (壹拾万|柒仟) are not written unless more zeros follow into the next group.
        pending_zero = False
    return text
