"""Fixtures of the marketplace tests: carts filled directly, delivery details."""

import pytest

from shop.cart.models import CartItem
from shop.extensions import db
from shop.orders.placing import Delivery

#: Valid delivery details for a checkout.
DELIVERY = Delivery("吕梁市离石区滨河北路1号", "王师傅", "13800138000")


@pytest.fixture
def fill_cart():
    """``fill_cart(user, {product: quantity})``: cart lines as if added at today's prices (no checks)."""

    def fill(user, lines: dict) -> list[CartItem]:
        items = [
            CartItem(user_id=user.id, product=product, quantity=quantity, price_seen=product.price)
            for product, quantity in lines.items()
        ]
        db.session.add_all(items)
        db.session.commit()
        return items

    return fill
