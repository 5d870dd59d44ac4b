"""Admission (DESIGN.md rule 5): a supplier applies, its county recommends, the operator admits; the operator
may reject, suspend and reinstate.

``TRANSITIONS`` is the one place that says who may move a supplier from which status to which, and
``apply_transition`` the one function that moves it: it checks, audits, notifies and flushes.

Who recommends: the issue names the finance bureau of the supplier's county. A finance user of a region
above the county (the city's) may recommend too, because ``policy.can_view_supplier`` puts every county of
its subtree in its scope; a city without county finance accounts on the platform could otherwise never
recommend its suppliers. The county's finance users and every one above it are told of each application.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from accounts import audit, policy
from accounts.models import Role, Supplier, SupplierStatus, User
from accounts.notices import notify
from accounts.suppliers.errors import SupplierError, not_now, not_yours
from accounts.suppliers.reading import accounts_of, operators, supplier_link
from shop.common import N_, lock_row, utcnow
from shop.extensions import db

# --- who may do which transition ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    #: The audit action written, e.g. ``supplier.recommend``.
    action: str
    target: SupplierStatus
    #: Which role may take the step, from which statuses. A finance user must also have the supplier's
    #: county in its region's subtree (``policy.can_view_supplier``).
    allowed_from: Mapping[Role, frozenset[SupplierStatus]]
    #: The notice the supplier's own accounts receive (params: name, reason).
    notice: str
    reason_required: bool = False
    #: The step moves the supplier onto the platform: its county must still be a poverty county now (a
    #: county may lose the status between the application and the decision).
    needs_poverty_county: bool = False


_S = SupplierStatus
TRANSITIONS: dict[str, Transition] = {
    "recommend": Transition(
        "supplier.recommend",
        _S.recommended,
        {Role.finance: frozenset({_S.applied})},
        N_("Your supplier application %(name)s was recommended by the finance bureau and awaits admission."),
        needs_poverty_county=True,
    ),
    "admit": Transition(
        "supplier.admit",
        _S.admitted,
        {Role.operator: frozenset({_S.recommended})},
        N_("Your supplier %(name)s is admitted to the platform: you may now list products."),
        needs_poverty_county=True,
    ),
    "reject": Transition(
        "supplier.reject",
        _S.rejected,
        {Role.finance: frozenset({_S.applied}), Role.operator: frozenset({_S.applied, _S.recommended})},
        N_("Your supplier application %(name)s was rejected: %(reason)s"),
        reason_required=True,
    ),
    "suspend": Transition(
        "supplier.suspend",
        _S.suspended,
        {Role.operator: frozenset({_S.admitted})},
        N_("Your supplier %(name)s is suspended: %(reason)s"),
        reason_required=True,
    ),
    "reinstate": Transition(
        "supplier.reinstate",
        _S.admitted,
        {Role.operator: frozenset({_S.suspended})},
        N_("Your supplier %(name)s is reinstated: you may list products again."),
    ),
}


def may_transition(actor: User, supplier: Supplier, name: str) -> bool:
    """May ``actor`` take step ``name`` on ``supplier`` now (role, scope and current status)?"""
    transition = TRANSITIONS[name]
    statuses = transition.allowed_from.get(actor.role)
    return statuses is not None and supplier.status in statuses and policy.can_view_supplier(actor, supplier)


def available_transitions(actor: User, supplier: Supplier) -> list[str]:
    """The steps ``actor`` may take on ``supplier`` now, in table order (for the buttons)."""
    return [name for name in TRANSITIONS if may_transition(actor, supplier, name)]


def apply_transition(actor: User, supplier: Supplier, name: str, reason: str | None = None) -> None:
    """Move ``supplier`` by step ``name``; audit it and tell the supplier's accounts.

    :raise SupplierError: the actor's role may never take this step or the supplier is out of its scope;
        the supplier's current status does not allow it; a required reason is missing; the step admits
        the supplier to the platform and its county is no longer a poverty county.
    """
    transition = TRANSITIONS[name]
    # Re-read the status under a row lock: two reviewers acting at once must not both move it.
    lock_row(supplier)
    statuses = transition.allowed_from.get(actor.role)
    if statuses is None or not policy.can_view_supplier(actor, supplier):
        raise not_yours(supplier)
    if supplier.status not in statuses:
        raise not_now(supplier)
    if transition.needs_poverty_county and not supplier.region.is_poverty_county:
        raise SupplierError(
            N_(
                "%(name)s is registered in %(county)s, which is no longer a poverty county: it cannot be "
                "recommended or admitted."
            ),
            name=supplier.name,
            county=supplier.region.full_name,
        )
    reason = (reason or "").strip()
    if transition.reason_required and not reason:
        raise SupplierError(N_("Give the reason (the supplier will read it)."), field="reason")
    previous = supplier.status
    now = utcnow()
    supplier.status = transition.target
    supplier.status_reason = reason if transition.reason_required else None
    if transition.target == _S.recommended:
        supplier.recommended_at = now
    if name == "admit":
        supplier.admitted_at = now
    audit.record(
        actor,
        transition.action,
        supplier,
        from_status=previous,
        to_status=transition.target,
        reason=reason or None,
    )
    link = supplier_link(supplier)
    notify(accounts_of(supplier), transition.notice, link=link, name=supplier.name, reason=reason)
    if name == "recommend":
        notify(
            operators(),
            N_("Supplier %(name)s was recommended by its county and awaits admission."),
            link=link,
            name=supplier.name,
        )
    db.session.flush()
