"""The names of the reserved shares' audit actions and object types, for the audit-log reader."""

from flask_babel import lazy_gettext as _l

from accounts.views.audit import register_labels


def register() -> None:
    register_labels(
        actions={
            "quota_policy.set": _l("Quota policy set"),
            "quota_filing.save": _l("Filing saved"),
            "quota_filing.submit": _l("Filing submitted"),
            "quota_filing.change": _l("Filing changed (new version)"),
            "quota_filing.endorse": _l("Filing approved by the supervising unit"),
            "quota_filing.approve": _l("Filing approved"),
            "quota_filing.return": _l("Filing returned"),
        },
        groups={"quota_filing.": _l("Every filing action")},
        objects={"quota_policy": _l("Quota policy"), "quota_filing": _l("Reserved-share filing")},
    )
