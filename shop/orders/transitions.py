"""The order lifecycle: ``placed → shipped → received → closed``, or ``placed → cancelled``.

Every status change goes through ``transition(order, actor, to_status, **fields)``, and ``STEPS`` is the
one table of who may take which step from which status with which fields. A step re-reads the order under
a row lock, checks the table, sets the status, its timestamp and its fields, writes an ``OrderEvent``,
audits ``order.<verb>`` and notifies the other side. It flushes, never commits; a refused step raises
``OrderError`` before changing anything.

Payment status is kept apart (``Order.payment_status``): the payments issue moves it, not this module.
"""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.routing import BuildError

from accounts import audit
from accounts.models import User
from accounts.notices import notify
from shop import policy
from shop.aftersales.models import Refund
from shop.cart.services import add_item
from shop.catalogue.models import Product
from shop.common import N_, DomainError, lock_row, utcnow
from shop.extensions import db
from shop.orders.models import Order, OrderEvent, OrderStatus, PaymentStatus
from shop.orders.placing import restore_stock

#: The buyer, the supplier, or nobody (an automatic step, ``actor=None``).
BUYER, SUPPLIER, SYSTEM = "buyer", "supplier", "system"

#: How long a received order stays open (for returns) before ``close_received_orders`` closes it.
AUTO_CLOSE_AFTER = timedelta(days=15)

_TEXT_LIMITS = {"carrier": 64, "tracking_number": 64, "acceptance_note": 500, "reason": 500}
_MISSING = {
    "carrier": N_("Give the carrier."),
    "tracking_number": N_("Give the tracking number."),
    "acceptance_note": N_("Give the acceptance note."),
    "reason": N_("Give the reason for cancelling (the other side will read it)."),
}


