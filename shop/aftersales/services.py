"""After delivery: return requests, the supplier's answer (an accepted return becomes a pending refund), and
the buyer's performance evaluation (履约评价).

Services take explicit arguments, check, write the order's timeline (``OrderEvent`` of kind ``return`` or
``evaluation``), audit, notify, flush and raise ``AftersalesError``; they never commit. The refund's money
is settled by the payments issue.
"""

import enum
import re
from decimal import Decimal

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.routing import BuildError

from accounts import audit
from accounts.models import User
from accounts.notices import notify
from shop import policy
from shop.aftersales import photos as photo_files
from shop.aftersales.models import Evaluation, Refund, ReturnLine, ReturnPhoto, ReturnRequest, ReturnStatus
from shop.common import N_, DomainError, lock_row, utcnow
from shop.extensions import db
from shop.formatting import yuan
from shop.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from shop.orders.queries import pending_return_quantities
from shop.orders.transitions import supplier_accounts

MAX_PHOTOS = 3
REASON_MAX = 500
COMMENT_MAX = 1000
#: Returns are asked after acceptance (验收) and before the order is closed.
RETURNABLE = frozenset({OrderStatus.received})
#: An order is evaluated once the goods are accepted, also after closing.
EVALUABLE = frozenset({OrderStatus.received, OrderStatus.closed})
SCORES = ("quality", "delivery", "service")

_WHOLE = re.compile(r"^\d{1,9}$")


