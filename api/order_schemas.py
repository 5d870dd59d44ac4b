"""The JSON shapes of orders and of what clients send to place, move and pay them.

Money is a string with two decimals ("123.45"), in and out: never a float. Times are UTC (ISO 8601, no
offset, as stored); dates are ISO dates (Beijing calendar, as entered). Phone numbers are masked in lists.
"""

import marshmallow as ma

from accounts.validators import mask_phone
from api.catalogue import money
from shop.catalogue.browse import MAX_ID
from shop.formatting import mask_account
from shop.orders.models import OrderStatus, PaymentStatus
from shop.payments.models import PaymentMethod

#: Yuan as clients send it: a string, at most two decimals.
MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"


def money_in(description: str = "", **kwargs) -> ma.fields.String:
    return ma.fields.String(
        validate=ma.validate.Regexp(
            MONEY_PATTERN, error='Give an amount in yuan as a string, such as "12.50".'
        ),
        metadata={"example": "12.50", "pattern": MONEY_PATTERN, "description": description},
        **kwargs,
    )


class _Strict(ma.Schema):
    class Meta:
        unknown = ma.RAISE


def text(max_length: int, **kwargs) -> ma.fields.String:
    return ma.fields.String(validate=ma.validate.Length(min=1, max=max_length), **kwargs)


# --- in ----------------------------------------------------------------------------------------------------


class LineIn(_Strict):
    product_id = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_ID))
    quantity = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=1_000_000))
    unit_price = money_in(
        "the price the client expects; refused (409 price_changed) if it differs", load_default=None
    )


class DeliveryIn(_Strict):
    address = text(255, required=True)
    contact = text(64, required=True)
    phone = text(20, required=True, metadata={"description": "a mobile number, or a landline with area code"})
    note = ma.fields.String(load_default=None, allow_none=True, validate=ma.validate.Length(max=1000))


class OrderIn(_Strict):
    lines = ma.fields.List(
        ma.fields.Nested(LineIn), required=True, validate=ma.validate.Length(min=1, max=100)
    )
    delivery = ma.fields.Nested(DeliveryIn, required=True)


class ShipIn(_Strict):
    carrier = text(64, required=True)
    tracking_number = text(64, required=True)


class ReceiveIn(_Strict):
    note = text(500, required=True, metadata={"description": "the acceptance note"})


class CancelIn(_Strict):
    reason = text(500, required=True, metadata={"description": "the other side reads it"})


class PaymentIn(_Strict):
    method = ma.fields.String(required=True, validate=ma.validate.OneOf([str(m) for m in PaymentMethod]))
    payer_account = text(40, required=True, metadata={"description": "paying card or account number"})
    reference = text(64, required=True, metadata={"description": "the bank's reference, used once"})
    amount = money_in("the order's total", required=True)
    paid_on = ma.fields.Date(required=True, metadata={"description": "Beijing calendar date"})


class OrderListQuery(ma.Schema):
    status = ma.fields.String(validate=ma.validate.OneOf([str(s) for s in OrderStatus]))
    payment_status = ma.fields.String(validate=ma.validate.OneOf([str(s) for s in PaymentStatus]))


# --- out ---------------------------------------------------------------------------------------------------


class Ref(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)


def _value(attribute: str):
    return ma.fields.Function(
        lambda obj: getattr(obj, attribute).value if getattr(obj, attribute) is not None else None,
        required=True,
        metadata={"type": "string"},
    )


class OrderSummarySchema(ma.Schema):
    """An order as lists show it."""

    id = ma.fields.Integer(required=True)
    number = ma.fields.String(required=True)
    status = _value("status")
    payment_status = _value("payment_status")
    total = money(required=True)
    unit = ma.fields.Nested(Ref, required=True)
    supplier = ma.fields.Nested(Ref, required=True)
    purchaser_id = ma.fields.Integer(required=True)
    placed_at = ma.fields.DateTime(required=True)
    delivery_contact = ma.fields.String(required=True)
    delivery_phone = ma.fields.Function(
        lambda order: mask_phone(order.delivery_phone), required=True, metadata={"type": "string"}
    )


class OrderLineSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    product_id = ma.fields.Integer(required=True)
    product_name = ma.fields.String(required=True)
    spec = ma.fields.String(required=True)
    unit = ma.fields.String(required=True)
    unit_price = money(required=True)
    quantity = ma.fields.Integer(required=True)
    amount = money(required=True)
    returned_quantity = ma.fields.Integer(required=True)


class PaymentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    method = _value("method")
    payer_account = ma.fields.Function(
        lambda payment: mask_account(payment.payer_account),
        required=True,
        metadata={"type": "string", "description": "masked"},
    )
    reference = ma.fields.String(required=True)
    amount = money(required=True)
    paid_on = ma.fields.Date(required=True)
    fiscal_year = ma.fields.Integer(required=True)
    recorded_at = ma.fields.DateTime(required=True)


class OrderSchema(OrderSummarySchema):
    """An order with its lines, delivery, steps and payment."""

    delivery_address = ma.fields.String(required=True)
    delivery_phone = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True, required=True)
    shipped_at = ma.fields.DateTime(allow_none=True, required=True)
    carrier = ma.fields.String(allow_none=True, required=True)
    tracking_number = ma.fields.String(allow_none=True, required=True)
    received_at = ma.fields.DateTime(allow_none=True, required=True)
    acceptance_note = ma.fields.String(allow_none=True, required=True)
    closed_at = ma.fields.DateTime(allow_none=True, required=True)
    cancelled_at = ma.fields.DateTime(allow_none=True, required=True)
    cancel_reason = ma.fields.String(allow_none=True, required=True)
    paid_at = ma.fields.DateTime(allow_none=True, required=True)
    fiscal_year = ma.fields.Integer(allow_none=True, required=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineSchema), required=True)
    #: Set by the views (``api.orders``) from the one query that loaded it; None while unpaid.
    payment = ma.fields.Nested(PaymentSchema, attribute="api_payment", allow_none=True, required=True)


class PlacedSchema(ma.Schema):
    orders = ma.fields.List(
        ma.fields.Nested(OrderSchema), required=True, metadata={"description": "one per supplier"}
    )
