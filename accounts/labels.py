"""Human names for the enumerations, in the user's language."""

from flask_babel import lazy_gettext as _l

from accounts.models import RegionLevel, Role, SupplierKind, SupplierStatus

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
}


def label(value) -> str:
    """The translated name of an enumeration member (or the value itself when it has none)."""
    return str(LABELS.get(value, value))
