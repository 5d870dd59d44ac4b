"""A supplier registers (applies) and, once rejected, corrects its data and applies again.

Both check every fact with ``_checked`` (credit code, poverty county, phone, bank account …), audit, tell
the finance bureaus over the county, flush and raise ``SupplierError``; neither commits.
"""

import re
from dataclasses import dataclass, field, fields

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accounts import audit, services
from accounts.models import Region, RegionLevel, Role, Supplier, SupplierKind, SupplierStatus, User
from accounts.notices import notify
from accounts.suppliers.errors import SupplierError, not_now, not_yours
from accounts.suppliers.reading import finance_over, supplier_link
from accounts.validators import is_valid_credit_code, is_valid_phone, normalise_credit_code
from shop.common import N_, lock_row, utcnow
from shop.extensions import db


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
        status=SupplierStatus.applied,
        applied_at=utcnow(),
        **{name: getattr(facts, name) for name in _FACT_FIELDS},
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
        finance_over(facts.region),
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
        raise not_yours(supplier)
    lock_row(supplier)
    if supplier.status != SupplierStatus.rejected:
        raise not_now(supplier)
    _checked(facts, supplier)
    changed = [name for name in _FACT_FIELDS if getattr(supplier, name) != getattr(facts, name)]
    for name in changed:
        setattr(supplier, name, getattr(facts, name))
    supplier.status = SupplierStatus.applied
    supplier.status_reason = None
    supplier.applied_at = utcnow()
    supplier.recommended_at = None
    audit.record(actor, "supplier.resubmit", supplier, changed=changed)
    notify(
        finance_over(supplier.region),
        N_("Supplier %(name)s corrected its application and awaits your recommendation again."),
        link=supplier_link(supplier),
        name=supplier.name,
    )
    db.session.flush()
