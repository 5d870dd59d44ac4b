"""Price monitoring: a product priced more than a configured margin above its market reference price is
flagged in the review queue and the operator's product lists."""

from decimal import Decimal

from flask import current_app
from sqlalchemy import func

from shop.catalogue.models import Product

DEFAULT_PRICE_FLAG_MARGIN = Decimal("0.2")


def price_flag_margin() -> Decimal:
    """The configured margin (``PRICE_FLAG_MARGIN``, default 0.2 = 20 % above the market price)."""
    margin = current_app.config.get("PRICE_FLAG_MARGIN", DEFAULT_PRICE_FLAG_MARGIN)
    return Decimal(str(margin))


def is_price_flagged(price: Decimal, market_price: Decimal | None, margin: Decimal) -> bool:
    """Is ``price`` above ``market_price`` × (1 + ``margin``)? Never when there is no market price."""
    return market_price is not None and price > market_price * (1 + margin)


def price_flag_condition(margin: Decimal):
    """The same test as ``is_price_flagged``, as a where-clause, for lists and counts."""
    # In whole cents against a whole factor: SQLite keeps these columns as floating point, and rounding to
    # cents makes it agree with the exact Decimal test above (PostgreSQL's numeric is exact anyway).
    factor = int((1 + margin) * 10000)
    price_cents = func.round(Product.price * 100)
    market_cents = func.round(Product.market_price * 100)
    return Product.market_price.is_not(None) & (price_cents * 10000 > market_cents * factor)