class OrderError(DomainError):
    """An order step was refused; nothing changed. ``field`` names the form field at fault, if one is."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field

    def translated(self) -> str:
        # Statuses are shown by their translated names, not their code values.
        from shop.orders.labels import status_label  # labels imports aftersales, which imports orders

        params = {
            key: status_label(value) if isinstance(value, enum.Enum) else value
            for key, value in self.params.items()
        }
        return gettext(self.message, **params)


@dataclass(frozen=True)
class Step:
    #: ``ship``: the audit action is ``order.ship``.
    verb: str
    sources: frozenset[OrderStatus]
    target: OrderStatus
    #: Who may take it: ``BUYER``, ``SUPPLIER``, ``SYSTEM``.
    parties: frozenset[str]
    #: The fields the step needs (texts, stripped, not empty).
    required: tuple[str, ...]
    #: Refused for someone not among ``parties`` (params: number).
    not_yours: str
    #: Refused from a status not among ``sources`` (params: number, status).
    not_now: str


_O = OrderStatus
STEPS: dict[OrderStatus, Step] = {
    step.target: step
    for step in (
        Step(
            "ship",
            frozenset({_O.placed}),
            _O.shipped,
            frozenset({SUPPLIER}),
            ("carrier", "tracking_number"),
            N_("Only the supplier of order %(number)s may ship it."),
            N_("Order %(number)s is “%(status)s”: only a placed order can be shipped."),
        ),
        Step(
            "receive",
            frozenset({_O.shipped}),
            _O.received,
            frozenset({BUYER}),
            ("acceptance_note",),
            N_("Only the buying unit of order %(number)s may accept the goods."),
            N_("Order %(number)s is “%(status)s”: only a shipped order can be accepted."),
        ),
        Step(
            "close",
            frozenset({_O.received}),
            _O.closed,
            frozenset({BUYER, SYSTEM}),
            (),
            N_("Only the buying unit of order %(number)s may close it."),
            N_("Order %(number)s is “%(status)s”: only an accepted order can be closed."),
        ),
        Step(
            "cancel",
            frozenset({_O.placed}),
            _O.cancelled,
            frozenset({BUYER, SUPPLIER}),
            ("reason",),
            N_("Only the buying unit or the supplier of order %(number)s may cancel it."),
            N_("Order %(number)s is “%(status)s”: only an order not yet shipped can be cancelled."),
        ),
    )
}


def party_of(actor: User | None, order: Order) -> str | None:
    """The side ``actor`` takes on ``order`` (``SYSTEM`` for None), or None when it has no side."""
    return SYSTEM if actor is None else policy.order_party(actor, order)


def available_steps(actor: User, order: Order) -> list[Step]:
    """The steps ``actor`` may take on ``order`` now, in table order (for the buttons)."""
    party = party_of(actor, order)
    return [step for step in STEPS.values() if party in step.parties and order.status in step.sources]


def transition(order: Order, actor: User | None, to_status: OrderStatus | str, **fields: str | None) -> None:
    """Move ``order`` to ``to_status`` on behalf of ``actor`` (None: the system) with the step's fields.

    Fields: ``carrier`` and ``tracking_number`` (ship), ``acceptance_note`` (receive), ``reason`` (cancel).
    Cancelling restores the stock and, for an order already paid, records a pending refund of its total.

    :raise OrderError: no step leads to ``to_status``; the actor is not a side allowed to take it; the
        order's current status does not allow it; a required field is missing or too long.
    :raise TypeError: a field the step does not take (a programming error).
    """
    try:
        step = STEPS[OrderStatus(to_status)]
    except (KeyError, ValueError):
        raise OrderError(N_("An order cannot be moved to “%(status)s”."), status=str(to_status)) from None
    unknown = set(fields) - set(step.required)
    if unknown:
        raise TypeError(f"step {step.verb} takes no field {', '.join(sorted(unknown))}")
    # Re-read the status under a row lock: the two sides acting at once must not both move it.
    lock_row(order)
    if party_of(actor, order) not in step.parties:
        raise OrderError(step.not_yours, number=order.number)
    if order.status not in step.sources:
        raise OrderError(step.not_now, number=order.number, status=order.status)
    values = _checked_fields(step, fields)

    previous, now = order.status, utcnow()
    order.status = step.target
    note = _apply(step, order, values, now)
    db.session.add(
        OrderEvent(
            order=order,
            at=now,
            actor_id=actor.id if actor is not None else None,
            kind="status",
            from_status=previous.value,
            to_status=step.target.value,
            note=note,
        )
    )
    audit.record(
        actor,
        f"order.{step.verb}",
        order,
        number=order.number,
        from_status=previous,
        to_status=step.target,
        **values,
    )
    _announce(step, order, actor, values)
    db.session.flush()


def _checked_fields(step: Step, fields: dict) -> dict[str, str]:
    values = {}
    for name in step.required:
        value = (fields.get(name) or "").strip()
        if not value:
            raise OrderError(_MISSING[name], field=name)
        if len(value) > _TEXT_LIMITS[name]:
            raise OrderError(
                N_("This text is too long (at most %(max)d characters)."), field=name, max=_TEXT_LIMITS[name]
            )
        values[name] = value
    return values


def _apply(step: Step, order: Order, values: dict, now: datetime) -> str | None:
    """Set the step's timestamp and fields on ``order``; returns the event's note."""
    if step.target == _O.shipped:
        order.shipped_at, order.carrier, order.tracking_number = (
            now,
            values["carrier"],
            values["tracking_number"],
        )
        return f"{order.carrier} {order.tracking_number}"
    if step.target == _O.received:
        order.received_at, order.acceptance_note = now, values["acceptance_note"]
        return order.acceptance_note
    if step.target == _O.closed:
        order.closed_at = now
        return None
    order.cancelled_at, order.cancel_reason = now, values["reason"]
    # The checkout's counterpart: products updated in id order, as the checkout locks them.
    restore_stock(order)
    if order.payment_status == PaymentStatus.paid:
        # Paid before shipment: the money is owed back (the payments issue settles it).
        db.session.add(Refund(order=order, amount=order.total, reason=values["reason"]))
    return order.cancel_reason


# --- notices -----------------------------------------------------------------------------------------------


def order_link(order: Order) -> str:
    """The order's page, for notices (a path also outside a request, e.g. from a command)."""
    try:
        return url_for("orders.detail", order_id=order.id, _external=False)
    except (BuildError, RuntimeError):
        return f"/orders/{order.id}"


