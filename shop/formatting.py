"""Template filters: money, dates and personal data as users expect to read them."""

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


def register(app) -> None:
    app.jinja_env.filters.update(yuan=yuan, when=when, mask_phone=mask_phone)
