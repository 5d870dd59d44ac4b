"""Supplier registration and admission (DESIGN.md rule 5): a supplier applies, its county recommends, the
operator admits; the operator may reject, suspend and reinstate.

Services take explicit arguments, validate, audit, notify, flush and raise ``SupplierError``; they never
commit and never read the request. ``TRANSITIONS`` is the one place that says who may move a supplier from
which status to which.
"""

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from flask import has_request_context, url_for
from flask_babel import gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from accounts import audit, policy, services
from accounts.models import (
    AuditEntry,
    Region,
    RegionLevel,
    Role,
    Supplier,
    SupplierKind,
    SupplierStatus,
    User,
)
from accounts.notices import notify
from accounts.validators import is_valid_credit_code, is_valid_phone, normalise_credit_code
from shop.common import N_, DomainError, utcnow
from shop.extensions import db


class SupplierError(DomainError):
    """A supplier rule refused the request. ``field`` names the form field at fault, when there is one."""

    def __init__(self, message: str, field: str | None = None, **params):
        super().__init__(message, **params)
        self.field = field

    def translated(self) -> str:
        # Statuses and kinds are shown by their translated names, not their code values.
        from accounts.labels import label

        params = {
            key: label(value) if isinstance(value, enum.Enum) else value for key, value in self.params.items()
        }
        return gettext(self.message, **params)


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