def supplier_accounts(supplier_id: int) -> list[User]:
    """The supplier's enabled accounts: who is told about its orders."""
    return list(
        db.session.scalars(
            select(User).where(User.supplier_id == supplier_id, User.enabled.is_(True)).order_by(User.id)
        )
    )


def _announce(step: Step, order: Order, actor: User | None, values: dict) -> None:
    link = order_link(order)
    if step.target == _O.shipped:
        notify(
            [order.purchaser],
            N_("Order %(number)s was shipped: %(carrier)s, tracking number %(tracking)s."),
            link=link,
            number=order.number,
            carrier=values["carrier"],
            tracking=values["tracking_number"],
        )
    elif step.target == _O.cancelled:
        if party_of(actor, order) == SUPPLIER:
            notify(
                [order.purchaser],
                N_("Order %(number)s was cancelled by the supplier: %(reason)s"),
                link=link,
                number=order.number,
                reason=values["reason"],
            )
        else:
            notify(
                supplier_accounts(order.supplier_id),
                N_("Order %(number)s was cancelled by the buyer: %(reason)s"),
                link=link,
                number=order.number,
                reason=values["reason"],
            )


# --- automatic closing -------------------------------------------------------------------------------------


def close_received_orders(now: datetime | None = None, after: timedelta = AUTO_CLOSE_AFTER) -> int:
    """Close (as the system) the orders received more than ``after`` ago; returns how many.

    Meant for a periodic command; each order goes through ``transition``, so each gets its event and
    audit entry. Flushes, never commits.
    """
    cutoff = (now or utcnow()) - after
    orders = db.session.scalars(
        select(Order)
        .where(Order.status == _O.received, Order.received_at < cutoff)
        .order_by(Order.id)
        .options(selectinload(Order.lines))
    ).all()
    for order in orders:
        transition(order, None, _O.closed)
    return len(orders)


# --- order again -------------------------------------------------------------------------------------------


@dataclass
class Reordered:
    """What "order again" did: the products put in the cart, and those left out with the reason."""

    added: list[str]
    skipped: list[tuple[str, DomainError]]


def order_again(user: User, order: Order) -> Reordered:
    """Put the products of ``order`` that are still on sale into ``user``'s cart, each at the quantity
    ordered then (at least the product's minimum order), at today's price (``price_seen``).

    A product no longer on sale, or whose stock is now short, is left out (with the reason); the rest are
    added. Flushes, never commits.

    :raise OrderError: the user is not a buyer of the order's unit.
    """
    if party_of(user, order) != BUYER:
        raise OrderError(
            N_("Only the buying unit of order %(number)s may order it again."), number=order.number
        )
    lines = sorted(order.lines, key=lambda line: line.product_id)
    products = {
        product.id: product
        for product in db.session.scalars(
            select(Product)
            .where(Product.id.in_({line.product_id for line in lines}))
            .options(joinedload(Product.supplier))
        )
    }
    result = Reordered([], [])
    for line in lines:
        product = products[line.product_id]
        quantity = max(line.quantity, product.min_order_quantity)
        try:
            # add_item checks everything before changing anything, so a refusal leaves the cart as it was.
            add_item(user, product, quantity)
        except DomainError as error:
            result.skipped.append((product.name, error))
        else:
            result.added.append(product.name)
    audit.record(user, "order.reorder", order, number=order.number, added=len(result.added))
    db.session.flush()
    return result