class AftersalesError(DomainError):
    """A return or evaluation was refused; nothing changed. ``field`` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field

    def translated(self) -> str:
        from shop.orders.labels import status_label

        params = {
            key: status_label(value) if isinstance(value, enum.Enum) else value
            for key, value in self.params.items()
        }
        return gettext(self.message, **params)


def _check_buyer(actor: User, order: Order, message: str) -> None:
    if policy.order_party(actor, order) != "buyer":
        raise AftersalesError(message, number=order.number)


# --- return requests ---------------------------------------------------------------------------------------


def returnable_quantities(order: Order) -> dict[int, int]:
    """Per order line: what may still be asked back (ordered − returned − asked in open requests)."""
    pending = pending_return_quantities(order.id)
    return {line.id: line.quantity - line.returned_quantity - pending.get(line.id, 0) for line in order.lines}


def _parse_quantity(value, line: OrderLine) -> int:
    """A quantity as typed (or given): empty means none; otherwise a whole number ≥ 0."""
    text = "" if value is None else str(value).strip()
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if not isinstance(value, bool | int) and (not text or _WHOLE.match(text)):
        return int(text or 0)
    raise AftersalesError(
        N_("The quantity of %(product)s must be a whole number."),
        field=f"line-{line.id}",
        product=line.product_name,
    )


def request_return(
    actor: User,
    order: Order,
    quantities: dict[int, int | str | None],
    reason: str | None,
    photos: list[tuple[str, bytes]] | None = None,
) -> ReturnRequest:
    """The buyer asks to return some of a received order's lines (``quantities``: order line id →
    quantity, 0 or empty for none), with a reason and up to three photos (file name, bytes).

    Tells the supplier's accounts. Audits ``return.request``.

    :raise AftersalesError: not a buyer of the order; the order is not received; an unknown line; a
        quantity not a whole number or above what may still be returned; nothing asked; no reason; more
        than three photos or one that is not a JPEG, PNG or WebP picture.
    """
    _check_buyer(actor, order, N_("Only the buying unit of order %(number)s may ask for a return."))
    # Locks the order: two requests at once must not both count the same returnable units.
    lock_row(order)
    if order.status not in RETURNABLE:
        raise AftersalesError(
            N_("Order %(number)s is “%(status)s”: returns are asked between acceptance and closing."),
            number=order.number,
            status=order.status,
        )
    lines = {line.id: line for line in order.lines}
    unknown = set(quantities) - set(lines)
    if unknown:
        raise AftersalesError(
            N_("The return names a line that is not on order %(number)s."), number=order.number
        )
    returnable = returnable_quantities(order)
    asked: dict[int, int] = {}
    for line_id in sorted(quantities):
        line = lines[line_id]
        quantity = _parse_quantity(quantities[line_id], line)
        if quantity > returnable[line_id]:
            raise AftersalesError(
                N_("At most %(max)d %(unit)s of %(product)s can still be returned."),
                field=f"line-{line_id}",
                max=max(returnable[line_id], 0),
                unit=line.unit,
                product=line.product_name,
            )
        if quantity:
            asked[line_id] = quantity
    if not asked:
        raise AftersalesError(N_("Give the quantity to return of at least one line."))
    reason = (reason or "").strip()
    if not reason:
        raise AftersalesError(
            N_("Give the reason for the return (the supplier will read it)."), field="reason"
        )
    if len(reason) > REASON_MAX:
        raise AftersalesError(
            N_("This text is too long (at most %(max)d characters)."), "reason", max=REASON_MAX
        )
    photos = photos or []
    if len(photos) > MAX_PHOTOS:
        raise AftersalesError(N_("At most %(count)d photos."), field="photos", count=MAX_PHOTOS)
    checked = [photo_files.check(name, data) for name, data in photos]  # all checked before any is written

    request = ReturnRequest(
        order=order, requested_by_id=actor.id, reason=reason, status=ReturnStatus.requested
    )
    request.lines = [ReturnLine(order_line_id=line_id, quantity=q) for line_id, q in asked.items()]
    request.photos = [
        ReturnPhoto(filename=photo_files.write(photo), content_type=photo.content_type) for photo in checked
    ]
    db.session.add(request)
    _event(order, actor, None, ReturnStatus.requested, reason)
    db.session.flush()
    audit.record(
        actor,
        "return.request",
        request,
        order=order.number,
        lines={str(line_id): q for line_id, q in asked.items()},
        photos=len(checked),
        reason=reason,
    )
    notify(
        supplier_accounts(order.supplier_id),
        N_("Return asked on order %(number)s by %(unit)s: %(reason)s"),
        link=return_link(request),
        number=order.number,
        unit=order.unit.name,
        reason=reason,
    )
    db.session.flush()
    return request


def _check_answer(actor: User, request: ReturnRequest) -> None:
    order = request.order
    if policy.order_party(actor, order) != "supplier":
        raise AftersalesError(
            N_("Only the supplier of order %(number)s may answer its returns."), number=order.number
        )
    # Locks the request: two answers at once must not both be taken.
    lock_row(request)
    if request.status != ReturnStatus.requested:
        raise AftersalesError(
            N_("This return is already “%(status)s”."), number=order.number, status=request.status
        )


def accept_return(actor: User, request: ReturnRequest) -> Refund:
    """The supplier accepts: the lines' returned quantities grow, and a pending refund of
    Σ unit price × quantity is recorded with the request's reason. Tells the purchaser. Audits
    ``return.accept``.

    :raise AftersalesError: not the order's supplier; the request is already answered; a line's quantity
        no longer fits what remains returnable.
    """
    _check_answer(actor, request)
    order = request.order
    lines = {
        line.id: line
        for line in db.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id).with_for_update()
        )
    }
    amount = Decimal("0.00")
    for returned in sorted(request.lines, key=lambda item: item.order_line_id):
        line = lines[returned.order_line_id]
        if line.returned_quantity + returned.quantity > line.quantity:
            raise AftersalesError(
                N_("At most %(max)d %(unit)s of %(product)s can still be returned."),
                max=line.quantity - line.returned_quantity,
                unit=line.unit,
                product=line.product_name,
            )
        line.returned_quantity += returned.quantity
        amount += line.unit_price * returned.quantity
    request.status, request.decided_at, request.decided_by_id = ReturnStatus.accepted, utcnow(), actor.id
    refund = Refund(order=order, return_request=request, amount=amount, reason=request.reason)
    db.session.add(refund)
    _event(order, actor, ReturnStatus.requested, ReturnStatus.accepted, None)
    db.session.flush()
    audit.record(actor, "return.accept", request, order=order.number, refund=refund.id, amount=str(amount))
    notify(
        [order.purchaser],
        N_("Your return on order %(number)s was accepted: a refund of %(amount)s is recorded."),
        link=return_link(request),
        number=order.number,
        amount=yuan(amount),
    )
    db.session.flush()
    return refund


def refuse_return(actor: User, request: ReturnRequest, response: str | None) -> None:
    """The supplier refuses, with a reason the buyer reads. Tells the purchaser. Audits ``return.refuse``.

    :raise AftersalesError: not the order's supplier; the request is already answered; no reason.
    """
    _check_answer(actor, request)
    response = (response or "").strip()
    if not response:
        raise AftersalesError(N_("Give the reason for refusing (the buyer will read it)."), field="response")
    if len(response) > REASON_MAX:
        raise AftersalesError(
            N_("This text is too long (at most %(max)d characters)."), "response", max=REASON_MAX
        )
    order = request.order
    request.status, request.response = ReturnStatus.refused, response
    request.decided_at, request.decided_by_id = utcnow(), actor.id
    _event(order, actor, ReturnStatus.requested, ReturnStatus.refused, response)
    audit.record(actor, "return.refuse", request, order=order.number, response=response)
    notify(
        [order.purchaser],
        N_("Your return on order %(number)s was refused: %(reason)s"),
        link=return_link(request),
        number=order.number,
        reason=response,
    )
    db.session.flush()


def return_link(request: ReturnRequest) -> str:
    try:
        return url_for("aftersales.return_detail", request_id=request.id, _external=False)
    except (BuildError, RuntimeError):
        return f"/aftersales/returns/{request.id}"


def _event(order: Order, actor: User, before, after, note: str | None, kind: str = "return") -> None:
    db.session.add(
        OrderEvent(
            order=order,
            actor_id=actor.id,
            kind=kind,
            from_status=before.value if before is not None else None,
            to_status=after.value if isinstance(after, enum.Enum) else after,
            note=note,
        )
    )


# --- evaluations (履约评价) ---------------------------------------------------------------------------------


def _score(name: str, value) -> int:
    """A score as typed (or given): a whole number from 1 to 5, nothing else (not 4.5, not True)."""
    if isinstance(value, bool):
        value = None
    text = str(value).strip() if value is not None else ""
    if text not in ("1", "2", "3", "4", "5"):
        raise AftersalesError(N_("Each score is a whole number from 1 to 5."), field=name)
    return int(text)


def evaluate(actor: User, order: Order, quality, delivery, service, comment: str | None = "") -> Evaluation:
    """The buyer rates a received (or closed) order once: quality, delivery and service, 1–5 each, and
    a comment. Audits ``order.evaluate``.

    :raise AftersalesError: not a buyer of the order; the goods are not accepted yet; already
        evaluated; a score not a whole number from 1 to 5; a comment too long.
    """
    _check_buyer(actor, order, N_("Only the buying unit of order %(number)s may evaluate it."))
    if order.status not in EVALUABLE:
        raise AftersalesError(
            N_("Order %(number)s is “%(status)s”: it can be evaluated once the goods are accepted."),
            number=order.number,
            status=order.status,
        )
    already = N_("Order %(number)s is already evaluated.")
    if db.session.scalar(select(Evaluation.id).where(Evaluation.order_id == order.id)) is not None:
        raise AftersalesError(already, number=order.number)
    scores = {
        name: _score(name, value) for name, value in zip(SCORES, (quality, delivery, service), strict=True)
    }
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise AftersalesError(
            N_("This text is too long (at most %(max)d characters)."), "comment", max=COMMENT_MAX
        )
    evaluation = Evaluation(
        order_id=order.id, supplier_id=order.supplier_id, author_id=actor.id, comment=comment, **scores
    )
    try:
        with db.session.begin_nested():  # the unique order_id decides between two evaluations at once
            db.session.add(evaluation)
    except IntegrityError:
        raise AftersalesError(already, number=order.number) from None
    note = " / ".join(f"{scores[name]}" for name in SCORES)
    _event(order, actor, None, "evaluated", f"{note} {comment}".strip(), kind="evaluation")
    audit.record(actor, "order.evaluate", order, number=order.number, comment=comment, **scores)
    db.session.flush()
    return evaluation