_S = SupplierStatus
TRANSITIONS: dict[str, Transition] = {
    "recommend": Transition(
        "supplier.recommend",
        _S.recommended,
        {Role.finance: frozenset({_S.applied})},
        N_("Your supplier application %(name)s was recommended by the finance bureau and awaits admission."),
    ),
    "admit": Transition(
        "supplier.admit",
        _S.admitted,
        {Role.operator: frozenset({_S.recommended})},
        N_("Your supplier %(name)s is admitted to the platform: you may now list products."),
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
        the supplier's current status does not allow it; a required reason is missing.
    """
    transition = TRANSITIONS[name]
    # Re-read the status under a row lock: two reviewers acting at once must not both move it.
    db.session.refresh(supplier, with_for_update=True)
    statuses = transition.allowed_from.get(actor.role)
    if statuses is None or not policy.can_view_supplier(actor, supplier):
        raise _not_yours(supplier)
    if supplier.status not in statuses:
        raise _not_now(supplier)
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
    notify(_accounts_of(supplier), transition.notice, link=link, name=supplier.name, reason=reason)
    if name == "recommend":
        notify(
            _operators(),
            N_("Supplier %(name)s was recommended by its county and awaits admission."),
            link=link,
            name=supplier.name,
        )
    db.session.flush()


def _not_yours(supplier: Supplier) -> SupplierError:
    return SupplierError(N_("Your account may not take this step for %(name)s."), name=supplier.name)


def _not_now(supplier: Supplier) -> SupplierError:
    return SupplierError(
        N_("%(name)s is now “%(status)s”: this step is not possible."),
        name=supplier.name,
        status=supplier.status,
    )


def recommend(actor: User, supplier: Supplier, reason: str | None = None) -> None:
    """Finance of the supplier's county (or above): applied → recommended."""
    apply_transition(actor, supplier, "recommend", reason)


def admit(actor: User, supplier: Supplier, reason: str | None = None) -> None:
    """Operator: recommended → admitted; the supplier may then list products."""
    apply_transition(actor, supplier, "admit", reason)


def reject(actor: User, supplier: Supplier, reason: str | None = None) -> None:
    """Finance (applied) or operator (applied, recommended) → rejected, with a reason."""
    apply_transition(actor, supplier, "reject", reason)


def suspend(actor: User, supplier: Supplier, reason: str | None = None) -> None:
    """Operator: admitted → suspended, with a reason."""
    apply_transition(actor, supplier, "suspend", reason)


def reinstate(actor: User, supplier: Supplier, reason: str | None = None) -> None:
    """Operator: suspended → admitted."""
    apply_transition(actor, supplier, "reinstate", reason)


# --- registration and resubmission -------------------------------------------------------------------------


@dataclass
class SupplierFacts:
    """What a supplier states about itself, as entered (the services normalise and check it)."""

    name: str
    kind: str
    credit_code: str
    region_id: int | None
    contact_name: str
    contact_phone: str
    bank_name: str
    bank_account: str
    households: int | None
    #: Filled in by ``_checked``: the county row for ``region_id``.
    region: Region | None = field(default=None, repr=False)


_BANK_ACCOUNT = re.compile(r"^\d{8,34}$")


def _checked(facts: SupplierFacts, supplier: Supplier | None = None) -> SupplierFacts:
    """Normalise ``facts`` and check every rule; ``supplier`` is the one being edited, if any.

    :raise SupplierError: naming the first field at fault.
    """
    facts.name = (facts.name or "").strip()
    if not facts.name or len(facts.name) > 128:
        raise SupplierError(N_("Enter the supplier's name (at most 128 characters)."), field="name")
    try:
        facts.kind = SupplierKind(facts.kind)
    except ValueError:
        raise SupplierError(N_("Choose the kind of supplier."), field="kind") from None
    facts.credit_code = normalise_credit_code(facts.credit_code)
    if not is_valid_credit_code(facts.credit_code):
        raise SupplierError(
            N_("The unified social credit code %(code)s is not valid (18 characters with a check digit)."),
            field="credit_code",
            code=facts.credit_code,
        )
    taken = select(Supplier.id).where(Supplier.credit_code == facts.credit_code)
    if supplier is not None:
        taken = taken.where(Supplier.id != supplier.id)
    if db.session.scalar(taken) is not None:
        raise SupplierError(
            N_("A supplier with the unified social credit code %(code)s is already registered."),
            field="credit_code",
            code=facts.credit_code,
        )
    region = db.session.get(Region, facts.region_id) if facts.region_id else None
    if region is None or region.level != RegionLevel.county or not region.is_poverty_county:
        raise SupplierError(N_("The county must be a poverty county."), field="region_id")
    facts.region = region
    facts.contact_name = (facts.contact_name or "").strip()
    if not facts.contact_name or len(facts.contact_name) > 64:
        raise SupplierError(
            N_("Enter the contact person's name (at most 64 characters)."), field="contact_name"
        )
    facts.contact_phone = (facts.contact_phone or "").strip()
    if not is_valid_phone(facts.contact_phone):
        raise SupplierError(
            N_("The contact phone %(phone)s is not valid."), field="contact_phone", phone=facts.contact_phone
        )
    facts.bank_name = (facts.bank_name or "").strip()
    if not facts.bank_name or len(facts.bank_name) > 128:
        raise SupplierError(N_("Enter the bank name (at most 128 characters)."), field="bank_name")
    # People copy account numbers with spaces between the digit groups.
    facts.bank_account = re.sub(r"[\s-]", "", facts.bank_account or "")
    if not _BANK_ACCOUNT.match(facts.bank_account):
        raise SupplierError(N_("The bank account must be 8 to 34 digits."), field="bank_account")
    if not isinstance(facts.households, int) or facts.households < 0:
        raise SupplierError(
            N_("The number of linked poverty households must be a whole number, 0 or more."),
            field="households",
        )
    return facts


#: The supplier columns ``SupplierFacts`` fills (``region``, the checked county, stands for ``region_id``).
_FACT_FIELDS = [fact.name for fact in fields(SupplierFacts) if fact.name != "region_id"]


def register_supplier(facts: SupplierFacts, *, username: str, password: str) -> tuple[Supplier, User]:
    """A supplier applies: create it (status applied) and its login account, activated at once because the
    supplier chose the password. Audits ``supplier.apply``; tells the finance users of its county and above.

    :raise SupplierError: a fact is missing or wrong (credit code, poverty county, phone, bank account …).
    :raise AccountError: the username or password is refused.
    """
    _checked(facts)
    # Refuse a bad account before anything is added, so the session holds nothing half-made.
    username = (username or "").strip()
    if services.username_taken(username):
        raise services.AccountError(N_("The username %(username)s is already taken."), username=username)
    services.check_password_policy(password or "", username)
    supplier = Supplier(
        status=_S.applied, applied_at=utcnow(), **{name: getattr(facts, name) for name in _FACT_FIELDS}
    )
    try:
        # The unique constraint decides between two simultaneous registrations with one code.
        with db.session.begin_nested():
            db.session.add(supplier)
    except IntegrityError:
        raise SupplierError(
            N_("A supplier with the unified social credit code %(code)s is already registered."),
            field="credit_code",
            code=facts.credit_code,
        ) from None
    user, _ = services.create_user(
        None,
        username=username,
        name=facts.contact_name,
        role=Role.supplier,
        supplier=supplier,
        phone=facts.contact_phone,
        password=password,
    )
    audit.record(
        user,
        "supplier.apply",
        supplier,
        name=supplier.name,
        credit_code=supplier.credit_code,
        county=facts.region.code,
    )
    notify(
        _finance_over(facts.region),
        N_("Supplier %(name)s applied for admission and awaits your recommendation."),
        link=supplier_link(supplier),
        name=supplier.name,
    )
    db.session.flush()
    return supplier, user


def resubmit_supplier(actor: User, supplier: Supplier, facts: SupplierFacts) -> None:
    """A rejected supplier corrects its data and applies again (status back to applied).

    :raise SupplierError: the actor is not this supplier's account, the supplier is not rejected, or a fact
        is wrong.
    """
    if actor.role != Role.supplier or actor.supplier_id != supplier.id:
        raise _not_yours(supplier)
    db.session.refresh(supplier, with_for_update=True)
    if supplier.status != _S.rejected:
        raise _not_now(supplier)
    _checked(facts, supplier)
    changed = [name for name in _FACT_FIELDS if getattr(supplier, name) != getattr(facts, name)]
    for name in changed:
        setattr(supplier, name, getattr(facts, name))
    supplier.status = _S.applied
    supplier.status_reason = None
    supplier.applied_at = utcnow()
    supplier.recommended_at = None
    audit.record(actor, "supplier.resubmit", supplier, changed=changed)
    notify(
        _finance_over(supplier.region),
        N_("Supplier %(name)s corrected its application and awaits your recommendation again."),
        link=supplier_link(supplier),
        name=supplier.name,
    )
    db.session.flush()


# --- reading -----------------------------------------------------------------------------------------------


def status_history(supplier: Supplier) -> list[AuditEntry]:
    """The supplier's admission steps, newest first, from the audit log (one query)."""
    return db.session.scalars(
        select(AuditEntry)
        .options(joinedload(AuditEntry.actor))
        .where(
            AuditEntry.object_type == Supplier.__tablename__,
            AuditEntry.object_id == supplier.id,
            AuditEntry.action.like("supplier.%"),
        )
        .order_by(AuditEntry.id.desc())
    ).all()


def waiting(user: User, status: SupplierStatus, limit: int = 5) -> tuple[int, list[Supplier]]:
    """How many suppliers in ``user``'s scope have ``status``, and the oldest ``limit`` of them."""
    query = select(Supplier).where(Supplier.status == status)
    scope = policy.supplier_scope(user)
    if scope is not None:
        query = query.where(scope)
    count = db.session.scalar(select(func.count()).select_from(query.subquery()))
    first = (
        db.session.scalars(query.order_by(Supplier.applied_at, Supplier.id).limit(limit)).all()
        if count
        else []
    )
    return count, list(first)


def supplier_link(supplier: Supplier) -> str:
    """The supplier's page, for notices (also outside a request, e.g. from the demo loader)."""
    if has_request_context():
        return url_for("suppliers.detail", supplier_id=supplier.id)
    return f"/suppliers/{supplier.id}"


def _accounts_of(supplier: Supplier) -> list[User]:
    return db.session.scalars(
        select(User).where(User.supplier_id == supplier.id, User.enabled.is_(True))
    ).all()


def _operators() -> list[User]:
    return db.session.scalars(select(User).where(User.role == Role.operator, User.enabled.is_(True))).all()


def _finance_over(county: Region) -> list[User]:
    """Finance users whose region is ``county`` or one above it."""
    region_ids, region = [], county
    while region is not None:
        region_ids.append(region.id)
        region = region.parent
    return db.session.scalars(
        select(User).where(User.role == Role.finance, User.enabled.is_(True), User.region_id.in_(region_ids))
    ).all()
