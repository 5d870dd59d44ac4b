"""Template filters: money, dates and personal data as users expect to read them.

Personal data is shown only as far as the reader needs it:

- Phone numbers (``mask_phone``: 138****5678) are masked in every list and export. In full: on the owner's
  own account, to an order's two sides on the order page and its delivery documents (the supplier calls the
  contact to deliver), and on a supplier's own page for those who review or deal with it.
- Bank accounts (``mask_account``: 6222 **** 1234) are masked everywhere, except a supplier's account for
  the operator (who checks it against the licence at admission) and for the supplier itself
  (``accounts.policy.sees_full_bank_account``). A payment's paying account is masked for everyone: once
  recorded, nobody on the platform needs it in full. Both are encrypted at rest (shop/crypto.py).
"""

from decimal import Decimal

from flask_babel import format_datetime

from accounts.validators import mask_phone
from shop.money import format_yuan


def yuan(amount: Decimal | None) -> str:
    """¥1,234.50: yuan rounded half-up to the fen, with thousands separators; −¥12.50 when negative."""
    return format_yuan(amount)


def when(value, format: str = "yyyy-MM-dd HH:mm") -> str:
    """A stored (naive UTC) datetime shown in the platform's time zone."""
    if value is None:
        return ""
    return format_datetime(value, format)


def mask_account(account: str | None) -> str:
    """6222 **** 1234: a bank or card number with its first four digits (the bank) and its last four; an
    account shorter than 12 digits keeps only its last four (**** 5678), so that no short number is shown
    whole. Spaces and dashes are ignored; nothing (``None`` or empty) stays empty."""
    digits = "".join((account or "").replace("-", "").split())
    if not digits:
        return ""
    if len(digits) < 12:
        return f"**** {digits[-4:]}" if len(digits) > 4 else "****"
    return f"{digits[:4]} **** {digits[-4:]}"


def register(app) -> None:
    app.jinja_env.filters.update(yuan=yuan, when=when, mask_phone=mask_phone, mask_account=mask_account)
