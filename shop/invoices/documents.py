"""Plain data for the PDF documents: the parties of an order, and the delivery note (送货单) and acceptance
certificate (验收单) of an order. Dicts of strings and numbers only (``shop.invoices.render`` never sees an
ORM object); amounts are strings of yuan with two places.
"""

from datetime import UTC, datetime

from accounts.models import BudgetUnit, Supplier
from accounts.validators import mask_phone
from shop.common import BEIJING
from shop.orders.models import Order


def beijing_date(at: datetime | None) -> str | None:
    """The Beijing calendar date (ISO) of a stored naive-UTC datetime, or None."""
    if at is None:
        return None
    return at.replace(tzinfo=UTC).astimezone(BEIJING).date().isoformat()


def party(organisation: BudgetUnit | Supplier) -> dict:
    """A buyer or seller block: name, unified social credit code, region (its full name)."""
    return {
        "name": organisation.name,
        "credit_code": organisation.credit_code,
        "region": organisation.region.full_name,
    }


def order_document(order: Order, *, full_phone: bool) -> dict:
    """What the delivery note and the acceptance certificate of ``order`` print. The contact's phone is
    masked unless ``full_phone`` (the order's own two sides read it in full, as on the order page)."""
    return {
        "order": {"number": order.number},
        "placed_on": beijing_date(order.placed_at),
        "shipped_on": beijing_date(order.shipped_at),
        "received_on": beijing_date(order.received_at),
        "buyer": party(order.unit),
        "seller": party(order.supplier),
        "purchaser": order.purchaser.name,
        "delivery": {
            "address": order.delivery_address,
            "contact": order.delivery_contact,
            "phone": order.delivery_phone if full_phone else mask_phone(order.delivery_phone),
        },
        "shipment": {"carrier": order.carrier, "tracking_number": order.tracking_number},
        "note": order.note,
        "acceptance_note": order.acceptance_note,
        "lines": [
            {
                "name": line.product_name,
                "spec": line.spec,
                "unit": line.unit,
                "quantity": line.quantity,
                "returned": line.returned_quantity,
                "unit_price": str(line.unit_price),
                "amount": str(line.amount),
            }
            for line in order.lines
        ],
        "total": str(order.total),
    }
