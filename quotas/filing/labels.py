"""Human names of the canteen and filing statuses, and the badge class of each filing status.

Kept apart from ``accounts.labels`` (accounts never imports quotas); the filing views make
``quota_label`` and ``quota_status_class`` template globals.
"""

from flask_babel import lazy_gettext as _l

from quotas.models import CanteenStatus, FilingStatus

LABELS = {
    CanteenStatus.own: _l("Own canteen"),
    CanteenStatus.outsourced: _l("Outsourced canteen"),
    CanteenStatus.shared: _l("Shared canteen"),
    CanteenStatus.none: _l("No canteen"),
    FilingStatus.draft: _l("Draft filing"),
    FilingStatus.submitted: _l("Submitted for review"),
    FilingStatus.endorsed: _l("Endorsed by the supervising unit"),
    FilingStatus.approved: _l("Approved filing"),
    FilingStatus.returned: _l("Returned for refiling"),
}

#: site.css badge classes (``status-<x>``) that already carry the right colour.
STATUS_CLASSES = {
    FilingStatus.draft: "draft",
    FilingStatus.submitted: "pending",
    FilingStatus.endorsed: "recommended",
    FilingStatus.approved: "active",
    FilingStatus.returned: "rejected",
}


def quota_label(value):
    """The translated name of a canteen or filing status (lazy: safe in messages raised before rendering)."""
    return LABELS.get(value, value)


def quota_status_class(value) -> str:
    return STATUS_CLASSES.get(value, str(getattr(value, "value", value)))
