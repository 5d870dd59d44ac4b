"""Human names for the enumerations, in the user's language, and the one definition of an account's status.

``label(value)`` names any enumeration member listed here; ``status_class(value)`` gives the site.css
``status-<x>`` badge class of a status. Pages never spell these out themselves.
"""

import enum

from flask_babel import lazy_gettext as _l

from accounts.models import RegionLevel, Role, SupplierKind, SupplierStatus, User


class AccountStatus(enum.StrEnum):
    """Where an account stands, derived from ``enabled`` and ``activated_at`` (not stored)."""

    #: Opened with an initial password; the owner has not chosen one yet.
    not_activated = "not_activated"
    active = "active"
    #: Deactivated by a manager: cannot log in.
    deactivated = "deactivated"


def account_status(user: User) -> AccountStatus:
    if not user.enabled:
        return AccountStatus.deactivated
    return AccountStatus.active if user.activated_at is not None else AccountStatus.not_activated


LABELS = {
    Role.purchaser: _l("Purchaser"),
    Role.unit_manager: _l("Unit manager"),
    Role.supplier: _l("Supplier"),
    Role.finance: _l("Finance bureau"),
    Role.operator: _l("Platform operator"),
    RegionLevel.province: _l("Province"),
    RegionLevel.city: _l("City"),
    RegionLevel.county: _l("County"),
    SupplierKind.enterprise: _l("Enterprise"),
    SupplierKind.coop: _l("Farmers' cooperative"),
    SupplierKind.family_farm: _l("Family farm"),
    SupplierKind.agent: _l("Trading agent"),
    SupplierStatus.applied: _l("Applied"),
    SupplierStatus.recommended: _l("Recommended"),
    SupplierStatus.admitted: _l("Admitted"),
    SupplierStatus.rejected: _l("Rejected"),
    SupplierStatus.suspended: _l("Suspended"),
    AccountStatus.not_activated: _l("Not activated"),
    AccountStatus.active: _l("Active"),
    AccountStatus.deactivated: _l("Deactivated"),
}

#: The site.css badge class of the statuses whose value is not a class of its own.
STATUS_CLASSES = {
    AccountStatus.not_activated: "pending",
    AccountStatus.active: "active",
    AccountStatus.deactivated: "disabled",
}


def label(value) -> str:
    """The translated name of an enumeration member (or the value itself when it has none)."""
    return str(LABELS.get(value, value))


def status_class(value) -> str:
    """The ``status-<x>`` class for a status badge (supplier statuses are their own class names)."""
    return STATUS_CLASSES.get(value) or str(getattr(value, "value", value))
